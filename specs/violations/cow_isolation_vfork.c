/*@forkspec
description: a vfork child borrows its parent's memory, so its write is seen by the parent (reference item 76); a write other than vfork's result is flagged by vfork-safety
modes: file tty
violates: cow-isolation no-shared-writable-page vfork-safety
properties: all-reaped
forall stdout == "parent x=2\n"
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int x = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        x = 2;
        _exit(0);
    }
    printf("parent x=%d\n", x);
    wait(NULL);
    return 0;
}
