/*@forkspec
description: a parent polls waitpid with WNOHANG until its child has exited: the poll may return 0 any number of times, so no bound covers every execution; the status the loop ends with is proved by k-induction
modes: file
properties: all-reaped no-deadlock
*/
#include <assert.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int status = 0;
    pid_t pid = fork();
    if (pid == 0)
        exit(3);
    while (waitpid(pid, &status, WNOHANG) == 0)
        ;
    assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    return 0;
}
