/*@forkspec
description: reference item 85: fork copies only the thread that called it; the other thread, waiting for `go`, runs on in the parent only, so its line is printed once although the child sets its own copy of `go` too
modes: file tty pipe
forall stdout == "thread\n"
forall processes == 2 and exit_status == 0
properties: all-reaped fork-thread-safety
*/
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

volatile int go = 0;

void *waiter(void *arg)
{
    while (!go)
        ;
    write(1, "thread\n", 7);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pid_t pid = fork();
    go = 1;
    if (pid == 0)
        _exit(0);
    pthread_join(t, NULL);
    waitpid(pid, NULL, 0);
    return 0;
}
