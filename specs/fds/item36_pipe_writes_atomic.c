/*@forkspec
description: reference item 36: writes of at most PIPE_BUF bytes to a pipe are atomic, so the blocks of two writers never mix inside a block; their order is up to the scheduler
modes: file
forall stdout in ("aaabbbAAABBB\n", "aaaAAAbbbBBB\n", "aaaAAABBBbbb\n", "AAAaaabbbBBB\n", "AAAaaaBBBbbb\n", "AAABBBaaabbb\n")
forall processes == 3 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int fds[2];
    pipe(fds);
    if (fork() == 0) {
        write(fds[1], "aaa", 3);
        write(fds[1], "bbb", 3);
        _exit(0);
    }
    if (fork() == 0) {
        write(fds[1], "AAA", 3);
        write(fds[1], "BBB", 3);
        _exit(0);
    }
    close(fds[1]);
    char buf[16];
    int n;
    while ((n = read(fds[0], buf, 3)) > 0)
        write(1, buf, n);
    write(1, "\n", 1);
    wait(NULL);
    wait(NULL);
    return 0;
}
