/*@forkspec
description: reference items 14 and 15: after fork a MAP_SHARED page is one frame both processes write, a MAP_PRIVATE page is copied on the first write, so the parent sees the child's 2 only in the shared one
modes: file tty pipe
forall stdout == "shared=2 private=1\n"
forall processes == 2 and exit_status == 0
properties: cow-isolation all-reaped
violates: no-shared-writable-page
*/
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    *pr = 1;
    if (fork() == 0) {
        *sh = 2;
        *pr = 2;
        _exit(0);
    }
    wait(NULL);
    printf("shared=%d private=%d\n", *sh, *pr);
    return 0;
}
