/*@forkspec
description: the parent reads from a pipe whose write end it never closed; the child exits without writing, so the read waits for a writer that only the reader itself holds: a deadlock
modes: file
violates: no-deadlock
~exists True
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int fds[2];
    char buf[8];
    pipe(fds);
    if (fork() == 0)
        _exit(0);
    read(fds[0], buf, sizeof buf - 1);
    printf("never\n");
    wait(NULL);
    return 0;
}
