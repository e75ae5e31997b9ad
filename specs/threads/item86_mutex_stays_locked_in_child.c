/*@forkspec
description: reference item 86: a mutex another thread holds at fork is copied locked, and nothing in the child ever unlocks it: the child's trylock gets EBUSY (a plain lock would wait for ever), while the parent's thread unlocks its own copy
modes: file tty pipe
forall stdout == "child: trylock EBUSY\nparent: trylock 0\n"
forall processes == 2 and exit_status == 0
properties: all-reaped fork-thread-safety
*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
volatile int locked = 0;
volatile int done = 0;

void *holder(void *arg)
{
    pthread_mutex_lock(&m);
    locked = 1;
    while (!done)
        ;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    while (!locked)
        ;
    pid_t pid = fork();
    if (pid == 0) {
        int r = pthread_mutex_trylock(&m);
        printf("child: trylock %s\n", r == EBUSY ? "EBUSY" : "free");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    done = 1;
    pthread_join(t, NULL);
    printf("parent: trylock %d\n", pthread_mutex_trylock(&m));
    return 0;
}
