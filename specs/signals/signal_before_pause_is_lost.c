/*@forkspec
description: the child tells its parent it is ready, then calls pause(); the parent's SIGUSR1 may interrupt pause() (EINTR) or reach the child before pause() starts, whose handler then runs first and pause() waits for ever: the race sigsuspend() exists for
modes: file
violates: no-deadlock
forall stdout == "woke -1 handled=1\n"
exists True
*/
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
    int ready[2];
    char b[1];
    pid_t c;
    int r;

    signal(SIGUSR1, on_usr1);
    pipe(ready);
    c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        r = pause();
        printf("woke %d handled=%d\n", r, handled);
        return 0;
    }
    read(ready[0], b, 1);
    kill(c, SIGUSR1);
    waitpid(c, NULL, 0);
    return 0;
}
