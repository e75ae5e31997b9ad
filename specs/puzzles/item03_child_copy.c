/*@forkspec
description: reference item 3: the child is a copy of the parent, with every variable value as it was at the fork; the child prints x = 5 and leaves with _exit
modes: tty file pipe
forall stdout == "5\n"
~exists stdout == "0\n"
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int x = 5;

    if (!fork()) {
        printf("%d\n", x);
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    return 0;
}
