/*@forkspec
description: a MAP_SHARED counter stays shared after fork: one frame, writable in both processes (reference item 14)
modes: file
violates: no-shared-writable-page
properties: cow-isolation all-reaped
forall stdout == "shared=2\n"
*/
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    if (fork() == 0) {
        *sh = 2;
        _exit(0);
    }
    wait(NULL);
    printf("shared=%d\n", *sh);
    return 0;
}
