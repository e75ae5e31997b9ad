/*@forkspec
description: reference items 5 and 62: the parent gets SIGCHLD (17) when its child ends; the pending signal is delivered before wait() returns to the program, so the handler has run by the time wait's result is printed
modes: file tty
forall stdout == "got SIGCHLD=17\nwait -> 1001, handler ran 1 time(s)\n"
forall processes == 2 and exit_status == 0
properties: all-reaped signal-safety
*/
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t got;
volatile sig_atomic_t calls;

void on_chld(int sig)
{
    got = sig;
    calls++;
    write(1, "got SIGCHLD=17\n", got == 17 ? 15 : 0);
}

int main(void)
{
    pid_t r;

    signal(SIGCHLD, on_chld);
    if (fork() == 0)
        _exit(0);
    r = wait(NULL);
    printf("wait -> %d, handler ran %d time(s)\n", r, calls);
    return 0;
}
