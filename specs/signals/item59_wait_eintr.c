/*@forkspec
description: reference item 59: a blocking wait interrupted by a handler installed without SA_RESTART fails with EINTR (if the signal comes before the wait blocks, the handler runs first and the wait then reaps); with SA_RESTART the wait is restarted and never fails
modes: file
forall stdout in ["handler\nwait: -1 EINTR\nwait: 1001\nSA_RESTART:\nhandler\nwait: 1002\n", "handler\nwait: 1001\nSA_RESTART:\nhandler\nwait: 1002\n"]
exists stdout.startswith("handler\nwait: -1 EINTR\n")
exists stdout.startswith("handler\nwait: 1001\n")
forall processes == 3 and exit_status == 0
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

void round(int flags)
{
    struct sigaction sa;
    pid_t parent;
    int r;

    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
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
    fflush(stdout);
}

int main(void)
{
    round(0);
    printf("SA_RESTART:\n");
    fflush(stdout);
    round(SA_RESTART);
    return 0;
}
