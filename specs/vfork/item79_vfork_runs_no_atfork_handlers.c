/*@forkspec
description: reference item 79: vfork runs no pthread_atfork handlers (fork does)
modes: file tty pipe
forall stdout == "after vfork\nprepare\nparent\nafter fork\n"
forall processes == 3 and exit_status == 0
properties: vfork-safety all-reaped
*/
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void prepare(void) { write(1, "prepare\n", 8); }
void parent(void) { write(1, "parent\n", 7); }

int main(void)
{
    pthread_atfork(prepare, parent, NULL);
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    write(1, "after vfork\n", 12);
    waitpid(pid, NULL, 0);
    pid = fork();
    if (pid == 0)
        _exit(0);
    write(1, "after fork\n", 11);
    waitpid(pid, NULL, 0);
    return 0;
}
