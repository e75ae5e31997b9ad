/*@forkspec
description: stdout redirected to a file with dup2 before any output: glibc decides stdout's buffering at its first output, so even on a terminal it is then fully buffered, fork copies the unflushed line and both processes write it to the file; the saved terminal fd shows the file
modes: tty file
forall stdout == "file: buffered\nbuffered\n"
forall processes == 2 and exit_status == 0
properties: all-reaped no-lost-write
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int saved = dup(1);
    int fd = open("out.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    printf("buffered\n");
    if (fork() == 0)
        return 0;
    wait(NULL);
    fflush(stdout);
    char buf[64];
    lseek(fd, 0, SEEK_SET);
    int n = read(fd, buf, sizeof buf - 1);
    write(saved, "file: ", 6);
    write(saved, buf, n);
    close(fd);
    close(1);
    return 0;
}
