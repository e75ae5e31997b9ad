/*@forkspec
description: fork then exec of /bin/true and /bin/false (execv with an argv array, execvp through PATH): exec keeps the pid, so the parent's waitpid for that pid gets the image's exit status
modes: file
forall stdout == "true 0\nfalse 1\n"
forall processes == 3 and exit_status == 0
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int run(char *path, int use_path) {
    char *argv[] = {path, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        if (use_path)
            execvp(path, argv);
        else
            execv(path, argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}

int main(void) {
    printf("true %d\n", run("/bin/true", 0));
    printf("false %d\n", run("false", 1));
    return 0;
}
