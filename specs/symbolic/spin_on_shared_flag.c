/*@forkspec
description: a parent spins on a MAP_SHARED page until its child sets the flag: no execution is longest (the spin may go on for ever), so the bound never covers every execution, yet the assert after the loop is 1-inductive with the flag's values (0 or 1) as a lemma
modes: file
properties: all-reaped no-deadlock
*/
#include <assert.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *flag = 0;
    if (fork() == 0) {
        *flag = 1;
        _exit(0);
    }
    while (*flag == 0)
        ;
    assert(*flag == 1);
    wait(NULL);
    return 0;
}
