/*@forkspec
description: found by the conformance generator: setvbuf on a stream already written to flushes it but leaves glibc's _IO_CURRENTLY_PUTTING flag set with the write pointers at the start of the new buffer, so the next output is stored byte by byte through __overflow and written out by the output after it; here "ab" is written before fork and only "cd" is buffered (and printed twice)
modes: file tty pipe
forall stdout == "xabcdcd"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

char buf[200];

int main(void)
{
    putchar('x');
    setvbuf(stdout, buf, _IOFBF, 200);
    printf("ab");
    printf("cd");
    fork();
    return 0;
}
