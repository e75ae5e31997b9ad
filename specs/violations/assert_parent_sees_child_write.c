/*@forkspec
description: a parent that expects to see its child's increment is wrong: the assertion fails in the parent (reference item 11)
modes: file
violates: assert
forall exit_status == 134
forall "Assertion `g == 2' failed." in stderr
*/
#include <assert.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int g = 1;

int main(void) {
    if (fork() == 0) {
        g = 2;
        return 0;
    }
    wait(NULL);
    assert(g == 2);
    return 0;
}
