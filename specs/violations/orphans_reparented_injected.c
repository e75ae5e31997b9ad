/*@forkspec
description: on a kernel that (wrongly) never reparents, an orphan keeps a zombie parent that nobody reaps: orphans-reparented catches it, and the system ends stuck
modes: file
inject: no-reparent
violates: orphans-reparented no-deadlock
*/
#include <stdio.h>
#include <unistd.h>

int main(void) {
    if (fork() == 0) {
        printf("child of %d\n", getppid());
        return 0;
    }
    return 0;
}
