/*
 * launcher.c -- plays pid 1 (init, and the shell) for one real run of a spec.
 *
 * usage: launcher STATUSFILE PROGRAM [ARG...]
 *
 * The launcher makes itself a child subreaper, so every orphan of the run is
 * re-parented to it (getppid() in an orphan returns the launcher's pid, which
 * forkspec renames to 1).  It forks P0, which execs PROGRAM with the stdin,
 * stdout and stderr the launcher inherited, in a process group of its own (as
 * an interactive shell would do).  It then waits for P0, and afterwards keeps
 * reaping until no descendant is left, so that when the launcher exits the whole
 * run is over.
 *
 * It never writes to stdout or stderr.  Everything it has to say goes to
 * STATUSFILE as "key value" lines:
 *     subreaper 1|0     whether PR_SET_CHILD_SUBREAPER worked
 *     p0 PID            real pid of P0 (written as soon as it exists)
 *     execerror ERRNO   P0 could not exec PROGRAM
 *     status RAW        P0's raw wait status
 *     reaped N          number of orphans reaped after P0
 *     done 1            the run is complete
 *
 * Like init, the launcher blocks every signal it can, so a spec that signals
 * its parent (or its process group) cannot take it down.
 *
 * If $FORKSPEC_CPUS is set to a comma-separated list of CPU numbers, the
 * launcher pins itself to those CPUs before it forks P0, so the whole run (every
 * process inherits the mask) shares them: one CPU serialises the processes and
 * makes preemption the only source of interleaving, several let them run at once.
 * It is removed from P0's environment.  The status file says "cpus N" (the number
 * of CPUs in the mask) when pinning worked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(int fd, const char *key, long value)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%s %ld\n", key, value);
    if (n > 0 && write(fd, line, (size_t) n) < 0) {
        /* the status file is all we have; nothing else to report to */
    }
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;

    int sfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (sfd < 0)
        return 2;

    put(sfd, "subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);

    const char *cpus = getenv("FORKSPEC_CPUS");
    if (cpus != NULL && cpus[0] != '\0') {
        cpu_set_t set;
        CPU_ZERO(&set);
        const char *p = cpus;
        while (*p) {
            char *end;
            long cpu = strtol(p, &end, 10);
            if (end == p)
                break;
            if (cpu >= 0 && cpu < CPU_SETSIZE)
                CPU_SET((int) cpu, &set);
            p = *end == ',' ? end + 1 : end;
        }
        if (CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0)
            put(sfd, "cpus", CPU_COUNT(&set));
        unsetenv("FORKSPEC_CPUS");
    }

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);

    pid_t p0 = fork();
    if (p0 < 0) {
        put(sfd, "forkerror", errno);
        return 2;
    }
    if (p0 == 0) {
        /* P0: a clean start, as a shell would give it. */
        setpgid(0, 0);
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        execv(argv[2], argv + 2);
        put(sfd, "execerror", errno);
        _exit(127);
    }
    setpgid(p0, p0); /* also here, so there is no window where P0 shares our group */
    put(sfd, "p0", p0);

    int status = 0;
    while (waitpid(p0, &status, 0) < 0) {
        if (errno != EINTR) {
            put(sfd, "waiterror", errno);
            return 2;
        }
    }
    put(sfd, "status", status);

    long reaped = 0;
    for (;;) {
        pid_t r = wait(NULL);
        if (r > 0)
            reaped++;
        else if (errno != EINTR)
            break;
    }
    put(sfd, "reaped", reaped);
    put(sfd, "done", 1);
    return 0;
}
