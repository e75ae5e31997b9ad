/*@forkspec
description: reference item 26: fcntl record locks belong to the process, so the child does not inherit its parent's write lock: its conflicting F_SETLK fails with EAGAIN and F_GETLK names the parent as the owner
modes: file
forall stdout == "child: setlk -1 EAGAIN=1, owner is parent 1, type F_WRLCK 1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("locked.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct flock wr = {F_WRLCK, SEEK_SET, 0, 0};
    fcntl(fd, F_SETLK, &wr);
    if (fork() == 0) {
        struct flock mine = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        int r = fcntl(fd, F_SETLK, &mine);
        int e = errno;
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        fcntl(fd, F_GETLK, &q);
        printf("child: setlk %d EAGAIN=%d, owner is parent %d, type F_WRLCK %d\n", r, e == EAGAIN,
               q.l_pid == getppid(), q.l_type == F_WRLCK);
        return 0;
    }
    wait(NULL);
    return 0;
}
