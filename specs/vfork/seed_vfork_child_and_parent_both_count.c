/*@forkspec
description: the last seed's vfork program: the child runs first in the parent's memory, increments count, prints and calls exit, which flushes the stdio buffer it shares with the parent; the parent resumes, sees count 1 and increments it again. The child's increment, printf and exit are all flagged by vfork-safety
modes: file tty pipe
forall stdout == "count is 1\ncount is 2\n"
forall processes == 2 and exit_status == 0
violates: vfork-safety
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main()
{
    pid_t pid;
    int count = 0;
    pid = vfork();
    count++;
    printf("count is %d\n", count);
    exit(0);
}
