/*@forkspec
description: reference item 67: a grandchild that set PR_SET_PDEATHSIG to SIGTERM gets SIGTERM when its parent exits; its fork children start with the setting at 0
modes: file
forall stdout == "grandchild's child: pdeathsig 0\ngrandchild got signal 15\n"
forall processes == 4 and exit_status == 0
*/
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

volatile sig_atomic_t ready;

void on_usr1(int sig)
{
    ready = 1;
}

void on_term(int sig)
{
    write(1, "grandchild got signal 15\n", sig == 15 ? 25 : 0);
    _exit(0);
}

int main(void)
{
    pid_t mid;
    int v;

    signal(SIGUSR1, on_usr1);
    mid = fork();
    if (mid == 0) {
        if (fork() == 0) {
            signal(SIGTERM, on_term);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (fork() == 0) {
                prctl(PR_GET_PDEATHSIG, &v);
                printf("grandchild's child: pdeathsig %d\n", v);
                fflush(stdout);
                _exit(0);
            }
            wait(NULL);
            kill(getppid(), SIGUSR1);
            for (;;)
                pause();
        }
        while (!ready)
            sched_yield();
        _exit(0);
    }
    waitpid(mid, NULL, 0);
    return 0;
}
