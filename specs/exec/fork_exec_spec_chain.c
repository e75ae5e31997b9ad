/*@forkspec
description: fork + exec of another spec file: the exec'd image (exec_child.c) runs in the child with the same pid and parent, its own fresh stdio buffer (the parent's unflushed "pending " is not copied into it) and its own exit status
modes: file tty
forall stdout == "image: pid 1001 parent 1000\npending child 1001 exited 3\n"
forall processes == 2 and exit_status == 0
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    printf("pending ");
    pid_t pid = fork();
    if (pid == 0) {
        execl("./exec_child", "exec_child", NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child %d exited %d\n", pid, WEXITSTATUS(status));
    return 0;
}
