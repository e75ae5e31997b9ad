/*@forkspec
description: reference item 49: a fork child inherits the atexit registrations and the unflushed "buffered "; the child that calls _exit contributes nothing, the child that calls exit runs A (printing its copy of the buffer), and the parent prints its own copy and runs A again
modes: tty file pipe
forall stdout == "buffered A\nbuffered |parent\nA\n"
forall stdout.count("A\n") == 2
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
        exit(0);
    wait(NULL);
    printf("|parent\n");
    fflush(stdout);
    exit(0);
}
