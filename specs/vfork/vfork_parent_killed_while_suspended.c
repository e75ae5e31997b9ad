/*@forkspec
description: a vfork parent sleeps killably (wait_for_vfork_done): SIGKILL from its child ends it at once, so the child, still running in the borrowed memory, is adopted by init before it _exits; the parent never resumes
modes: file tty pipe
forall stdout == "orphaned\n"
forall exit_status == 137
violates: vfork-safety
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    if (vfork() == 0) {
        kill(getppid(), SIGKILL);
        while (getppid() != 1)
            ;
        write(1, "orphaned\n", 9);
        _exit(0);
    }
    write(1, "parent resumed\n", 15);
    return 0;
}
