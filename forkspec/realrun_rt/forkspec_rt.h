/*
 * forkspec_rt.h -- runtime shim for running a forkspec spec on the real kernel.
 *
 * forkspec.realrun compiles a spec with `cc -include forkspec_rt.h spec.c`, so this
 * file is seen before the spec's first line.  It does two things:
 *
 *   1. includes the headers a spec may use without including them itself (the
 *      model strips #include lines, so specs often leave them out);
 *   2. redefines fork() and vfork() so every process they create is logged: the
 *      pid is appended as a decimal line to the file named by $FORKSPEC_PIDLOG.
 *      The logger uses only open/write/close (async-signal-safe) and keeps errno.
 *
 * fork() is logged on both sides (the parent logs the child's pid, the child logs
 * its own), so a child is recorded even if its parent dies before logging.
 * vfork() cannot be wrapped in a function (the child would return from a frame
 * the parent still needs), so it is a statement expression that calls vfork in
 * the caller's own frame and logs only in the parent, after it resumes.
 */
#ifndef FORKSPEC_RT_H
#define FORKSPEC_RT_H

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Read once at start-up, so a spec that edits its environment does not lose it. */
static const char *__forkspec_pidlog;

__attribute__((constructor)) static void __forkspec_init(void)
{
    __forkspec_pidlog = getenv("FORKSPEC_PIDLOG");
}

__attribute__((unused)) static void __forkspec_note(pid_t pid)
{
    int saved = errno;
    if (__forkspec_pidlog != NULL && __forkspec_pidlog[0] != '\0') {
        int fd = open(__forkspec_pidlog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char buf[24];
            int n = (int) sizeof buf;
            unsigned long v = (unsigned long) pid;
            buf[--n] = '\n';
            do {
                buf[--n] = (char) ('0' + v % 10);
                v /= 10;
            } while (v != 0 && n > 0);
            if (write(fd, buf + n, sizeof buf - (size_t) n) < 0) {
                /* nothing useful to do: the run will just miss this pid */
            }
            close(fd);
        }
    }
    errno = saved;
}

__attribute__((unused)) static pid_t __forkspec_fork(void)
{
    pid_t r = fork();
    if (r > 0)
        __forkspec_note(r);
    else if (r == 0)
        __forkspec_note(getpid());
    return r;
}

#define fork() __forkspec_fork()

/* sleep() orders nothing in the model; real sleeps are cut to 20 ms a second so a
 * run is quick and the orders a long sleep would hide still show up. */
__attribute__((unused)) static unsigned int __forkspec_sleep(unsigned int seconds)
{
    usleep(seconds * 20000u);
    return 0;
}

#define sleep(n) __forkspec_sleep(n)

/* `vfork` inside its own macro body is not re-expanded: this calls the real one. */
#define vfork()                                                   \
    __extension__({                                               \
        pid_t __forkspec_vpid = vfork();                          \
        if (__forkspec_vpid > 0)                                  \
            __forkspec_note(__forkspec_vpid);                     \
        __forkspec_vpid;                                          \
    })

#endif /* FORKSPEC_RT_H */
