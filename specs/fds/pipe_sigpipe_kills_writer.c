/*@forkspec
description: a write to a pipe whose read ends are all closed raises SIGPIPE, whose default action kills the writer: the parent sees WIFSIGNALED with WTERMSIG 13 and the line after the write never appears
modes: file
forall stdout == "signaled 1 sig 13\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int fds[2];
    pipe(fds);
    close(fds[0]);
    pid_t pid = fork();
    if (pid == 0) {
        write(fds[1], "x", 1);
        write(1, "after write\n", 12);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("signaled %d sig %d\n", WIFSIGNALED(status), WTERMSIG(status));
    return 0;
}
