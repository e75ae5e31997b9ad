/*@forkspec
description: reference item 41: a handler registered while exit handlers are running (B registers C) goes to the front of the remaining list and runs next, so atexit(A); atexit(B); exit(0) prints B, C, A
modes: tty file pipe
forall stdout == "B\nC\nA\n"
~exists stdout == "B\nA\nC\n"
forall processes == 1 and exit_status == 0
forall stderr == ""
*/
#include <stdio.h>
#include <stdlib.h>

void A(void)
{
    printf("A\n");
}

void C(void)
{
    printf("C\n");
}

void B(void)
{
    printf("B\n");
    atexit(C);
}

int main(void)
{
    atexit(A);
    atexit(B);
    exit(0);
}
