/*@forkspec
description: reference item 51: wait(&s) blocks until some child has terminated and returns its pid and status; three calls return the three children (1001..1003, with their own exit codes) in some order, and a fourth fails with ECHILD
modes: tty file pipe
forall sorted(stdout.splitlines()) == sorted(["reaped 1001 status 10", "reaped 1002 status 11", "reaped 1003 status 12", "wait -> -1 ECHILD=1"])
forall stdout.endswith("wait -> -1 ECHILD=1\n")
exists stdout.startswith("reaped 1001 status 10\nreaped 1002 status 11\n")
exists stdout.startswith("reaped 1003 status 12\n")
forall processes == 4 and exit_status == 0
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
    int i;
    int status;
    pid_t pid;
    pid_t r;

    for (i = 0; i < 3; i++) {
        pid = fork();
        if (pid == 0)
            exit(10 + i);
    }
    for (i = 0; i < 3; i++) {
        r = wait(&status);
        printf("reaped %d status %d\n", r, WEXITSTATUS(status));
    }
    r = wait(&status);
    printf("wait -> %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
