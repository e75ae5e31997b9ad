/*@forkspec
description: reference item 20: fork copies the fd table and each copy refers to the same open file description, so three children reading one byte each through the inherited fd read a, b and c, each byte once, in an order the scheduler picks
modes: file
forall sorted(stdout.split()) == ["a", "b", "c"]
forall processes == 4 and exit_status == 0
properties: all-reaped pid-unique no-lost-write
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("abc.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "abc", 3);
    lseek(fd, 0, SEEK_SET);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) {
            char c[3];
            read(fd, c, 1);
            c[1] = '\n';
            write(1, c, 2);
            _exit(0);
        }
    }
    for (int i = 0; i < 3; i++)
        wait(NULL);
    return 0;
}
