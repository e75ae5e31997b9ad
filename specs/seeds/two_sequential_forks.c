/*@forkspec
description: seed 004, interview question: two sequential forks run four processes; if one prints "pid1:1001, pid2:1002" the others print "pid1:1001, pid2:0", "pid1:0, pid2:1003" and "pid1:0, pid2:0" (which of the second-level forks gets pid 1002 depends on the scheduler)
modes: tty file pipe
forall processes == 4 and exit_status == 0
forall len(stdout.splitlines()) == 4
forall "pid1:1001, pid2:1002\n" not in stdout or sorted(stdout.splitlines()) == sorted(["pid1:1001, pid2:1002", "pid1:1001, pid2:0", "pid1:0, pid2:1003", "pid1:0, pid2:0"])
forall sorted(stdout.splitlines()) in [sorted(["pid1:1001, pid2:1002", "pid1:1001, pid2:0", "pid1:0, pid2:1003", "pid1:0, pid2:0"]), sorted(["pid1:1001, pid2:1003", "pid1:1001, pid2:0", "pid1:0, pid2:1002", "pid1:0, pid2:0"])]
forall stdout.count("pid1:1001, pid2:0\n") == 1 and stdout.count("pid1:0, pid2:0\n") == 1
exists "pid1:1001, pid2:1002\n" in stdout
exists "pid1:1001, pid2:1003\n" in stdout
exists matches(stdout, r"pid1:1001, pid2:100[23]\n.*")
exists matches(stdout, r".*\npid1:1001, pid2:100[23]\n")
exists stdout.startswith("pid1:0, pid2:0\n")
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include "stdio.h"
#include "sys/types.h"
#include "unistd.h"

int main() {
    pid_t pid1;
    pid_t pid2;
    pid1 = fork();
    pid2 = fork();
    printf ( "pid1:%d, pid2:%d\n", pid1, pid2 );
}
