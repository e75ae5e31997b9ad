/*@forkspec
description: fork may fail at every fork (EAGAIN): the program reports each failure and still reaps what it created; Z3 treats "this fork fails" as one boolean per step instead of enumerating the branches
fork-can-fail: yes
forall exit_status == 0
exists stdout == "failed 2\n"
exists stdout == "failed 0\n"
~exists stdout == "failed 3\n"
properties: all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int i, failed = 0;
    pid_t p;
    for (i = 0; i < 2; i++) {
        p = fork();
        if (p == 0)
            _exit(0);
        if (p < 0)
            failed++;
    }
    while (wait(NULL) > 0)
        ;
    printf("failed %d\n", failed);
    return 0;
}
