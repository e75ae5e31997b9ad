/*@forkspec
description: reference section 3, puzzle P2: fork() && fork() || fork() creates 5 processes (the parent short-circuits the ||, both children of the && part run the third fork), each printing one "x"
modes: tty file pipe
forall stdout == "x\nx\nx\nx\nx\n"
forall processes == 5 and exit_status == 0
~exists processes == 4 or processes == 6
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    fork() && fork() || fork();
    printf("x\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
