/*@forkspec
description: reference item 43: exit() flushes stdio only after all handlers have run, so a handler's direct write(1) comes before the still-buffered "main-buffered " (with no newline it is buffered on a terminal too)
modes: tty file pipe
forall stdout == "H\nmain-buffered "
forall stdout.startswith("H\n")
forall processes == 1 and exit_status == 0
forall stderr == ""
properties: atexit-reverse-order
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void H(void)
{
    write(1, "H\n", 2);
}

int main(void)
{
    atexit(H);
    printf("main-buffered ");
    exit(0);
}
