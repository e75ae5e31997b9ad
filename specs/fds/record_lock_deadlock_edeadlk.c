/*@forkspec
description: two processes each hold a record lock on one byte and then wait (F_SETLKW) for the other's (the parent's lock is not inherited): the kernel sees the cycle and fails the second request with EDEADLK instead of letting both wait for ever
modes: file
forall stdout in ("parent EDEADLK\nchild locked\n", "child EDEADLK\n")
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int lock(int fd, int start, int cmd) {
    struct flock fl = {F_WRLCK, SEEK_SET, start, 1};
    return fcntl(fd, cmd, &fl);
}

int main(void) {
    int fd = open("two.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int ready[2];
    char b[2];
    pipe(ready);
    lock(fd, 0, F_SETLK);
    pid_t pid = fork();
    if (pid == 0) {
        lock(fd, 1, F_SETLK);
        write(ready[1], "r", 1);
        if (lock(fd, 0, F_SETLKW) == -1 && errno == EDEADLK) {
            write(1, "child EDEADLK\n", 14);
            _exit(0);
        }
        write(1, "child locked\n", 13);
        _exit(0);
    }
    read(ready[0], b, 1);
    if (lock(fd, 1, F_SETLKW) == -1 && errno == EDEADLK) {
        write(1, "parent EDEADLK\n", 15);
        close(fd);
    }
    wait(NULL);
    return 0;
}
