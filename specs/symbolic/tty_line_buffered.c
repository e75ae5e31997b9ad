/*@forkspec
description: line buffering on a terminal (Z3 encodes it too): the text before the newline is written before the fork, the rest is copied into the child's buffer
modes: tty file
forall [tty] stdout == "n=7\nrest\nrest\n"
forall [file] stdout == "n=7\nrest\nn=7\nrest\n"
exists len(stdout) > 10
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int n = 7;
    printf("n=%d\nrest", n);
    if (fork() == 0) {
        putchar('\n');
        return 0;
    }
    wait(NULL);
    putchar('\n');
    return 0;
}
