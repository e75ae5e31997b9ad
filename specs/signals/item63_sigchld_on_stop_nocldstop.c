/*@forkspec
description: reference item 63: SIGCHLD is also sent when a child stops, unless the handler was installed with SA_NOCLDSTOP (then only its end is signalled). Linux sends a stop's SIGCHLD after the child's state changed, so a waitpid(WUNTRACED) may return before the handler ran ("after stop 0", seen on a loaded machine), and a late SIGCHLD can interrupt the next waitpid (EINTR without SA_RESTART), leaving that child to init
modes: file
exists stdout == "flags 0: after stop 1, after exit 2\nSA_NOCLDSTOP: after stop 2, after exit 3\n"
exists stdout.startswith("flags 0: after stop 0, after exit 1\n")
forall stdout.startswith("flags 0: after stop ")
forall processes == 3 and exit_status == 0
properties: all-reaped signal-safety
violates: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t count;

void on_chld(int sig)
{
    count++;
}

void round(const char *name, int flags)
{
    struct sigaction sa;
    int s;
    int stopped;
    pid_t c;

    sa.sa_handler = on_chld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(SIGCHLD, &sa, NULL);
    c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    waitpid(c, &s, WUNTRACED);
    stopped = count;
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    printf("%s: after stop %d, after exit %d\n", name, stopped, count);
}

int main(void)
{
    round("flags 0", 0);
    round("SA_NOCLDSTOP", SA_NOCLDSTOP);
    return 0;
}
