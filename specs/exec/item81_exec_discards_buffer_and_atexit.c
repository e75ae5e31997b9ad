/*@forkspec
description: reference items 38 and 81: a successful exec replaces the memory image, so the stdio buffer (unflushed "lost") and the atexit handler are gone; the pid and the parent stay, and exec does not return
modes: file tty pipe
forall stdout == "parent waits\nhi from echo\nchild status 0\n" or stdout == "hi from echo\nparent waits\nchild status 0\n"
forall [file,pipe] stdout.count("lost") == 0
forall processes == 2 and exit_status == 0
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

void handler(void) { printf("atexit handler\n"); }

int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        atexit(handler);
        printf("lost");
        execl("/bin/echo", "echo", "hi", "from", "echo", NULL);
        printf("exec returned\n");
        return 1;
    }
    write(1, "parent waits\n", 13);
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    return 0;
}
