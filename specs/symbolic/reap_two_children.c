/*@forkspec
description: reap-2: child i exits with status i; the parent sums WEXITSTATUS over two waitpid(-1) calls, in whichever order the children end (run with --max-alive under --engine z3: at most 3 processes are alive at once)
forall exit_status == 1
forall stdout == "sum 1\n"
properties: all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int i, s, sum = 0;
    for (i = 0; i < 2; i++)
        if (fork() == 0)
            _exit(i);
    for (i = 0; i < 2; i++) {
        waitpid(-1, &s, 0);
        sum += WEXITSTATUS(s);
    }
    printf("sum %d\n", sum);
    return sum;
}
