/*@forkspec
description: reference item 48: a parent sees only status & 0xff of its child's exit(v): 0->0, 1->1, 255->255, 256->0, 257->1, -1->255, 300->44, 511->255, raw status (v & 0xff) << 8 (the parent flushes each line so the exiting children have nothing buffered to repeat); _exit(300) also gives 44, and the shell sees main's return 511 as 255
modes: tty file pipe
forall stdout == "exit(0) -> WIFEXITED=1 WEXITSTATUS=0 raw=0x0\nexit(1) -> WIFEXITED=1 WEXITSTATUS=1 raw=0x100\nexit(255) -> WIFEXITED=1 WEXITSTATUS=255 raw=0xff00\nexit(256) -> WIFEXITED=1 WEXITSTATUS=0 raw=0x0\nexit(257) -> WIFEXITED=1 WEXITSTATUS=1 raw=0x100\nexit(-1) -> WIFEXITED=1 WEXITSTATUS=255 raw=0xff00\nexit(300) -> WIFEXITED=1 WEXITSTATUS=44 raw=0x2c00\nexit(511) -> WIFEXITED=1 WEXITSTATUS=255 raw=0xff00\n_exit(300) -> WEXITSTATUS=44 WIFSIGNALED=0\n"
forall exit_status == 255
forall processes == 10
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int vals[8] = {0, 1, 255, 256, 257, -1, 300, 511};

int main(void)
{
    int i;
    int status;
    pid_t pid;

    for (i = 0; i < 8; i++) {
        pid = fork();
        if (pid == 0)
            exit(vals[i]);
        waitpid(pid, &status, 0);
        printf("exit(%d) -> WIFEXITED=%d WEXITSTATUS=%d raw=0x%x\n",
               vals[i], WIFEXITED(status) != 0, WEXITSTATUS(status), status);
        fflush(stdout);
    }
    pid = fork();
    if (pid == 0)
        _exit(300);
    waitpid(pid, &status, 0);
    printf("_exit(300) -> WEXITSTATUS=%d WIFSIGNALED=%d\n",
           WEXITSTATUS(status), WIFSIGNALED(status) != 0);
    return 511;
}
