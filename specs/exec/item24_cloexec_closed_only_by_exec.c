/*@forkspec
description: reference items 24 and 83: FD_CLOEXEC is per fd and copied by fork; a failed exec (ENOENT) leaves the fd open and the process running, a successful one closes it: /bin/echo then finds its stdout closed, says so on stderr and exits 1
modes: file tty
forall stdout == "after failed exec: -1 ENOENT=1, fd 1 cloexec 1\nchild exit 1\n"
forall stderr == "echo: write error: Bad file descriptor\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        fcntl(1, F_SETFD, FD_CLOEXEC);
        int r = execl("./no_such_program", "no_such_program", NULL);
        printf("after failed exec: %d ENOENT=%d, fd 1 cloexec %d\n", r, errno == ENOENT, fcntl(1, F_GETFD));
        fflush(stdout);
        execlp("echo", "echo", "unseen", NULL);
        _exit(2);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
