/*@forkspec
description: reference item 17: a MADV_DONTFORK range does not exist in the child, whose read of it is a SIGSEGV; the parent keeps it
modes: file tty pipe
forall stdout == "child: WTERMSIG=11\nparent: a[0]=120\n"
forall processes == 2 and exit_status == 0
properties: cow-isolation no-shared-writable-page all-reaped
*/
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int s;
    int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 'x';
    madvise(a, 4096, MADV_DONTFORK);
    if (fork() == 0) {
        int v = a[0];
        _exit(v);
    }
    wait(&s);
    printf("child: WTERMSIG=%d\n", WTERMSIG(s));
    printf("parent: a[0]=%d\n", a[0]);
    return 0;
}
