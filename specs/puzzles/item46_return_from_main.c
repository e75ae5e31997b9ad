/*@forkspec
description: reference item 46: returning n from main is exit(n): the atexit handler runs, stdout is flushed and the shell sees 300 & 0xff = 44
modes: tty file pipe
forall stdout == "x A\n"
forall exit_status == 44
forall processes == 1
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
    printf("x ");
    return 300;
}
