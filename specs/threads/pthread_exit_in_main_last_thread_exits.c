/*@forkspec
description: pthread_exit in main ends only the main thread; the process lives on until its last thread ends, and that end is exit(0): the shared stdout buffer is flushed, main's `return 3` never runs
modes: file tty pipe
forall stdout in ["main\nlate\n", "late\nmain\n"]
exists stdout == "main\nlate\n"
exists stdout == "late\nmain\n"
forall processes == 1 and exit_status == 0
*/
#include <pthread.h>
#include <stdio.h>

void *late(void *arg)
{
    printf("late\n");
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, late, NULL);
    printf("main\n");
    pthread_exit(NULL);
    return 3;
}
