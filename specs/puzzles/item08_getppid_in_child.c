/*@forkspec
description: reference item 8: in the child getppid() equals the parent's getpid() and getpid() differs from it; the child's getpid() equals the value fork returned to the parent (the parent waits, so the child is never orphaned while it asks)
modes: tty file pipe
forall stdout == "1 1\nchild=1001 parent=1000\nfork returned 1001 to 1000\n"
forall stdout.startswith("1 1\n")
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t me, p;

    me = getpid();
    p = fork();
    if (p == 0) {
        printf("%d %d\n", getpid() != me, getppid() == me);
        printf("child=%d parent=%d\n", getpid(), getppid());
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    printf("fork returned %d to %d\n", p, me);
    return 0;
}
