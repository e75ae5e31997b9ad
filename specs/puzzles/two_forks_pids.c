/*@forkspec
description: reference section 3, puzzle P3: two sequential forks give four processes printing me/pid1/pid2; P prints pid1=C1 pid2=C2, C1 prints pid1=0 pid2=C3, C2 prints pid1=C1 pid2=0 (pid1 copied from P), C3 prints pid1=0 pid2=0; pids are given in creation order, so C2 and C3 are 1002 and 1003 in either order
modes: tty file pipe
forall processes == 4 and exit_status == 0
forall sorted(stdout.splitlines()) in [sorted(["me=1000 pid1=1001 pid2=1002", "me=1001 pid1=0 pid2=1003", "me=1002 pid1=1001 pid2=0", "me=1003 pid1=0 pid2=0"]), sorted(["me=1000 pid1=1001 pid2=1003", "me=1001 pid1=0 pid2=1002", "me=1003 pid1=1001 pid2=0", "me=1002 pid1=0 pid2=0"])]
forall matches(stdout, r"(me=\d+ pid1=\d+ pid2=\d+\n){4}")
exists "me=1000 pid1=1001 pid2=1002\n" in stdout
exists "me=1000 pid1=1001 pid2=1003\n" in stdout
exists [tty] stdout.startswith("me=1000 ")
exists [tty] matches(stdout, r".*\nme=1000 [^\n]*\n")
forall [file,pipe] matches(stdout, r".*\nme=1000 pid1=1001 pid2=100[23]\n")
forall [file,pipe] stdout.find("pid1=0 pid2=0\n") < stdout.find("me=1001 pid1=0 ")
exists [tty] stdout.find("me=1001 pid1=0 ") < stdout.find("pid1=0 pid2=0\n")
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

int main(void)
{
    pid_t pid1 = fork();
    pid_t pid2 = fork();
    printf("me=%d pid1=%d pid2=%d\n", getpid(), pid1, pid2);
    while (wait(NULL) > 0)
        ;
    return 0;
}
