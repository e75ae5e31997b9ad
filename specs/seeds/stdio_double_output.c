/*@forkspec
description: seed 003, stdio buffers: with stdout redirected to a file or pipe the buffered printf output is copied by fork and flushed by both processes at exit, so "hello world." appears twice and after the unbuffered write "Ciao"; on a terminal (line buffered) it appears once, first
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall [file,pipe] stdout == "Ciao\nhello world.\nhello world.\n"
forall [tty] stdout == "hello world.\nCiao\n"
forall stdout.count("Ciao\n") == 1
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char const *argv[])
{
    printf("hello world.\n");
    write(STDOUT_FILENO, "Ciao\n", 5);

    if (fork() == -1) {
        printf("fork error\n");
        exit(-1);
    }

    return 0;
}
