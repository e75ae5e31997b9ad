/*@forkspec
description: reference item 34: fork copies the unflushed stdio buffer; printf("hello\n"); fork(); printf("bye\n"); without any wait gives hello once on a terminal and twice when redirected (each process flushes its own copy at exit)
modes: tty file pipe
forall [tty] stdout == "hello\nbye\nbye\n"
forall [file,pipe] stdout == "hello\nbye\nhello\nbye\n"
forall [file,pipe] stdout.count("hello\n") == 2
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("hello\n");
    fork();
    printf("bye\n");
    return 0;
}
