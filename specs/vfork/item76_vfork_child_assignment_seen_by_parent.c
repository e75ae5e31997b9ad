/*@forkspec
description: reference item 76: a vfork child runs in its parent's memory, so its assignment to x is what the parent reads after it resumes (real on Linux, undefined by POSIX: flagged by vfork-safety)
modes: file tty pipe
forall stdout == "parent x=2\n"
forall processes == 2 and exit_status == 0
violates: vfork-safety
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int x = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        x = 2;
        _exit(0);
    }
    printf("parent x=%d\n", x);
    wait(NULL);
    return 0;
}
