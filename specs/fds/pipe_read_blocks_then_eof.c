/*@forkspec
description: a read of an empty pipe blocks while a writer is open and returns 0 (end of file) once every write end is closed; the parent closes its own write end first, or its read would wait for ever
modes: file tty pipe
forall stdout == "read 5: hello\nread 0\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int fds[2];
    char buf[16];
    pipe(fds);
    if (fork() == 0) {
        close(fds[0]);
        write(fds[1], "hello", 5);
        _exit(0);
    }
    close(fds[1]);
    int n = read(fds[0], buf, sizeof buf - 1);
    buf[n] = 0;
    printf("read %d: %s\n", n, buf);
    printf("read %d\n", (int)read(fds[0], buf, sizeof buf - 1));
    wait(NULL);
    return 0;
}
