/*@forkspec
description: reference item 23: closing an fd in the child closes only the child's fd; the parent's fd still works, and a second close in the child fails with EBADF
modes: file
forall stdout == "child: close 0, again -1 EBADF=1\nparent: fd open 1, wrote 2\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("closed.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fork() == 0) {
        int a = close(fd);
        int b = close(fd);
        printf("child: close %d, again %d EBADF=%d\n", a, b, errno == EBADF);
        return 0;
    }
    wait(NULL);
    printf("parent: fd open %d, wrote %d\n", fcntl(fd, F_GETFD) != -1, (int)write(fd, "ok", 2));
    return 0;
}
