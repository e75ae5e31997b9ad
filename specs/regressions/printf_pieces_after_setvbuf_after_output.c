/*@forkspec
description: found by the conformance generator: after setvbuf on a stream already written to (stale write area, see setvbuf_after_output_writes_on_next_call.c), each piece of a printf (literal text, a conversion) is a call of its own: "a" is stored, the conversion's "1" writes "a" out and is stored in turn, so only "1" is buffered when fork copies the stream
modes: file tty pipe
forall stdout == "xa11"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

char buf[200];

int main(void)
{
    putchar('x');
    setvbuf(stdout, buf, _IOFBF, 200);
    printf("a%d", 1);
    fork();
    return 0;
}
