/*@forkspec
description: reference section 3, puzzle P1 without newline: for (i < 2) { fork(); printf("-"); } prints 8 dashes on a terminal and when redirected, because no newline is written and the unflushed "-" is copied by the second fork
modes: tty file pipe
forall stdout == "--------"
forall processes == 4 and exit_status == 0
~exists stdout.count("-") == 6
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int i;
    for (i = 0; i < 2; i++) {
        fork();
        printf("-");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
