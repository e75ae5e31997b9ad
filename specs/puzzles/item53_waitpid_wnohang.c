/*@forkspec
description: reference item 53: waitpid with WNOHANG returns 0 while the child has not terminated (sleep orders nothing, so it may also already return the child's pid); with no matching children it returns -1 with ECHILD
modes: tty file pipe
forall stdout in ["WNOHANG -> 0\nreaped 1001 status 3\nno children: -1 ECHILD=1\n", "WNOHANG -> 1001\nreaped 1001 status 3\nno children: -1 ECHILD=1\n"]
exists stdout.startswith("WNOHANG -> 0\n")
exists stdout.startswith("WNOHANG -> 1001\n")
forall processes == 2 and exit_status == 0
forall stderr == ""
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

    pid = fork();
    if (pid == 0) {
        sleep(1);
        exit(3);
    }
    r = waitpid(pid, &status, WNOHANG);
    printf("WNOHANG -> %d\n", r);
    if (r == 0)
        r = waitpid(pid, &status, 0);
    printf("reaped %d status %d\n", r, WEXITSTATUS(status));
    r = waitpid(-1, &status, WNOHANG);
    printf("no children: %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
