/*@forkspec
description: the defined use of vfork: the child stores vfork's result and calls _exit; the parent resumes, then reaps it with the status it gave
modes: file tty pipe
forall stdout == "child 1001 exited 7\n"
forall processes == 2 and exit_status == 0
properties: vfork-safety all-reaped cow-isolation
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t pid;
    int status;

    if ((pid = vfork()) == 0)
        _exit(7);
    waitpid(pid, &status, 0);
    printf("child %d exited %d\n", pid, WEXITSTATUS(status));
    return 0;
}
