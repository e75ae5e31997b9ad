/*@forkspec
description: a child moves to a process group of its own and stops itself; its parent exits without continuing it, so the stopped group is orphaned (Linux would send it SIGHUP and SIGCONT; the model keeps it stopped)
modes: file
violates: no-orphaned-stopped-group no-deadlock
*/
#include <signal.h>
#include <unistd.h>

int main(void)
{
    if (fork() == 0) {
        setpgid(0, 0);
        raise(SIGSTOP);
        _exit(0);
    }
    return 0;
}
