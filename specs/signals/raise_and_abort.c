/*@forkspec
description: raise() delivers before it returns (the handler's write comes first); abort() runs a SIGABRT handler, then kills with SIGABRT anyway (WTERMSIG 6, no core bit with RLIMIT_CORE 0) and flushes nothing
modes: file
forall stdout == "USR1 handled before raise returned\nSIGABRT handler\nchild: WIFSIGNALED=1 WTERMSIG=6 WCOREDUMP=0\n"
forall processes == 2 and exit_status == 0
properties: all-reaped signal-safety
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t got;

void on_usr1(int sig)
{
    got = sig;
}

void on_abrt(int sig)
{
    write(1, "SIGABRT handler\n", 16);
}

int main(void)
{
    int s;

    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    if (got == SIGUSR1)
        printf("USR1 handled before raise returned\n");
    fflush(stdout);
    if (fork() == 0) {
        signal(SIGABRT, on_abrt);
        printf("lost\n");
        abort();
    }
    wait(&s);
    printf("child: WIFSIGNALED=%d WTERMSIG=%d WCOREDUMP=%d\n", WIFSIGNALED(s), WTERMSIG(s), WCOREDUMP(s));
    return 0;
}
