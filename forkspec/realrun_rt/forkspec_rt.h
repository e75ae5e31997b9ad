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
 * the caller's own frame; the child logs itself too (open/write/close only, errno
 * kept, as the spec's own write() in the child does), since a parent killed while
 * suspended never resumes to log it.
 *
 *   3. getppid() answers 1 where the real answer is the launcher, which plays init
 *      (and the shell) for the run: the model's convention, so that a program
 *      comparing getppid() with 1 behaves as the model says; printed pids are
 *      renamed the same way afterwards;
 *
 *   4. kill() refuses pid -1 and init (see __forkspec_kill): a spec whose fork
 *      fails and which then signals "-1" must not take the machine down;
 *
 *   5. timing perturbation, so that rare interleavings show up in repeated runs.
 *      When $FORKSPEC_PERTURB holds a decimal seed, every process pauses for a
 *      moment -- nothing, sched_yield(), or a usleep() of a few microseconds up to
 *      about a millisecond, drawn from a generator seeded by the seed and the pid
 *      -- around fork(), and before each output call (write, printf, puts,
 *      putchar, fputs, fputc, putc, fprintf, fflush, perror), each exit (exit,
 *      _exit, _Exit, abort) and each wait.  The seed also picks how eager the pauses
 *      are, so different runs stress different windows.  Without the variable the
 *      hooks do nothing.  The calls themselves are unchanged: each macro evaluates
 *      to the real call, with the same arguments and the same result, and errno is
 *      kept across a pause.  Build with -DFORKSPEC_NO_PERTURB to leave them out.
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
/* The real pid of the process that plays init: P0's parent when it started. */
static pid_t __forkspec_init_pid;

/* Perturbation: 0 = off; otherwise the eagerness picked by the seed (1..4). */
static int __forkspec_eager;
static unsigned long long __forkspec_rng;

__attribute__((constructor)) static void __forkspec_init(void)
{
    __forkspec_pidlog = getenv("FORKSPEC_PIDLOG");
    if (__forkspec_pidlog != NULL && __forkspec_pidlog[0] != '\0') {
        /* An image exec'd by the run finds the launcher's pid in the environment P0 left. */
        const char *init = getenv("FORKSPEC_INIT_PID");
        __forkspec_init_pid = init != NULL && init[0] != '\0' ? (pid_t) atoi(init) : getppid(); /* the launcher */
        char buf[24];
        snprintf(buf, sizeof buf, "%d", (int) __forkspec_init_pid);
        setenv("FORKSPEC_INIT_PID", buf, 1);
    }
    const char *seed = getenv("FORKSPEC_PERTURB");
    if (seed != NULL && seed[0] != '\0') {
        unsigned long long v = strtoull(seed, NULL, 10);
        __forkspec_rng = v * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
        __forkspec_eager = 1 + (int) (v % 4);
    }
}

/* splitmix64, mixed with the pid so that a parent and its child (which inherit the
 * same generator state) draw different pauses. */
__attribute__((unused)) static unsigned long long __forkspec_draw(void)
{
    unsigned long long z = (__forkspec_rng += 0x9E3779B97F4A7C15ull) ^ ((unsigned long long) getpid() << 32);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One perturbation point.  Eagerness 1: a yield now and then; 2: yields and pauses
 * of up to 50 us; 3: pauses of up to 300 us at half the points; 4: rare pauses of up
 * to 1.5 ms (long enough to let another process run a whole slice). */
__attribute__((unused)) static void __forkspec_jitter(void)
{
#ifndef FORKSPEC_NO_PERTURB
    if (__forkspec_eager == 0)
        return;
    int saved = errno;
    unsigned long long r = __forkspec_draw();
    unsigned int pick = (unsigned int) (r & 0xff), amount = (unsigned int) (r >> 8);
    switch (__forkspec_eager) {
    case 1:
        if (pick < 128)
            sched_yield();
        break;
    case 2:
        if (pick < 64)
            sched_yield();
        else if (pick < 160)
            usleep(amount % 50u);
        break;
    case 3:
        if (pick < 128)
            usleep(amount % 300u);
        break;
    default:
        if (pick < 48)
            usleep(200u + amount % 1300u);
        else if (pick < 96)
            sched_yield();
        break;
    }
    errno = saved;
#endif
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
    __forkspec_jitter();
    pid_t r = fork();
    if (r > 0)
        __forkspec_note(r);
    else if (r == 0)
        __forkspec_note(getpid());
    int saved = errno;
    __forkspec_jitter(); /* who runs first after fork: parent or child */
    errno = saved;
    return r;
}

/* nondet_int(): an input in the spec's declared range (`input: LO..HI`, passed as
 * -DFORKSPEC_INPUT_LO/HI), a different one from run to run. */
#ifdef FORKSPEC_INPUT_LO
__attribute__((unused)) static int nondet_int(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 16);
    return FORKSPEC_INPUT_LO + (int)(x % (unsigned long long)(FORKSPEC_INPUT_HI - FORKSPEC_INPUT_LO + 1));
}
#endif

#define fork() __forkspec_fork()

__attribute__((unused)) static pid_t __forkspec_getppid(void)
{
    pid_t r = getppid();
    return (__forkspec_init_pid > 0 && r == __forkspec_init_pid) ? 1 : r;
}

#define getppid() __forkspec_getppid()

/* A real run never signals outside the program: kill(-1, sig) (every process the
 * caller may signal, as root the whole machine) and kill(1, sig) (init, or the
 * launcher renamed by getppid() above) fail with EPERM and send nothing. */
__attribute__((unused)) static int __forkspec_kill(pid_t pid, int sig)
{
    if (pid == -1 || pid == 1 || (__forkspec_init_pid > 0 && pid == __forkspec_init_pid)) {
        errno = EPERM;
        return -1;
    }
    return kill(pid, sig);
}

#define kill(pid, sig) __forkspec_kill(pid, sig)

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
        else if (__forkspec_vpid == 0)                            \
            __forkspec_note(getpid());                            \
        __forkspec_vpid;                                          \
    })

/* Perturbation points before output, exit and wait.  Each expands to the real call
 * (a name is not re-expanded inside its own macro), so arguments, result and
 * side effects are those of the call; a pause comes first. */
#undef putc
#undef putchar
#define write(...) (__forkspec_jitter(), write(__VA_ARGS__))
#define printf(...) (__forkspec_jitter(), printf(__VA_ARGS__))
#define fprintf(...) (__forkspec_jitter(), fprintf(__VA_ARGS__))
#define puts(...) (__forkspec_jitter(), puts(__VA_ARGS__))
#define putchar(...) (__forkspec_jitter(), putchar(__VA_ARGS__))
#define fputs(...) (__forkspec_jitter(), fputs(__VA_ARGS__))
#define fputc(...) (__forkspec_jitter(), fputc(__VA_ARGS__))
#define putc(...) (__forkspec_jitter(), putc(__VA_ARGS__))
#define fflush(...) (__forkspec_jitter(), fflush(__VA_ARGS__))
#define perror(...) (__forkspec_jitter(), perror(__VA_ARGS__))
#define exit(...) (__forkspec_jitter(), exit(__VA_ARGS__))
#define _exit(...) (__forkspec_jitter(), _exit(__VA_ARGS__))
#define _Exit(...) (__forkspec_jitter(), _Exit(__VA_ARGS__))
#define abort(...) (__forkspec_jitter(), abort(__VA_ARGS__))
#define wait(...) (__forkspec_jitter(), wait(__VA_ARGS__))
#define waitpid(...) (__forkspec_jitter(), waitpid(__VA_ARGS__))

#endif /* FORKSPEC_RT_H */
