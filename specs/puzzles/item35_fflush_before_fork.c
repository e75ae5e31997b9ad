/*@forkspec
description: reference item 35: fflush(stdout) before fork empties the buffer, so item 34's program prints hello once in every mode
modes: tty file pipe
forall stdout == "hello\nbye\nbye\n"
~exists stdout.count("hello") == 2
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("hello\n");
    fflush(stdout);
    fork();
    printf("bye\n");
    return 0;
}
