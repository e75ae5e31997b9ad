/*@forkspec
description: APUE Figure 8.1 as given in seed 000 (globvar/var with write, printf and sleep(2)): the unbuffered write appears once and first, the child's increments are not seen by the parent, and "before fork." is duplicated when stdout is redirected
modes: tty file pipe
forall processes == 2 and exit_status == 0
forall [tty] stdout in ["a writte to stdout.\nbefore fork.\npid=1001, globvar=11, var=89.\npid=1000, globvar=10, var=88.\n", "a writte to stdout.\nbefore fork.\npid=1000, globvar=10, var=88.\npid=1001, globvar=11, var=89.\n"]
forall [file,pipe] stdout in ["a writte to stdout.\nbefore fork.\npid=1001, globvar=11, var=89.\nbefore fork.\npid=1000, globvar=10, var=88.\n", "a writte to stdout.\nbefore fork.\npid=1000, globvar=10, var=88.\nbefore fork.\npid=1001, globvar=11, var=89.\n"]
forall stdout.startswith("a writte to stdout.\nbefore fork.\n")
forall [tty] stdout.count("before fork.\n") == 1
forall [file,pipe] stdout.count("before fork.\n") == 2
exists stdout.endswith("pid=1000, globvar=10, var=88.\n")
exists stdout.endswith("pid=1001, globvar=11, var=89.\n")
~exists "globvar=11, var=88" in stdout or "globvar=10, var=89" in stdout
forall stderr == ""
properties: cow-isolation pid-unique
violates: all-reaped
*/
#include<stdio.h>
#include<stdlib.h>
#include<unistd.h>

int globvar = 10;
char buf[] = "a writte to stdout.\n";

int main(int argv, char* argc[]){

    int var;
    pid_t pid;

    var = 88;
    if(write(STDOUT_FILENO, buf, sizeof(buf)-1) != sizeof(buf)-1){
        printf("write error");
        exit(1);
    }
    printf("before fork.\n");
    // 创建子进程后，后面的代码，父进程和子进程独立运行。
    if((pid=fork()) < 0){
        printf("fork() error.\n");
        exit(1);
    }
    else if(pid == 0){
        globvar++; //子进程运行不改变父进程的值
        var++;
    }
    else
        sleep(2);
    printf("pid=%ld, globvar=%d, var=%d.\n",(long)getpid() , globvar, var);
    return 0;
}
