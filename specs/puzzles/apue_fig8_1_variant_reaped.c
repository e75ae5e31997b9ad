/*@forkspec
description: reference section 3, APUE Figure 8.1 variant with the section's reaping convention (while (wait(NULL) > 0) before exit): on a terminal both line orders remain possible, but when redirected the parent's buffer is flushed only after its child has exited, so the child's block always comes first
modes: tty file pipe
forall [tty] stdout in ["a write to stdout\nbefore fork\nchild  glob = 7, var = 89\nparent glob = 6, var = 88\n", "a write to stdout\nbefore fork\nparent glob = 6, var = 88\nchild  glob = 7, var = 89\n"]
forall [file,pipe] stdout == "a write to stdout\nbefore fork\nchild  glob = 7, var = 89\nbefore fork\nparent glob = 6, var = 88\n"
exists [tty] stdout.endswith("parent glob = 6, var = 88\n")
exists [tty] stdout.endswith("child  glob = 7, var = 89\n")
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped cow-isolation pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

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
    while (wait(NULL) > 0)
        ;
    exit(0);
}
