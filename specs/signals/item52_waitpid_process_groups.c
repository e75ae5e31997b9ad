/*@forkspec
description: reference items 9 and 52: a child starts in its parent's process group; after setpgid (done by child and parent, as a shell does) waitpid(0) waits only for children in the caller's group and waitpid(-pgid) only for that group
modes: file
forall stdout == "child in parent's group: 1\nwaitpid(0) -> b status 2\nwaitpid(-a) -> a status 1\nno more: -1 ECHILD=1\n"
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t a;
    pid_t b;
    pid_t r;
    int s;

    a = fork();
    if (a == 0) {
        setpgid(0, 0);
        _exit(1);
    }
    setpgid(a, a);
    b = fork();
    if (b == 0) {
        printf("child in parent's group: %d\n", getpgrp() == getpgid(getppid()));
        fflush(stdout);
        _exit(2);
    }
    r = waitpid(0, &s, 0);
    printf("waitpid(0) -> %s status %d\n", r == b ? "b" : r == a ? "a" : "?", WEXITSTATUS(s));
    r = waitpid(-a, &s, 0);
    printf("waitpid(-a) -> %s status %d\n", r == a ? "a" : r == b ? "b" : "?", WEXITSTATUS(s));
    r = waitpid(-1, &s, WNOHANG);
    printf("no more: %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
