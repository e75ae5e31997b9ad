/*@forkspec
description: reference item 59: with SA_RESTART a wait interrupted by a handler is restarted: it never fails with EINTR
modes: file
forall stdout == "handler\nwait: 1001\n"
forall processes == 2 and exit_status == 0
properties: all-reaped signal-safety
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void on_usr1(int sig)
{
    write(1, "handler\n", 8);
}

int main(void)
{
    struct sigaction sa;
    pid_t parent;
    int r;

    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    parent = getpid();
    if (fork() == 0) {
        kill(parent, SIGUSR1);
        sleep(1);
        _exit(0);
    }
    do {
        r = wait(NULL);
        if (r == -1 && errno == EINTR)
            printf("wait: -1 EINTR\n");
    } while (r == -1 && errno == EINTR);
    printf("wait: %d\n", r);
    return 0;
}
