/*@forkspec
description: reference items 11 and 12 for the heap: malloc'd ints and int arrays are private pages, copied on write at fork; the block's address is the same in both processes (the child hands its pointer over through a shared page)
modes: file tty pipe
forall stdout == "child: n=2 a[3]=30\nparent: n=1 a[3]=3 same address=1\n"
forall processes == 2 and exit_status == 0
properties: cow-isolation all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    long *seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *n = malloc(sizeof(int));
    int *a = malloc(4 * sizeof(int));
    int i;
    *n = 1;
    for (i = 0; i < 4; i++)
        a[i] = i;
    if (fork() == 0) {
        *n = 2;
        a[3] = 30;
        seen[0] = (long) a;
        printf("child: n=%d a[3]=%d\n", *n, a[3]);
        free(a);
        free(n);
        exit(0);
    }
    wait(NULL);
    printf("parent: n=%d a[3]=%d same address=%d\n", *n, a[3], seen[0] == (long) a);
    free(a);
    free(n);
    return 0;
}
