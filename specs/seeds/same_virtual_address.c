/*@forkspec
description: seed 001, third example: &a and &b print the same virtual addresses in parent and child while the values differ (5 6 in the parent, 6 7 in the child), because each process maps them to its own physical copy
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall len(stdout.splitlines()) == 4 and stdout.count("Parent process:1000\n") == 1 and stdout.count("Child process:1001\n") == 1
forall matches(stdout, r"(?m)(?=.*^1000 5 6 (0x[0-9a-f]+) (0x[0-9a-f]+)$)(?=.*^1001 6 7 \1 \2$).*")
forall [file,pipe] matches(stdout, r"Parent process:1000\n1000 5 6 (0x[0-9a-f]+ 0x[0-9a-f]+)\nChild process:1001\n1001 6 7 \1\n|Child process:1001\n1001 6 7 (0x[0-9a-f]+ 0x[0-9a-f]+)\nParent process:1000\n1000 5 6 \2\n")
exists stdout.startswith("Parent process:1000\n")
exists stdout.startswith("Child process:1001\n")
forall stderr == ""
properties: cow-isolation pid-unique
violates: all-reaped
*/
#include<unistd.h>
#include<stdio.h>
int a=5;
int main()
{
int b=6,pid;
pid =fork();
if(pid<0)
{
printf("Error\n");
}
else if(pid==0)
{
a++;
b++;
printf("Child process:%d\n",getpid());
printf("%d %d %d %p %p\n",getpid(),a,b,&a,&b);
}
else
{
printf("Parent process:%d\n",getpid());
printf("%d %d %d %p %p\n",getpid(),a,b,&a,&b);
}
}
