/*@forkspec
description: a handler registered while exit runs handlers goes first, so the order is not the reverse of registration (reference item 41)
modes: file tty
violates: atexit-reverse-order
forall stdout == "B\nC\nA\n"
*/
#include <stdio.h>
#include <stdlib.h>

void C(void) { printf("C\n"); }
void A(void) { printf("A\n"); }
void B(void) { printf("B\n"); atexit(C); }

int main(void) {
    atexit(A);
    atexit(B);
    exit(0);
}
