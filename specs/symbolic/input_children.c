/*@forkspec
description: the number of children is an input n in 0..2 (nondet_int(), declared by `input:`): for every n the parent reaps exactly n children and the exit statuses sum to n(n-1)/2; Z3 keeps n symbolic, BFS tries each value
input: 0..2
forall exit_status == 0
exists processes == 3
~exists processes > 3
properties: all-reaped
*/
#include <assert.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int i, s, sum = 0, n = nondet_int();
    for (i = 0; i < n; i++)
        if (fork() == 0)
            _exit(i);
    for (i = 0; i < n; i++) {
        waitpid(-1, &s, 0);
        sum += WEXITSTATUS(s);
    }
    assert(sum == n * (n - 1) / 2);
    return 0;
}
