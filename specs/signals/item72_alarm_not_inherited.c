/*@forkspec
description: reference item 72: an alarm() timer is not inherited by fork: the child's alarm(0) finds none (0); the parent's still runs (alarm(0) > 0) unless it has already expired, which a model without time cannot rule out (SIGALRM is ignored here)
modes: file
forall stdout in ["child: alarm(0) = 0\nparent: alarm(0) > 0: 1\n", "child: alarm(0) = 0\nparent: alarm(0) > 0: 0\n"]
exists stdout == "child: alarm(0) = 0\nparent: alarm(0) > 0: 1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    signal(SIGALRM, SIG_IGN);
    alarm(50);
    if (fork() == 0) {
        printf("child: alarm(0) = %d\n", alarm(0));
        return 0;
    }
    wait(NULL);
    printf("parent: alarm(0) > 0: %d\n", alarm(0) > 0);
    return 0;
}
