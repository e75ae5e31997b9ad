/*@forkspec
description: reference item 89: a program that does not check fork's -1 stores it as a child pid; its kill(pid, SIGKILL) is then kill(-1, SIGKILL), which kills every process it may signal (here its other worker), and the waitpid(-1 as pid) reaps the wrong child
modes: file
fork-can-fail: yes
violates: assert
exists stdout == "worker 1 done\n"
*/
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t worker;
    pid_t helper;
    int s;

    worker = fork();
    if (worker == -1)
        return 1;
    if (worker == 0) {
        sleep(1);
        printf("worker 1 done\n");
        return 0;
    }
    helper = fork();
    if (helper == 0) {
        for (;;)
            pause();
    }
    kill(helper, SIGKILL);
    waitpid(helper, NULL, 0);
    assert(waitpid(worker, &s, 0) == worker && WIFEXITED(s));
    return 0;
}
