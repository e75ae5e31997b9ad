/*@forkspec
description: found by the conformance generator (the converse of setvbuf_line_to_full_flushes_on_next_output.c): setvbuf(_IOLBF) with no buffer of its own only sets the flag and leaves the fully buffered write area in place, so putchar('\n') still stores into it without glibc's __overflow and its newline check; nothing is written before fork, and both processes print "ab\n"
modes: file tty pipe
forall stdout == "ab\nab\n"
forall processes == 2 and exit_status == 0
*/
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOFBF, 0);
    printf("ab");
    setvbuf(stdout, NULL, _IOLBF, 0);
    putchar('\n');
    fork();
    return 0;
}
