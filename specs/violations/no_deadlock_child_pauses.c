/*@forkspec
description: the child pauses with no signal ever coming while the parent waits for it: the system is stuck
modes: file
violates: no-deadlock
~exists True
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    if (fork() == 0) {
        pause();
        _exit(0);
    }
    wait(NULL);
    printf("never printed\n");
    return 0;
}
