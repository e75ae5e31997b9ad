/*@forkspec
description: reference section 3, puzzle P1 general rule for n = 3 without newline: n iterations print n*2^n dashes, 24 for n = 3, on a terminal and when redirected
modes: tty file pipe
forall stdout == "------------------------"
forall len(stdout) == 24
forall processes == 8 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int i;
    for (i = 0; i < 3; i++) {
        fork();
        printf("-");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
