/*@forkspec
description: found by the conformance generator: a line-buffered glibc stream keeps its write area empty (_IO_write_end at the start of the buffer); setvbuf(_IOFBF) with no buffer of its own only changes the flags, so the next output finds no room, writes out what is buffered ("ab") and is buffered itself; fork copies only "cd"
modes: file tty pipe
forall stdout == "abcdcd"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ab");
    setvbuf(stdout, NULL, _IOFBF, 0);
    printf("cd");
    fork();
    return 0;
}
