/*@forkspec
description: "can the output ever be X?": parent and child each write one byte with write(2); both orders are possible, a doubled byte never is
exists stdout == "pc"
exists stdout == "cp"
~exists stdout == "pp" or stdout == "cc"
forall len(stdout) == 2
properties: all-reaped
*/
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    if (fork() == 0) {
        write(1, "c", 1);
        _exit(0);
    }
    write(1, "p", 1);
    wait(NULL);
    return 0;
}
