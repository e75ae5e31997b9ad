/*@forkspec
description: reference items 35 and 39: setvbuf(stdout, NULL, _IONBF, 0) as the first operation on stdout makes it unbuffered, so nothing is pending at fork and hello (and an x without newline) is printed once in every mode
modes: tty file pipe
forall stdout == "hello\nxbyebye"
forall stdout.count("hello\n") == 1 and stdout.count("x") == 1
forall processes == 2 and exit_status == 0
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("hello\n");
    printf("x");
    fork();
    printf("bye");
    return 0;
}
