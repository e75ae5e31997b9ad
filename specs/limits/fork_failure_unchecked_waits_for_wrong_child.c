/*@forkspec
description: a program that does not check fork's -1: when the first fork fails (EAGAIN) it keeps -1 as a child pid, and waitpid(-1, ...) then reaps the second worker instead, so its assertion that it reaped worker 0 fails
modes: file
fork-can-fail: yes
violates: assert
exists stdout == "worker 0: 1001 status 1\nworker 1: 1002 status 2\n"
exists stdout == "worker 0: 1001 status 2\n"
*/
#include <assert.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t pids[2];
    int i, status = 0;

    for (i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            _exit(i + 1);
    }
    for (i = 0; i < 2; i++) {
        pid_t r = waitpid(pids[i], &status, 0);
        printf("worker %d: %d status %d\n", i, r, WEXITSTATUS(status));
        fflush(stdout);
        assert(r == pids[i]);
    }
    return 0;
}
