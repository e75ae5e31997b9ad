/*@forkspec
description: seed 004, count example: each process increments its own copy of count after fork, so "count is 1" is printed twice and never "count is 2"
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall stdout == "count is 1\ncount is 1\n"
forall stdout.count("count is 1\n") == 2
~exists "count is 2" in stdout
forall stderr == ""
properties: cow-isolation pid-unique
violates: all-reaped
*/
#include "unistd.h"
#include "stdio.h"
#include "stdlib.h"

int main() {
    pid_t pid;
    int count = 0;
    pid = fork();
    count++;
    printf ( "count is %d\n", count );
    exit ( 0 );
}
