/*@forkspec
description: reference item 27: a record lock is released when its owner closes any fd of the file (here a second open of it), so the child that forks afterwards sees no lock; a child closing its own fds would not release the parent's lock
modes: file
forall stdout == "before close: locked 1\nafter close: unlocked 1\n"
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int probe(int fd, const char *when) {
    if (fork() == 0) {
        struct flock q = {F_WRLCK, SEEK_SET, 0, 0};
        fcntl(fd, F_GETLK, &q);
        if (q.l_type == F_UNLCK)
            printf("%s: unlocked 1\n", when);
        else
            printf("%s: locked %d\n", when, q.l_pid == getppid());
        _exit(0);
    }
    wait(NULL);
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("locked.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct flock wr = {F_WRLCK, SEEK_SET, 0, 0};
    fcntl(fd, F_SETLK, &wr);
    probe(fd, "before close");
    int fd5 = open("locked.txt", O_RDONLY);
    close(fd5);
    probe(fd, "after close");
    return 0;
}
