/*@forkspec
description: kill(0, sig) signals every process of the caller's group (the caller too), kill(-pgid, sig) every member of that group; a group with no member gives ESRCH (reference item 52's groups, kill(2))
modes: file
forall stdout == "killed: 15 15 parent survived\nkill(-pgid, 0) of the emptied group: -1 ESRCH=1\n"
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t a;
    pid_t b;
    int sa;
    int sb;
    int r;

    a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    setpgid(a, a);
    b = fork();
    if (b == 0) {
        setpgid(0, a);
        for (;;)
            pause();
    }
    setpgid(b, a);
    signal(SIGTERM, SIG_IGN);
    kill(-a, SIGTERM);
    kill(0, SIGTERM);
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    printf("killed: %d %d parent survived\n", WTERMSIG(sa), WTERMSIG(sb));
    r = kill(-a, 0);
    printf("kill(-pgid, 0) of the emptied group: %d ESRCH=%d\n", r, errno == ESRCH);
    return 0;
}
