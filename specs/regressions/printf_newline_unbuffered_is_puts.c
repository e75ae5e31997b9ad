/*@forkspec
description: found by the conformance generator: cc compiles printf("a\n") (no conversion, one trailing newline) as puts("a"), and on an unbuffered stream glibc's puts is two write(2) calls, the string then the newline, so another process's output can come between them
modes: file tty pipe
forall stdout in ["a\nb\n", "b\na\n", "ab\n\n", "ba\n\n"]
exists stdout == "ab\n\n"
exists stdout == "ba\n\n"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (fork() == 0) {
        printf("a\n");
        return 0;
    }
    printf("b\n");
    wait(NULL);
    return 0;
}
