/*@forkspec
description: found by the conformance generator: glibc's printf hands its output to the stream piece by piece (each run of literal text, each conversion: one _IO_sputn each); with a buffer smaller than 128 bytes only the first piece after setvbuf is written through, the conversion's digits are then buffered, so fork copies them and they are printed twice
modes: file tty pipe
forall stdout == "a11"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

char buf[16];

int main(void)
{
    setvbuf(stdout, buf, _IOFBF, 16);
    printf("a%d", 1);
    fork();
    return 0;
}
