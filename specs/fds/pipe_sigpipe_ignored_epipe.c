/*@forkspec
description: with SIGPIPE ignored, a write to a pipe without a reader does not kill the writer; it fails with EPIPE (items 36, 71)
modes: file tty
forall stdout == "-1 1\n"
forall exit_status == 0
*/
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
int main(void)
{
    int fd[2];
    pipe(fd);
    close(fd[0]);
    signal(SIGPIPE, SIG_IGN);
    int r = write(fd[1], "x", 1);
    printf("%d %d\n", r, errno == EPIPE);
    return 0;
}
