/*@forkspec
description: reference section 3, puzzle P2 textbook variant: fork() && fork() || fork(); fork(); makes 10 processes, each printing "forked"
modes: tty file pipe
forall stdout == "forked\nforked\nforked\nforked\nforked\nforked\nforked\nforked\nforked\nforked\n"
forall stdout.count("forked\n") == 10
forall processes == 10 and exit_status == 0
forall stderr == ""
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    fork() && fork() || fork();
    fork();
    printf("forked\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
