/*@forkspec
description: reference item 11: parent and child have separate address spaces; the child's writes to a global, a local and an array element are never seen by the parent, which prints 1 after waiting
modes: tty file pipe
forall stdout == "1 1 1\n"
~exists "2" in stdout
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped cow-isolation no-shared-writable-page pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int g = 1;

int main(void)
{
    int local = 1;
    int arr[3];

    arr[1] = 1;
    if (!fork()) {
        g = 2;
        local = 2;
        arr[1] = 2;
        _exit(0);
    }
    wait(NULL);
    printf("%d %d %d\n", g, local, arr[1]);
    fflush(stdout);
    return 0;
}
