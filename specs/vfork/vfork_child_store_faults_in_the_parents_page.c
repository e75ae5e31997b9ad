/*@forkspec
description: a vfork child runs in its parent's address space: a stack page the parent had never touched, faulted in by the child's stores (vfork's result, then x), is the parent's page too, so the parent reads the child's x (Linux prints x=5)
modes: file tty
forall stdout == "x=5\n"
properties: vfork-safety
violates: vfork-safety
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t pid;
    int x;

    if ((pid = vfork()) == 0) {
        x = 5;
        _exit(0);
    }
    printf("x=%d\n", x);
    waitpid(pid, NULL, 0);
    return 0;
}
