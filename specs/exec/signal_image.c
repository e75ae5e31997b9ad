/*@forkspec
description: an image item82_exec_resets_caught_signals.c execs: it raises SIGTERM, then SIGUSR1, printing after each; run on its own, SIGTERM's default action kills it before it prints
modes: file
forall stdout == ""
forall processes == 1
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    raise(SIGTERM);
    write(1, "after SIGTERM\n", 14);
    raise(SIGUSR1);
    write(1, "after SIGUSR1\n", 14);
    return 0;
}
