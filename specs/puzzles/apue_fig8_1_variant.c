/*@forkspec
description: reference section 3, APUE Figure 8.1 variant (no wait, as in APUE): the write(2) output appears once and first; "before fork" is printed once on a terminal and twice when redirected; the child's glob/var increments stay in the child; sleep(1) does not order the two processes
modes: tty file pipe
forall [tty] stdout in ["a write to stdout\nbefore fork\nchild  glob = 7, var = 89\nparent glob = 6, var = 88\n", "a write to stdout\nbefore fork\nparent glob = 6, var = 88\nchild  glob = 7, var = 89\n"]
forall [file,pipe] stdout in ["a write to stdout\nbefore fork\nchild  glob = 7, var = 89\nbefore fork\nparent glob = 6, var = 88\n", "a write to stdout\nbefore fork\nparent glob = 6, var = 88\nbefore fork\nchild  glob = 7, var = 89\n"]
exists stdout.endswith("parent glob = 6, var = 88\n")
exists stdout.endswith("child  glob = 7, var = 89\n")
forall stdout.startswith("a write to stdout\nbefore fork\n")
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: cow-isolation pid-unique
violates: all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int glob = 6;

int main(void)
{
    int var;
    pid_t pid;

    var = 88;
    write(1, "a write to stdout\n", 18);
    printf("before fork\n");
    if ((pid = fork()) == 0) {
        glob++;
        var++;
    } else {
        sleep(1);
    }
    printf("%s glob = %d, var = %d\n", pid == 0 ? "child " : "parent", glob, var);
    exit(0);
}
