/*@forkspec
description: reference item 42: a function registered k times with atexit is called k times; atexit(A); atexit(A); exit(0) prints A twice
modes: tty file pipe
forall stdout == "A\nA\n"
forall processes == 1 and exit_status == 0
forall stderr == ""
properties: atexit-reverse-order
*/
#include <stdio.h>
#include <stdlib.h>

void A(void)
{
    printf("A\n");
}

int main(void)
{
    atexit(A);
    atexit(A);
    exit(0);
}
