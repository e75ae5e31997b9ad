/*@forkspec
description: reference items 56, 57, 74: a child stopped by SIGSTOP is reported once to waitpid with WUNTRACED (raw 0x137f, WSTOPSIG 19); a wait without WUNTRACED then sees nothing (WNOHANG gives 0); SIGCONT resumes it although it blocks SIGCONT, reported with WCONTINUED (raw 0xffff); SIGKILL ends it (WTERMSIG 9)
modes: file
forall stdout == "stopped: WIFSTOPPED=1 WSTOPSIG=19 raw=0x137f\nagain without WUNTRACED: 0\ncontinued: WIFCONTINUED=1 raw=0xffff\nkilled: WIFSIGNALED=1 WTERMSIG=9\n"
forall processes == 2 and exit_status == 0
properties: all-reaped no-orphaned-stopped-group
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int s;
    pid_t c;
    sigset_t set;

    c = fork();
    if (c == 0) {
        sigemptyset(&set);
        sigaddset(&set, SIGCONT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    waitpid(c, &s, WUNTRACED);
    printf("stopped: WIFSTOPPED=%d WSTOPSIG=%d raw=%#x\n", WIFSTOPPED(s), WSTOPSIG(s), s);
    printf("again without WUNTRACED: %d\n", waitpid(c, &s, WNOHANG));
    kill(c, SIGCONT);
    waitpid(c, &s, WCONTINUED);
    printf("continued: WIFCONTINUED=%d raw=%#x\n", WIFCONTINUED(s), s);
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    printf("killed: WIFSIGNALED=%d WTERMSIG=%d\n", WIFSIGNALED(s), WTERMSIG(s));
    return 0;
}
