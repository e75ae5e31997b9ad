/*@forkspec
description: the documented cure for the first seed's story (pthread_atfork(3)): prepare takes the lock before fork, so no other thread holds it at the fork; the parent and child handlers release it, and the child's lock succeeds
modes: file tty pipe
forall stdout == "child has the lock\nparent done\n"
forall processes == 2 and exit_status == 0
properties: fork-thread-safety all-reaped
*/
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void take(void) { pthread_mutex_lock(&lock); }
void release(void) { pthread_mutex_unlock(&lock); }

void *worker(void *arg)
{
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_atfork(take, release, release);
    pthread_create(&t, NULL, worker, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(&lock);
        printf("child has the lock\n");
        pthread_mutex_unlock(&lock);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pthread_join(t, NULL);
    printf("parent done\n");
    return 0;
}
