/*@forkspec
description: seed 001, first example: fork() returns twice, 0 in the child and the child's pid in the parent, so "Hello" is printed by both processes and each prints its own role line
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall stdout.count("Hello\n") == 2 and stdout.count("I'm child process.\n") == 1 and stdout.count("I'm parent process.\n") == 1
forall [file,pipe] stdout in ["Hello\nI'm parent process.\nHello\nI'm child process.\n", "Hello\nI'm child process.\nHello\nI'm parent process.\n"]
forall [tty] stdout in ["Hello\nI'm parent process.\nHello\nI'm child process.\n", "Hello\nI'm child process.\nHello\nI'm parent process.\n", "Hello\nHello\nI'm parent process.\nI'm child process.\n", "Hello\nHello\nI'm child process.\nI'm parent process.\n"]
exists stdout.endswith("I'm child process.\n")
exists stdout.endswith("I'm parent process.\n")
exists [tty] stdout == "Hello\nHello\nI'm child process.\nI'm parent process.\n"
forall stderr == ""
properties: pid-unique
violates: all-reaped
*/
#include<stdio.h>
#include<unistd.h>
#include<stdlib.h>
int main()
{
int pid;
pid=fork();
printf("Hello\n");
if(pid==0)
printf("I'm child process.\n");
else
printf("I'm parent process.\n");
return 0;
}
