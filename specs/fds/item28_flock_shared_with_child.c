/*@forkspec
description: reference item 28: a flock lock belongs to the open file description, so the child shares the parent's LOCK_EX and can take it again through the inherited fd, while a lock through its own new open() of the file conflicts (EWOULDBLOCK)
modes: file
forall stdout == "inherited fd: 0\nnew open: -1 EWOULDBLOCK=1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("flocked.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    flock(fd, LOCK_EX);
    if (fork() == 0) {
        printf("inherited fd: %d\n", flock(fd, LOCK_EX | LOCK_NB));
        int other = open("flocked.txt", O_RDONLY);
        int r = flock(other, LOCK_EX | LOCK_NB);
        printf("new open: %d EWOULDBLOCK=%d\n", r, errno == EWOULDBLOCK);
        return 0;
    }
    wait(NULL);
    return 0;
}
