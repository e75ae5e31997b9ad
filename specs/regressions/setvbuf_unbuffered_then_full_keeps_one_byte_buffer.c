/*@forkspec
description: found by the conformance generator: after _IONBF the stream's buffer is glibc's one-byte _shortbuf, and setvbuf(_IOFBF) with no buffer of its own keeps it; a buffer that small makes the first output go straight to write(2), so fork does not copy it and it is printed once
modes: file tty pipe
forall stdout == "ab"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stdout, NULL, _IOFBF, 0);
    printf("ab");
    fork();
    return 0;
}
