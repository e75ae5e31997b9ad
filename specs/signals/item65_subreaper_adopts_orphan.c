/*@forkspec
description: reference items 65 and 66: with PR_SET_CHILD_SUBREAPER the top process adopts its orphaned grandchild (getppid() in the grandchild becomes the top's pid) and reaps it; the attribute is not inherited by fork
modes: file
forall stdout == "grandchild: adopted by top 1, subreaper 0\ntop reaped 1002 (status 5)\n"
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int main(void)
{
    pid_t top;
    pid_t mid;
    pid_t r;
    int v;
    int s;

    top = getpid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    mid = fork();
    if (mid == 0) {
        if (fork() == 0) {
            while (getppid() != top)
                sched_yield();
            prctl(PR_GET_CHILD_SUBREAPER, &v);
            printf("grandchild: adopted by top %d, subreaper %d\n", getppid() == top, v);
            fflush(stdout);
            _exit(5);
        }
        _exit(0);
    }
    waitpid(mid, NULL, 0);
    r = wait(&s);
    printf("top reaped %d (status %d)\n", r, WEXITSTATUS(s));
    return 0;
}
