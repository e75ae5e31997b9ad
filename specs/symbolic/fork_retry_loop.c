/*@forkspec
description: a parent retries fork until it succeeds (fork may fail with EAGAIN any number of times): no execution is longest, yet the child's status after the loop is proved by k-induction
modes: file
fork-can-fail: yes
properties: all-reaped no-deadlock
*/
#include <assert.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int status = 0;
    pid_t pid;
    while ((pid = fork()) < 0)
        ;
    if (pid == 0)
        _exit(7);
    waitpid(pid, &status, 0);
    assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    return 0;
}
