/*@forkspec
description: signal(7): a blocking flock() interrupted by a handler installed without SA_RESTART fails with EINTR (if the signal comes before flock blocks, the handler runs first and flock waits for the lock); with SA_RESTART it is restarted and never fails
modes: file
forall stdout in ["handler\nflock: -1 EINTR\nflock: 0\nSA_RESTART:\nhandler\nflock: 0\n", "handler\nflock: 0\nSA_RESTART:\nhandler\nflock: 0\n"]
exists stdout.startswith("handler\nflock: -1 EINTR\n")
exists stdout.startswith("handler\nflock: 0\n")
forall processes == 3 and exit_status == 0
properties: all-reaped signal-safety no-deadlock
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/wait.h>

void on_usr1(int sig)
{
    write(1, "handler\n", 8);
}

void one_round(int flags)
{
    struct sigaction sa;
    pid_t parent;
    int ready[2];
    char b[2];
    int fd;
    int r;

    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
    pipe(ready);
    parent = getpid();
    if (fork() == 0) {
        fd = open("lockfile", O_RDWR | O_CREAT, 0644);
        flock(fd, LOCK_EX);
        write(ready[1], "r", 1);
        kill(parent, SIGUSR1);
        sleep(1);
        _exit(0);
    }
    read(ready[0], b, 1);
    fd = open("lockfile", O_RDWR | O_CREAT, 0644);
    do {
        r = flock(fd, LOCK_EX);
        if (r == -1 && errno == EINTR)
            printf("flock: -1 EINTR\n");
    } while (r == -1 && errno == EINTR);
    printf("flock: %d\n", r);
    fflush(stdout);
    close(fd);
    close(ready[0]);
    close(ready[1]);
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
