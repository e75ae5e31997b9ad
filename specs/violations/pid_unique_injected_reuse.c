/*@forkspec
description: on a kernel that (wrongly) reuses the pid of an unreaped zombie, two processes share a pid; pid-unique catches it
modes: file
inject: pid-reuse
violates: pid-unique
forall processes == 2 or processes == 3
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    if (fork() == 0)
        _exit(1);
    if (fork() == 0)
        _exit(2);
    while (wait(NULL) > 0)
        ;
    return 0;
}
