/*@forkspec
description: reference item 16: a munmap in the child removes the mapping from the child only: the child's next touch is a SIGSEGV, the parent still reads the page; a page the parent maps after the fork is its own
modes: file tty pipe
forall stdout == "child: killed by signal 11\nparent: 5 7\n"
forall processes == 2 and exit_status == 0
properties: cow-isolation no-shared-writable-page all-reaped
*/
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int status;
    int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *p = 5;
    pid_t pid = fork();
    if (pid == 0) {
        munmap(p, 4096);
        int v = *p;
        _exit(v);
    }
    int *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *q = 7;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("child: killed by signal %d\n", WTERMSIG(status));
    printf("parent: %d %d\n", *p, *q);
    return 0;
}
