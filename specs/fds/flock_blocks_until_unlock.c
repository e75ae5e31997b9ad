/*@forkspec
description: a blocking flock waits while another open file description holds a conflicting lock: the child, with its own open() of the file, gets LOCK_EX only after the parent's LOCK_UN, so "parent unlocks" always comes first
modes: file tty
forall stdout == "parent unlocks\nchild locked\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("flocked.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    flock(fd, LOCK_EX);
    if (fork() == 0) {
        int mine = open("flocked.txt", O_RDONLY);
        flock(mine, LOCK_EX);
        write(1, "child locked\n", 13);
        _exit(0);
    }
    write(1, "parent unlocks\n", 15);
    flock(fd, LOCK_UN);
    wait(NULL);
    return 0;
}
