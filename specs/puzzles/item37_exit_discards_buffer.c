/*@forkspec
description: reference item 37: _exit() and _Exit() throw away unflushed stdio data and run no atexit handler, so children that inherit "buffered " and leave with _exit or _Exit contribute nothing; only the parent prints it, followed by its handler's A
modes: tty file pipe
forall stdout == "buffered A\n"
forall stdout.count("buffered") == 1 and stdout.count("A") == 1
forall processes == 3 and exit_status == 0
forall stderr == ""
properties: all-reaped atexit-reverse-order pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

void A(void)
{
    printf("A\n");
    fflush(stdout);
}

int main(void)
{
    atexit(A);
    printf("buffered ");
    if (!fork())
        _exit(0);
    wait(NULL);
    if (!fork())
        _Exit(0);
    wait(NULL);
    return 0;
}
