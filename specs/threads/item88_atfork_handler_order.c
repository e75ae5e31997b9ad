/*@forkspec
description: reference item 88: pthread_atfork prepare handlers run newest first before the fork; parent and child handlers run oldest first after it, each in its own process (the two processes' lines interleave); a NULL handler is skipped
modes: file tty pipe
forall stdout in ["prepare2\nprepare1\nparent1\nparent2\nchild1\nchild2\n", "prepare2\nprepare1\nparent1\nchild1\nparent2\nchild2\n", "prepare2\nprepare1\nparent1\nchild1\nchild2\nparent2\n", "prepare2\nprepare1\nchild1\nparent1\nparent2\nchild2\n", "prepare2\nprepare1\nchild1\nparent1\nchild2\nparent2\n", "prepare2\nprepare1\nchild1\nchild2\nparent1\nparent2\n"]
exists stdout == "prepare2\nprepare1\nparent1\nparent2\nchild1\nchild2\n"
exists stdout == "prepare2\nprepare1\nchild1\nchild2\nparent1\nparent2\n"
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void prepare1(void) { write(1, "prepare1\n", 9); }
void prepare2(void) { write(1, "prepare2\n", 9); }
void parent1(void) { write(1, "parent1\n", 8); }
void parent2(void) { write(1, "parent2\n", 8); }
void child1(void) { write(1, "child1\n", 7); }
void child2(void) { write(1, "child2\n", 7); }

int main(void)
{
    pthread_atfork(prepare1, parent1, child1);
    pthread_atfork(prepare2, parent2, child2);
    pthread_atfork(NULL, NULL, NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return 0;
}
