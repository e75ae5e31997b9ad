/*@forkspec
description: reference item 25: two processes that open the same file separately with O_APPEND each write at the end of file atomically, so no write is overwritten and the file holds all four bytes
modes: file
forall stdout in ("size 4\n",)
forall processes == 2 and exit_status == 0
properties: all-reaped no-lost-write
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    close(open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    pid_t pid = fork();
    int fd = open("log.txt", O_WRONLY | O_APPEND);
    write(fd, pid == 0 ? "c" : "p", 1);
    write(fd, pid == 0 ? "c" : "p", 1);
    if (pid == 0)
        _exit(0);
    wait(NULL);
    printf("size %ld\n", (long)lseek(fd, 0, SEEK_END));
    return 0;
}
