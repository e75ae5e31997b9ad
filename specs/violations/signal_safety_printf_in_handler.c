/*@forkspec
description: a SIGUSR1 handler that calls printf, which is not async-signal-safe (signal-safety(7)): the step where it does is flagged
modes: file
violates: signal-safety
forall stdout == "in handler: 10\nmain goes on\n"
forall processes == 1 and exit_status == 0
*/
#include <signal.h>
#include <stdio.h>

void on_usr1(int sig)
{
    printf("in handler: %d\n", sig);
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("main goes on\n");
    return 0;
}
