/*@forkspec
description: reference item 25: without O_APPEND, separate open()s have separate offsets, so two processes writing from offset 0 overwrite each other's bytes whichever goes first
modes: file
violates: no-lost-write
properties: all-reaped
exists stdout == "file ccpp\n"
exists stdout == "file pppp\n"
forall stdout in ("file ccpp\n", "file pppp\n")
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    close(open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    pid_t pid = fork();
    int fd = open("log.txt", O_RDWR);
    if (pid == 0) {
        write(fd, "cc", 2);
        _exit(0);
    }
    write(fd, "pppp", 4);
    wait(NULL);
    char buf[8];
    lseek(fd, 0, SEEK_SET);
    int n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("file %s\n", buf);
    return 0;
}
