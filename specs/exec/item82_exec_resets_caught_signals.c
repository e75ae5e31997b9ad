/*@forkspec
description: item 82: exec resets a caught signal to SIG_DFL and keeps an ignored one ignored; the image (signal_image.c) survives its SIGTERM, which was ignored before exec, and dies of SIGUSR1, whose handler exec dropped
modes: file tty
forall stdout == "after SIGTERM\nkilled by 10\n"
forall processes == 2 and exit_status == 0
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

void on_usr1(int sig) { }

int main(void) {
    int status;
    signal(SIGUSR1, on_usr1);
    signal(SIGTERM, SIG_IGN);
    pid_t pid = fork();
    if (pid == 0) {
        execl("./signal_image", "signal_image", NULL);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("killed by %d\n", WTERMSIG(status));
    else
        printf("exited %d\n", WEXITSTATUS(status));
    return 0;
}
