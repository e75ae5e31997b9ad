/*@forkspec
description: reference section 3, puzzle P1 with newline: for (i < 2) { fork(); printf("-\n"); } prints 6 lines on a terminal (line buffered, each "-\n" flushed at once) but 8 lines when redirected to a file or pipe (the first "-\n" is still buffered at the second fork)
modes: tty file pipe
forall [tty] stdout == "-\n-\n-\n-\n-\n-\n"
forall [file,pipe] stdout == "-\n-\n-\n-\n-\n-\n-\n-\n"
forall processes == 4 and exit_status == 0
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
        printf("-\n");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
