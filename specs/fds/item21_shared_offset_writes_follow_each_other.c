/*@forkspec
description: reference item 21: the file offset is shared after fork; the child's write moves the parent's offset, so the parent's lseek(fd, 0, SEEK_CUR) gives 6 and its next write lands after the child's: the file is AAAABBCC, nothing overwritten
modes: file tty
forall stdout == "offset 6\nfile AAAABBCC\n"
forall processes == 2 and exit_status == 0
properties: all-reaped no-lost-write
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "AAAA", 4);
    if (fork() == 0) {
        write(fd, "BB", 2);
        _exit(0);
    }
    wait(NULL);
    printf("offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    write(fd, "CC", 2);
    char buf[16];
    lseek(fd, 0, SEEK_SET);
    int n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("file %s\n", buf);
    return 0;
}
