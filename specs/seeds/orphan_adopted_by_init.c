/*@forkspec
description: seed 001, last example (missing closing brace added): the parent returns without waiting; once it has exited the sleeping child is adopted by init and getppid() returns 1 instead of the parent's pid 1000
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall stdout.count("Parent Process:pid=1000,ppid=1,v=1\n") == 1 and stdout.count("Child Process:pid=1001,") == 2
forall [file,pipe] stdout in ["Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1000,v=2\n", "Child Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1000,v=2\nParent Process:pid=1000,ppid=1,v=1\n", "Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1,v=2\n", "Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1,v=1\nChild Process:pid=1001,ppid=1,v=2\n"]
forall [tty] stdout in ["Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1000,v=2\n", "Child Process:pid=1001,ppid=1000,v=1\nParent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1000,v=2\n", "Child Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1000,v=2\nParent Process:pid=1000,ppid=1,v=1\n", "Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1000,v=1\nChild Process:pid=1001,ppid=1,v=2\n", "Child Process:pid=1001,ppid=1000,v=1\nParent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1,v=2\n", "Parent Process:pid=1000,ppid=1,v=1\nChild Process:pid=1001,ppid=1,v=1\nChild Process:pid=1001,ppid=1,v=2\n"]
exists "pid=1001,ppid=1000,v=1" in stdout and "pid=1001,ppid=1,v=2" in stdout
exists "pid=1001,ppid=1000,v=2" in stdout
exists "pid=1001,ppid=1,v=1" in stdout
~exists "pid=1001,ppid=1,v=1" in stdout and "pid=1001,ppid=1000,v=2" in stdout
~exists "pid=1001,ppid=1,v=" in stdout and stdout.find("pid=1001,ppid=1,v=") < stdout.find("Parent Process")
forall stderr == ""
properties: orphans-reparented pid-unique
violates: all-reaped
*/
#include<stdio.h>
#include<unistd.h>
#include<stdlib.h>
int main()
{
int pid,v=1;
pid=fork();
if(pid==0)
{
printf("Child Process:pid=%d,ppid=%d,v=%d\n",getpid(),getppid(),v++);
sleep(1);
printf("Child Process:pid=%d,ppid=%d,v=%d\n",getpid(),getppid(),v++);
exit(0);
}
else
{
printf("Parent Process:pid=%d,ppid=%d,v=%d\n",getpid(),getppid(),v++);
}
}
