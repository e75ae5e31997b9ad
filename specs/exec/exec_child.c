/*@forkspec
description: an image other specs exec (fork_exec_spec_chain.c): run on its own it prints its pid and its parent's, and exits 3
modes: file
forall stdout == "image: pid 1000 parent 1\n"
forall exit_status == 3 and processes == 1
*/
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("image: pid %d parent %d\n", getpid(), getppid());
    return 3;
}
