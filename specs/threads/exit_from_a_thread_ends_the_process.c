/*@forkspec
description: exit() from any thread ends the whole process: it flushes the shared stdout buffer and main, waiting in pthread_join, never prints again; the start routine's result reaches pthread_join otherwise
modes: file tty pipe
forall stdout == "main\njoined 7\nthread\n"
forall processes == 1 and exit_status == 3
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void *seven(void *arg)
{
    return (void *) 7;
}

void *quitter(void *arg)
{
    printf("thread\n");
    exit(3);
}

int main(void)
{
    pthread_t t;
    void *r;
    printf("main\n");
    pthread_create(&t, NULL, seven, NULL);
    pthread_join(t, &r);
    printf("joined %ld\n", (long) r);
    pthread_create(&t, NULL, quitter, NULL);
    pthread_join(t, NULL);
    printf("never\n");
    return 0;
}
