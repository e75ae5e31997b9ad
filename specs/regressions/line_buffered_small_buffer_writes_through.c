/*@forkspec
description: found by the conformance generator: a line-buffered stream with a buffer smaller than 128 bytes takes the same write-through path in glibc's xsputn as a fully buffered one: right after setvbuf the first output is written at once, the text after its last newline included, so _exit loses nothing
modes: file tty pipe
forall stdout == "a\nb"
forall processes == 1 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

char buf[100];

int main(void)
{
    setvbuf(stdout, buf, _IOLBF, 100);
    printf("a\nb");
    _exit(0);
}
