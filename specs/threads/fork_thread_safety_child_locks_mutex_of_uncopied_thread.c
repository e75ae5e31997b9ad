/*@forkspec
description: the first seed's story: a thread holds a lock while another thread forks; the child has only the forking thread, and its lock call waits for ever for a thread that does not exist there (the parent, waiting for the child, is stuck too). It lives here, not in specs/violations, because C reproducers do not force thread interleavings
modes: file
violates: fork-thread-safety no-deadlock
*/
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *worker(void *arg)
{
    pthread_mutex_lock(&lock);
    sleep(1);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(&lock);
        printf("child has the lock\n");
        pthread_mutex_unlock(&lock);
        return 0;
    }
    waitpid(pid, NULL, 0);
    pthread_join(t, NULL);
    printf("parent done\n");
    return 0;
}
