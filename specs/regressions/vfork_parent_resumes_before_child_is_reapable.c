/*@forkspec
description: found by the conformance generator: a vfork parent resumes when its child releases the shared memory, early in _exit, before the child is a zombie; so a WNOHANG wait right after can still find the child running and return 0
modes: file tty pipe
forall stdout in ["0\n", "1001\n"]
exists stdout == "0\n"
exists stdout == "1001\n"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    if (vfork() == 0)
        _exit(0);
    printf("%d\n", waitpid(-1, NULL, WNOHANG));
    wait(NULL);
    return 0;
}
