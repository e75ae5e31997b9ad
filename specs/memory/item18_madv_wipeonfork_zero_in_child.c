/*@forkspec
description: reference item 18: a MADV_WIPEONFORK page reaches the child zero-filled, the parent keeps its contents; on a MAP_SHARED mapping madvise fails with EINVAL
modes: file tty pipe
forall stdout == "shared: -1 EINVAL=1\nchild: 0\nparent: 121\n"
forall processes == 2 and exit_status == 0
properties: cow-isolation all-reaped
*/
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int r = madvise(sh, 4096, MADV_WIPEONFORK);
    printf("shared: %d EINVAL=%d\n", r, errno == EINVAL);
    b[0] = 'y';
    madvise(b, 4096, MADV_WIPEONFORK);
    fflush(stdout);
    if (fork() == 0) {
        printf("child: %d\n", b[0]);
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    printf("parent: %d\n", b[0]);
    return 0;
}
