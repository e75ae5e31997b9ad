/*@forkspec
description: seed 001, second example: the child increments the global a and the local b; its copies change (6 7) while the parent still sees 5 6, so data is copied, not shared
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall sorted(stdout.splitlines()) == sorted(["Parent process:1000", "1000 5 6", "Child process:1001", "1001 6 7"])
forall [file,pipe] stdout in ["Parent process:1000\n1000 5 6\nChild process:1001\n1001 6 7\n", "Child process:1001\n1001 6 7\nParent process:1000\n1000 5 6\n"]
forall stdout.find("Parent process:1000\n") < stdout.find("1000 5 6\n") and stdout.find("Child process:1001\n") < stdout.find("1001 6 7\n")
exists stdout.startswith("Parent process:1000\n")
exists stdout.startswith("Child process:1001\n")
exists [tty] stdout == "Parent process:1000\nChild process:1001\n1001 6 7\n1000 5 6\n"
~exists "1000 6" in stdout or "1001 5" in stdout
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
printf("%d %d %d\n",getpid(),a,b);
}
else
{
printf("Parent process:%d\n",getpid());
printf("%d %d %d\n",getpid(),a,b);
}
}
