/*@forkspec
description: raise() delivers SIGUSR1 to its caller before it returns, so the handler has run before pause() starts, and pause() then waits for a signal that never comes (real Linux hangs); pause() is interrupted only by a signal that arrives while it waits
modes: file
violates: no-deadlock
~exists True
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

volatile sig_atomic_t handled;

void on_usr1(int sig)
{
    handled = 1;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    pause();
    printf("pause returned, handled=%d\n", handled);
    return 0;
}
