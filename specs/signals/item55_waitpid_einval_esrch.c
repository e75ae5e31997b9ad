/*@forkspec
description: reference items 54 and 55: waitpid with an invalid option (-1, or waitid's WNOWAIT) fails with EINVAL, with pid INT_MIN with ESRCH, with a pid that is not a child (1) or an already reaped child with ECHILD
modes: file
forall stdout == "options -1: -1 EINVAL=1\nWNOWAIT: -1 EINVAL=1\nINT_MIN: -1 ESRCH=1\npid 1: -1 ECHILD=1\nreaped: 1\nagain: -1 ECHILD=1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int s;
    pid_t c;
    int r;

    c = fork();
    if (c == 0)
        _exit(0);
    r = waitpid(-1, &s, -1);
    printf("options -1: %d EINVAL=%d\n", r, errno == EINVAL);
    errno = 0;
    r = waitpid(-1, &s, WNOWAIT);
    printf("WNOWAIT: %d EINVAL=%d\n", r, errno == EINVAL);
    errno = 0;
    r = waitpid(INT_MIN, &s, 0);
    printf("INT_MIN: %d ESRCH=%d\n", r, errno == ESRCH);
    errno = 0;
    r = waitpid(1, &s, 0);
    printf("pid 1: %d ECHILD=%d\n", r, errno == ECHILD);
    printf("reaped: %d\n", waitpid(c, &s, 0) == c);
    errno = 0;
    r = waitpid(c, &s, 0);
    printf("again: %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
