/*@forkspec
description: reference puzzle P5 and item 78: a vfork child that returns from main runs exit() and tears down the frame its suspended parent resumes into; what the parent then prints is unbounded (garbage, 1 or 2 on Linux). The model flags the return and stops the branch there, so it yields no outcome and ends stuck
modes: file
violates: vfork-safety no-deadlock
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    int x = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        x = 2;
        return 0;
    }
    printf("parent x=%d\n", x);
    return 0;
}
