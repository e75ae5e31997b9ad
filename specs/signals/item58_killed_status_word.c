/*@forkspec
description: reference items 58 and 73: a child killed by SIGKILL is reported with the raw status 9 (WIFSIGNALED, WTERMSIG 9, not WIFEXITED); one killed by SIGTERM's default action runs no atexit handler and flushes no stdio buffer (raw 15); sigaction on SIGKILL or SIGSTOP fails with EINVAL
modes: file pipe
forall stdout == "sigaction(SIGKILL) -1 EINVAL=1\nsigaction(SIGSTOP) -1 EINVAL=1\nraw=9 WIFSIGNALED=1 WTERMSIG=9 WIFEXITED=0\nraw=15 WIFSIGNALED=1 WTERMSIG=15 WIFEXITED=0\n"
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>

void bye(void)
{
    printf("atexit handler ran\n");
}

void kill_child(int sig)
{
    int status;
    pid_t c;

    c = fork();
    if (c == 0) {
        atexit(bye);
        printf("lost in the child's buffer\n");
        for (;;)
            pause();
    }
    kill(c, sig);
    waitpid(c, &status, 0);
    printf("raw=%d WIFSIGNALED=%d WTERMSIG=%d WIFEXITED=%d\n", status, WIFSIGNALED(status), WTERMSIG(status),
           WIFEXITED(status));
    fflush(stdout);
}

int main(void)
{
    struct sigaction sa;
    int r;

    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    r = sigaction(SIGKILL, &sa, NULL);
    printf("sigaction(SIGKILL) %d EINVAL=%d\n", r, errno == EINVAL);
    errno = 0;
    r = sigaction(SIGSTOP, &sa, NULL);
    printf("sigaction(SIGSTOP) %d EINVAL=%d\n", r, errno == EINVAL);
    fflush(stdout);
    kill_child(SIGKILL);
    kill_child(SIGTERM);
    return 0;
}
