/*@forkspec
description: reference item 54: wait and waitpid fail with -1 and ECHILD when there is no unwaited-for child, when the pid is not a child of the caller (pid 1, init) and on a second waitpid for a child already reaped
modes: tty file pipe
forall stdout == "wait, no children: -1 ECHILD=1\nfirst waitpid: 1001\nsecond waitpid: -1 ECHILD=1\nwaitpid(1): -1 ECHILD=1\n"
forall stderr == "waitpid: No child processes\n"
forall processes == 2 and exit_status == 0
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>

int main(void)
{
    int status;
    pid_t pid;
    pid_t r;

    r = wait(&status);
    printf("wait, no children: %d ECHILD=%d\n", r, errno == ECHILD);
    pid = fork();
    if (pid == 0)
        _exit(0);
    r = waitpid(pid, &status, 0);
    printf("first waitpid: %d\n", r);
    r = waitpid(pid, &status, 0);
    printf("second waitpid: %d ECHILD=%d\n", r, errno == ECHILD);
    if (r < 0)
        perror("waitpid");
    r = waitpid(1, &status, 0);
    printf("waitpid(1): %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
