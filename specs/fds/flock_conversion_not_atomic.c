/*@forkspec
description: converting a flock lock is not atomic (flock(2)): the shared lock is dropped first, so a failed LOCK_EX|LOCK_NB conversion leaves nothing held and the other holder's conversion then succeeds
modes: file
forall stdout == "convert a: -1 EWOULDBLOCK=1\nconvert b: 0\nchild through a: -1\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

int main(void) {
    int a = open("f.lock", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int b = open("f.lock", O_RDWR);
    flock(a, LOCK_SH);
    flock(b, LOCK_SH);
    int r = flock(a, LOCK_EX | LOCK_NB);
    printf("convert a: %d EWOULDBLOCK=%d\n", r, errno == EWOULDBLOCK);
    printf("convert b: %d\n", flock(b, LOCK_EX | LOCK_NB));
    fflush(stdout);
    if (fork() == 0) {
        printf("child through a: %d\n", flock(a, LOCK_SH | LOCK_NB));
        return 0;
    }
    wait(NULL);
    return 0;
}
