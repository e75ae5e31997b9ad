/*@forkspec
description: threads of one process share memory and interleave: two unlocked increments of a shared counter can lose one (load, load, store, store); under a mutex none is lost
modes: file
forall stdout in ["racy=2 locked=2\n", "racy=1 locked=2\n"]
exists stdout == "racy=1 locked=2\n"
exists stdout == "racy=2 locked=2\n"
forall processes == 1 and exit_status == 0
*/
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
int racy = 0;
int locked = 0;

void *worker(void *arg)
{
    racy++;
    pthread_mutex_lock(&m);
    locked++;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, worker, NULL);
    pthread_create(&t2, NULL, worker, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("racy=%d locked=%d\n", racy, locked);
    return 0;
}
