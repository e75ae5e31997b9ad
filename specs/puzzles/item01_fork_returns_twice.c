/*@forkspec
description: reference item 1: fork returns twice, the child's pid (> 0) to the parent and 0 to the child, and both continue after fork; printing with fflush gives the lines child and parent in either order
modes: tty file pipe
forall stdout in ["child\nparent\n", "parent\nchild\n"]
exists stdout == "child\nparent\n"
exists stdout == "parent\nchild\n"
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t p;

    p = fork();
    printf("%s\n", p == 0 ? "child" : "parent");
    fflush(stdout);
    wait(NULL);
    return 0;
}
