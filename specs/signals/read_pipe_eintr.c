/*@forkspec
description: signal(7): a read of an empty pipe interrupted by a handler installed without SA_RESTART fails with EINTR (if the signal comes before the read blocks, the handler runs first and the read then gets the byte); with SA_RESTART the read is restarted and never fails
modes: file
forall stdout in ["handler\nread: -1 EINTR\nread: 1\nSA_RESTART:\nhandler\nread: 1\n", "handler\nread: 1\nSA_RESTART:\nhandler\nread: 1\n"]
exists stdout.startswith("handler\nread: -1 EINTR\n")
exists stdout.startswith("handler\nread: 1\n")
forall processes == 3 and exit_status == 0
properties: all-reaped signal-safety no-deadlock
*/
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void on_usr1(int sig)
{
    write(1, "handler\n", 8);
}

void one_round(int flags)
{
    struct sigaction sa;
    pid_t parent;
    int fd[2];
    char b[2];
    int r;

    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
    pipe(fd);
    parent = getpid();
    if (fork() == 0) {
        close(fd[0]);
        kill(parent, SIGUSR1);
        sleep(1);
        write(fd[1], "x", 1);
        _exit(0);
    }
    close(fd[1]);
    do {
        r = read(fd[0], b, 1);
        if (r == -1 && errno == EINTR)
            printf("read: -1 EINTR\n");
    } while (r == -1 && errno == EINTR);
    printf("read: %d\n", r);
    assert(b[0] == 'x');
    fflush(stdout);
    close(fd[0]);
    wait(NULL);
}

int main(void)
{
    one_round(0);
    printf("SA_RESTART:\n");
    fflush(stdout);
    one_round(SA_RESTART);
    return 0;
}
