/*@forkspec
description: pause() returns -1 with EINTR once a caught signal's handler has run (reference item 59); the child keeps signalling until it is killed, so no signal is lost to the race before pause
modes: file
forall stdout == "pause: -1 EINTR=1 handled=1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped signal-safety
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t handled;

void on_usr1(int sig)
{
    handled = 1;
}

int main(void)
{
    pid_t parent;
    pid_t c;
    int r;

    signal(SIGUSR1, on_usr1);
    parent = getpid();
    c = fork();
    if (c == 0) {
        signal(SIGUSR1, SIG_IGN);
        for (;;) {
            kill(parent, SIGUSR1);
            sched_yield();
        }
    }
    r = pause();
    printf("pause: %d EINTR=%d handled=%d\n", r, errno == EINTR, handled);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    return 0;
}
