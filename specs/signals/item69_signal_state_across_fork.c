/*@forkspec
description: reference items 69, 70, 71: the child starts with no pending signals but inherits the signal mask and every disposition (a handler and SIG_IGN)
modes: file tty
forall stdout == "child: pending 0 blocked 1 handler kept 1 SIGHUP ignored 1\nparent: pending 1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void hnd(int sig)
{
}

int main(void)
{
    sigset_t set;
    sigset_t pend;
    sigset_t cur;
    struct sigaction old;

    signal(SIGUSR2, hnd);
    signal(SIGHUP, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    if (fork() == 0) {
        sigpending(&pend);
        sigprocmask(SIG_BLOCK, NULL, &cur);
        sigaction(SIGUSR2, NULL, &old);
        printf("child: pending %d blocked %d handler kept %d SIGHUP ignored %d\n", sigismember(&pend, SIGUSR1),
               sigismember(&cur, SIGUSR1), old.sa_handler == hnd, signal(SIGHUP, SIG_IGN) == SIG_IGN);
        return 0;
    }
    wait(NULL);
    sigpending(&pend);
    printf("parent: pending %d\n", sigismember(&pend, SIGUSR1));
    return 0;
}
