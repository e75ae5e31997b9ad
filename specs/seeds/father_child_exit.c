/*@forkspec
description: seed 004, first example: after fork the parent (pid > 0) prints the father line and the child prints the child line, both then exit(0); the order is up to the scheduler
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall stdout in ["This is father process\nThis is child process\n", "This is child process\nThis is father process\n"]
exists stdout.startswith("This is father process\n")
exists stdout.startswith("This is child process\n")
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include "unistd.h"
#include "stdio.h"

int main() {
    pid_t pid;
    pid = fork();

    if ( pid > 0 ) {
        printf ( "This is father process\n" );
        exit ( 0 );
    } else {
        printf ( "This is child process\n" );
        exit ( 0 );
    }
}
