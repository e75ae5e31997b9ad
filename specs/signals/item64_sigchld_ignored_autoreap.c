/*@forkspec
description: reference item 64: with SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT, children do not become zombies; wait blocks until they are gone and fails with ECHILD. With SA_NOCLDWAIT and a handler, SIGCHLD is still sent
modes: file
forall stdout == "SIG_IGN: wait -1 ECHILD=1\nSA_NOCLDWAIT: wait -1 ECHILD=1 handler ran 1\n"
forall processes == 3 and exit_status == 0
properties: all-reaped signal-safety
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t count;

void on_chld(int sig)
{
    count++;
}

int main(void)
{
    struct sigaction sa;
    int s;
    int r;

    signal(SIGCHLD, SIG_IGN);
    if (fork() == 0)
        _exit(7);
    r = wait(&s);
    printf("SIG_IGN: wait %d ECHILD=%d\n", r, errno == ECHILD);
    sa.sa_handler = on_chld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    if (fork() == 0)
        _exit(7);
    errno = 0;
    do
        r = wait(&s);
    while (r == -1 && errno == EINTR);
    printf("SA_NOCLDWAIT: wait %d ECHILD=%d handler ran %d\n", r, errno == ECHILD, count);
    return 0;
}
