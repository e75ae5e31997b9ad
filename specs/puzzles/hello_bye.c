/*@forkspec
description: reference section 3, puzzle P4: printf("hello\n"); fork(); printf("bye\n"); gives hello once on a terminal but twice when redirected, where each process writes its identical buffer "hello\nbye\n" at exit
modes: tty file pipe
forall [tty] stdout == "hello\nbye\nbye\n"
forall [file,pipe] stdout == "hello\nbye\nhello\nbye\n"
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    printf("hello\n");
    fork();
    printf("bye\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
