/*@forkspec
description: termination by a signal's default action runs no atexit handler and flushes no stdio buffer (reference items 58, 62): the child's buffered line and its handler are lost, the parent sees WIFSIGNALED with WTERMSIG 15
modes: file pipe
forall stdout == "child killed: WIFSIGNALED=1 WTERMSIG=15\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

void bye(void)
{
    printf("atexit handler ran\n");
}

int main(void)
{
    int s;
    pid_t c;

    c = fork();
    if (c == 0) {
        atexit(bye);
        printf("buffered in the child\n");
        for (;;)
            pause();
    }
    kill(c, SIGTERM);
    waitpid(c, &s, 0);
    printf("child killed: WIFSIGNALED=%d WTERMSIG=%d\n", WIFSIGNALED(s), WTERMSIG(s));
    return 0;
}
