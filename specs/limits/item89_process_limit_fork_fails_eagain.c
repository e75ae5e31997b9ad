/*@forkspec
description: reference item 89 and Open POSIX fork assertion 24: past the process limit (RLIMIT_NPROC, here max-procs 2; a zombie still counts until it is reaped) fork returns -1 with errno EAGAIN and creates no child, so wait finds only the first
modes: file tty
max-procs: 2
forall stdout == "first=1001 second=-1 EAGAIN=1\nreaped 1001\nthen -1 ECHILD=1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    pid_t a = fork();
    if (a == 0)
        _exit(0);
    pid_t b = fork();
    if (b == 0)
        _exit(0);
    printf("first=%d second=%d EAGAIN=%d\n", a, b, b == -1 && errno == EAGAIN);
    printf("reaped %d\n", wait(NULL));
    int r = wait(NULL);
    printf("then %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
