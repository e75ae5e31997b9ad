/*@forkspec
description: the parent exits without waiting, so its child is left to init (all-reaped is violated)
modes: file
violates: all-reaped
forall sorted(stdout.splitlines()) == ["child", "parent"]
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

int main(void) {
    if (fork() == 0) {
        printf("child\n");
        return 0;
    }
    printf("parent\n");
    return 0;
}
