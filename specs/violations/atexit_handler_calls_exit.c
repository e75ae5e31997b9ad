/*@forkspec
description: a handler that calls _exit skips the remaining handlers and the stdio flush (reference item 44)
modes: file
violates: atexit-reverse-order
forall stdout == ""
forall exit_status == 0
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void A(void) { printf("A never runs\n"); }
void X(void) { _exit(0); }

int main(void) {
    printf("lost");
    atexit(A);
    atexit(X);
    exit(0);
}
