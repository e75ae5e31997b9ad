/*@forkspec
description: reference item 22: file status flags belong to the open file description, so O_APPEND set with F_SETFL in the child shows in the parent's F_GETFL; FD_CLOEXEC (F_SETFD) is per fd and does not
modes: file
forall stdout == "append 1\ncloexec 0\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd = open("flags.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fork() == 0) {
        fcntl(fd, F_SETFL, O_APPEND);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        _exit(0);
    }
    wait(NULL);
    printf("append %d\n", !!(fcntl(fd, F_GETFL) & O_APPEND));
    printf("cloexec %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    return 0;
}
