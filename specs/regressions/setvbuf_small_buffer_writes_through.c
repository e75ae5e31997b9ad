/*@forkspec
description: found by the conformance generator: with a buffer smaller than 128 bytes, glibc's fwrite/fputs/printf (_IO_new_file_xsputn) writes what does not fit in the space left straight to write(2); right after setvbuf that space is 0, so the first output is written at once, fork does not copy it and it is printed once
modes: file tty pipe
forall stdout == "ab"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

char buf[16];

int main(void)
{
    setvbuf(stdout, buf, _IOFBF, 16);
    printf("ab");
    fork();
    return 0;
}
