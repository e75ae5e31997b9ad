/*@forkspec
description: reference section 3, puzzle P1 general rule for n = 3 with newline: 2^(n+1)-2 = 14 lines on a terminal, n*2^n = 24 lines when redirected to a file or pipe
modes: tty file pipe
forall [tty] stdout == "-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n"
forall [file,pipe] stdout == "-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n-\n"
forall [tty] stdout.count("-\n") == 14
forall [file,pipe] stdout.count("-\n") == 24
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
        printf("-\n");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
