/*@forkspec
description: reference items 75 and 77: vfork suspends the parent until the child ends, so the child's line comes first; the child's exit() flushes the stdio buffer it shares with the parent, so the parent's buffered text comes out once, inside the child's exit; calling write and exit in a vfork child is flagged
modes: file tty pipe
forall stdout == "[child]buffered [parent]"
forall processes == 2 and exit_status == 0
violates: vfork-safety
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    printf("buffered ");
    if (!vfork()) {
        write(1, "[child]", 7);
        exit(0);
    }
    write(1, "[parent]", 8);
    return 0;
}
