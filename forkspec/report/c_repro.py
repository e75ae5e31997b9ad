"""A trace as a C program that forces the same interleaving on the real kernel.

The reproducer is the spec's own program, with every call that can be a step of
its own (fork, vfork, getppid, write, the stdio output calls, wait, waitpid,
_exit, abort, pause, assert, the file descriptor calls read, open, close, dup,
dup2, pipe, lseek, fcntl and flock, and exit's final flush and end) routed through a
*gate*. Before the first fork, one pipe per process of the trace is created; a
token travels through them, so a process executes the visible operation that
starts a step only when the token says the step is its turn, as in the trace.

How the schedule is computed. The trace is replayed through the model once more,
instruction by instruction, recording every gated call each process executes,
including those the model ran as local work inside a step (a printf that only
fills the buffer). So every process knows, for its n-th gated call, whether it
starts a step (wait for that step's token) or is local (go on). Consecutive steps
of one process form one *segment*: the process keeps the token from the call
that starts the segment until its next call that starts another one (or its
death), which is exactly the model's atomic step: the visible operation and the
local work after it. When a step ends with a process's death, the next process
to move first waits until the dead one really is a zombie (`waitid(...,
WEXITED|WNOWAIT)` by its parent, /proc otherwise), so waits, reaping order and
reparenting are those of the trace. After the last step the other processes are
stopped at their next gated call with `_exit(0)`, so nothing is printed beyond
the trace's last state; for a deadlock trace they are released instead and
really block. A fork the trace makes fail returns -1/EAGAIN without calling the
kernel (the only simulated result).

Refused (exit 2, with the reason): traces with a signal step, traces on a deliberately broken kernel
(`inject:`), and steps the gates cannot order: one that begins with a
shared-memory access by a process other than the one before it, one that
continues a libc call's output after another process moved in between, and
steps of init (with `--no-reduction`).

A step in which a child's exit settles its parent's wait (`Config.merge_woken`) runs the
parent's wait too; the reproducer gives that wait a segment of its own right after the
child's death, so the parent waits for the death, then reaps, as the trace says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forkspec import ir
from forkspec.errors import ForkspecError
from forkspec.kernel import reap_orphans
from forkspec.kernel.state import FIRST_PID, INIT_PID, find
from forkspec.kernel.step import Exec
from forkspec.report.text import c_string, changes, decode_status
from forkspec.trace import Trace, names_by_step


class ReproUnsupported(ForkspecError):
    """The trace has a step the reproducer cannot force on the real kernel."""


# Gated calls: the model's builtin name -> the C runtime's code. The exit routine's
# flush and _exit are told apart from the program's own calls.
# The stdio output calls share one code: the front end, like gcc, may compile a printf
# as a puts or a putchar, and which one it was changes nothing the gates see.
OUTPUT = 12
CODES = {
    "fork": 1, "vfork": 2, "getppid": 3, "write": 4, "wait": 5, "waitpid": 6, "_exit": 7, "_Exit": 8,
    "abort": 9, "pause": 10, "assert": 11, "printf": OUTPUT, "fprintf": OUTPUT, "puts": OUTPUT,
    "putchar": OUTPUT, "fputs": OUTPUT, "fputc": OUTPUT, "putc": OUTPUT, "fflush": 19, "setvbuf": 20,
    "setbuf": 21, "perror": 22,
    # file descriptors: each call on a pipe, file or lock is a gate
    "read": 40, "open": 41, "close": 42, "dup": 43, "dup2": 44, "pipe": 45, "pipe2": 46, "lseek": 47,
    "fcntl": 48, "flock": 49,
}
EXIT_FLUSH, EXIT_END = 30, 31
GATED = frozenset(CODES) | {"__flush_all"}


class _Recorder(Exec):
    """The kernel's own step, noting every gated call and who made it."""

    def execute(self, choice: str) -> None:
        if self.func is not None:
            ins = self.instr()
            gated = isinstance(ins, ir.Builtin) and ins.name in GATED
            if self.first is None:
                self.first = (self.pid, ins, gated)
            if gated:
                self.hits.append((self.pid, self.fidx, ins))
        super().execute(choice)


@dataclass
class _Hit:
    code: int
    line: int
    seg: int = 0  # the segment this call starts (claims), or 0: local
    child: int = -1  # for a fork: the child's process index
    fail: bool = False  # for a fork: the trace makes it fail


@dataclass
class _Proc:
    name: str
    pid: int
    hits: list = field(default_factory=list)
    segs: list = field(default_factory=list)


@dataclass
class _Segment:
    actor: int
    steps: list = field(default_factory=list)  # trace step numbers
    claimed: bool = False


def _code(program: ir.Program, fidx: int, ins: ir.Builtin) -> int:
    if fidx == program.exit_routine:
        return EXIT_FLUSH if ins.name == "__flush_all" else EXIT_END
    return CODES[ins.name]


def _where(step_no: int, action, names) -> str:
    who = f"{names.get(action.pid, '?')} [{action.pid}]"
    at = f"line {action.line} `{action.text}`" if action.line else "exit()"
    return f"step {step_no} ({who}, {at})"


def _parent_waited_since(trace: Trace, k: int, pid: int, state) -> str:
    """Did `pid`'s parent wait between `pid`'s previous step and step k? (What it ran, or "".)"""
    p = find(state, pid)
    parent = p.ppid if p is not None else 0
    for j in range(k - 1, 0, -1):
        a = trace.steps[j - 1].action
        if a.pid == pid:
            break
        if a.pid == parent and ("wait" in a.text or any(e.kind in ("reap", "wait_echild") for e in a.events)):
            return f"step {j}, line {a.line} `{a.text}`"
    return ""


# Steps a gate cannot order: a signal's delivery is the kernel's choice, not a call the program makes.
_SIGNAL_EVENTS = frozenset({"signal_sent", "handler_call", "stopped", "continued", "autoreap", "alarm"})


def schedule(program: ir.Program, config, trace: Trace):
    """Replay the trace with the recorder: processes with their gated calls, and segments."""
    if config.inject:
        raise ReproUnsupported(f"this trace runs on a deliberately broken kernel (inject: {', '.join(sorted(config.inject))}); "
                               "the real kernel cannot reproduce it")
    threaded = next((k for k, step in enumerate(trace.steps, start=1) if any(p.threads for p in step.state.procs)), None)
    if threaded is not None:
        raise ReproUnsupported(f"step {threaded} runs a second thread; reproducers gate processes, not threads, "
                               "so this trace cannot be forced on the real kernel")
    per_step = names_by_step(trace)
    procs = [_Proc("P0", FIRST_PID)]
    index = {FIRST_PID: 0}
    segments: list[_Segment] = []
    vforked: set[int] = set()  # processes whose last step suspended them in vfork
    state = trace.initial
    for k, step in enumerate(trace.steps, start=1):
        action = step.action
        names = per_step[k - 1]
        if action.pid == INIT_PID:
            raise ReproUnsupported(f"{_where(k, action, names)} is init reaping a process, a step the real kernel "
                                   "takes on its own; trace without --no-reduction")
        if any(e.kind in _SIGNAL_EVENTS for e in action.events):
            raise ReproUnsupported(f"{_where(k, action, names)} sends, stops or handles a signal; signal delivery "
                                   "cannot be gated, so the real kernel cannot be forced through this trace")
        x = _Recorder(program, config, state, action.pid)
        x.hits, x.first = [], None
        continuing = bool(find(state, action.pid).pending)
        a = x.step(action.choice)
        nxt = x.result()
        if config.eager_reap:
            a, nxt = reap_orphans(a, nxt)
        if nxt != step.state:
            raise ReproUnsupported(f"{_where(k, action, names)}: replaying it instruction by instruction gives "
                                   "another state than the trace; cannot build a reproducer")
        if any(e.kind == "exec" for e in a.events):
            raise ReproUnsupported(f"{_where(k, action, names)} execs a new image, whose calls the reproducer "
                                   "cannot gate")
        forks = iter([e for e in action.events if e.kind in ("fork", "fork_failed") and e.pid == action.pid])
        me = index[action.pid]
        new_segment = not segments or segments[-1].actor != me
        if new_segment:
            headed = x.first is not None and x.first[0] == action.pid and x.first[2] and not continuing
            if not headed:
                if continuing:
                    raise ReproUnsupported(
                        f"{_where(k, action, names)} is a later write(2) of a libc call that began before another "
                        "process moved; the reproducer orders whole calls, not the writes inside one")
                if x.first is None:
                    # A vfork child's end: it called _exit in an earlier step (its parent resumed then)
                    # and becomes a zombie only now. The real kernel finishes such an exit at once; that
                    # is invisible unless its parent waited in between, when the zombie could be reaped.
                    waited = _parent_waited_since(trace, k, action.pid, state)
                    if waited:
                        raise ReproUnsupported(
                            f"{_where(k, action, names)} ends a vfork child whose _exit let its parent resume "
                            f"earlier, and the parent waited in between ({waited}); the real kernel finishes that "
                            "exit at once, so the wait could see the zombie: no reproducer")
                    segments.append(_Segment(-1, [k], claimed=True))  # no process takes it: a no-op
                    state = step.state
                    continue
                if k > 1 and me not in vforked:
                    raise ReproUnsupported(
                        f"{_where(k, action, names)} begins with an access to memory another process shares, "
                        "which the reproducer cannot order (nor an exec); it orders fork, output, file descriptor, "
                        "exit, wait and getppid steps")
            segments.append(_Segment(me, [k], claimed=False))
            procs[me].segs.append(len(segments))
        else:
            segments[-1].steps.append(k)
        seg = segments[-1]
        vforked.discard(me)
        born: set[int] = set()  # processes this step forked (their local work runs in it)
        for pid, fidx, ins in x.hits:
            who = index[pid]
            hit = _Hit(_code(program, fidx, ins), ins.loc.line)
            if who == me and not seg.claimed:
                hit.seg = len(segments)
                seg.claimed = True
            elif pid != action.pid and pid not in born and segments[-1].actor != who:
                # the parent whose wait this exit settled (`merge_woken`): its wait starts a segment of
                # its own, right after the death, so it does not wait in the kernel holding the token
                segments.append(_Segment(who, [k], claimed=True))
                procs[who].segs.append(len(segments))
                hit.seg = len(segments)
            if pid == action.pid and ins.name in ("fork", "vfork"):
                e = next(forks, None)
                if e is None:
                    raise ReproUnsupported(f"{_where(k, action, names)}: a fork without its event")
                if e.kind == "fork_failed":
                    hit.fail = True
                else:
                    child = len(procs)
                    index[e.child] = child
                    born.add(e.child)
                    procs.append(_Proc(per_step[k].get(e.child, "?"), e.child))
                    hit.child = child
                    if ins.name == "vfork":
                        vforked.add(me)
            procs[who].hits.append(hit)
        state = step.state
    return procs, segments


# ---------------------------------------------------------------- C text


def c_literal(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 32 or o == 127 or o > 255:
            out.append(f"\\{o & 0xFF:03o}")
        elif o > 126:
            out.append(f"\\{o:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _step_text(k: int, n: int, trace: Trace, per_step) -> str:
    step = trace.steps[k - 1]
    a = step.action
    names = per_step[k]
    where = f"line {a.line}  {a.text}" if a.line else "exit()"
    what = changes(a, names)
    return f"step {k}/{n}  {per_step[k - 1].get(a.pid, '?')} [{a.pid}]  {where}  =>  {what}"


def _source_lines(path: str, program: ir.Program) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        text = program.source
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith("#") and line.lstrip()[1:].lstrip().startswith("include"):
            out.append("/* " + line.replace("*/", "* /") + "  (included above) */")
        else:
            out.append(line)
    return out


def reproducer(trace: Trace, *, spec, mode: str, config, check=None) -> str:
    """The C text of a reproducer for `trace` of `spec` (stdout to `mode`)."""
    program = spec.program
    procs, segments = schedule(program, config, trace)
    per_step = names_by_step(trace)
    n = len(trace.steps)
    final = trace.final
    deadlock = check is not None and check.kind == "deadlock"
    prog = Path(spec.path).stem
    what = f"counterexample to {check.name}" if check is not None else "trace"
    expect = [f"stdout: {c_string(final.stdout)}"]
    if final.stderr:
        expect.append(f"stderr: {c_string(final.stderr)}")
    if final.first_status >= 0:
        expect.append(f"P0 {decode_status(final.first_status)}")
    comment_safe = lambda s: s.replace("*/", "* /")  # noqa: E731
    head = [
        "/*",
        f" * forkspec reproducer: {what} for {spec.path} (stdout={mode}), {n} step(s).",
        " *",
        f" *   cc -o {prog} this-file.c && ./{prog}" + {"file": " > out.txt; cat out.txt",
                                                       "pipe": " | cat", "tty": "   (in a terminal)"}[mode],
        " *",
        " * The program below is the spec's, with its fork/output/exit/wait/getppid calls routed",
        " * through gates: a token passed through pipes lets each process make the call that starts",
        " * a step only when the trace says it is that step's turn, so every run follows the trace.",
        " * Set FORKSPEC_REPRO_VERBOSE=1 to see each step on stderr as it happens.",
        " * " + ("After the last step the processes are released and block for real: the program hangs."
                 if deadlock else "After the last step the other processes stop (_exit(0)) before any more output."),
        " *",
        " * The trace:",
        *(" *   " + comment_safe(_step_text(k, n, trace, per_step)) for k in range(1, n + 1)),
        " *",
        " * Expected at the end: " + comment_safe("; ".join(expect)),
        " */",
    ]
    c = [*head, RUNTIME_HEAD]
    c.append(f"#define FSR_NPROC {len(procs)}")
    c.append(f"#define FSR_NSEGS {len(segments)}")
    c.append(f"#define FSR_END {'FSR_END_RELEASE' if deadlock else 'FSR_END_STOP'}")
    c.append(f"#define FSR_MODE {c_literal(mode)}")
    c.append(f"#define FSR_PROG {c_literal(prog)}")
    for i, p in enumerate(procs):
        rows = ", ".join(f"{{{h.code}, {int(h.fail)}, {h.child}, {h.seg}, {h.line}}}" for h in p.hits) or "{0, 0, -1, 0, 0}"
        c.append(f"static const struct fsr_hit fsr_hits_{i}[] = {{{rows}}};")
        c.append(f"static const int fsr_segs_{i}[] = {{{', '.join(map(str, p.segs)) or '0'}}};")
    c.append(f"static const struct fsr_hit *const fsr_hits[FSR_NPROC] = {{{', '.join(f'fsr_hits_{i}' for i in range(len(procs)))}}};")
    c.append(f"static const int fsr_nhits[FSR_NPROC] = {{{', '.join(str(len(p.hits)) for p in procs)}}};")
    c.append(f"static const int *const fsr_segs[FSR_NPROC] = {{{', '.join(f'fsr_segs_{i}' for i in range(len(procs)))}}};")
    c.append(f"static const int fsr_nsegs[FSR_NPROC] = {{{', '.join(str(len(p.segs)) for p in procs)}}};")
    c.append(f"static const char *const fsr_name[FSR_NPROC] = {{{', '.join(c_literal(p.name) for p in procs)}}};")
    c.append(f"static const int fsr_seg_actor[FSR_NSEGS + 1] = {{-1{''.join(f', {s.actor}' for s in segments)}}};")
    texts = ["\n[forkspec reproducer]   ".join(_step_text(k, n, trace, per_step) for k in s.steps) for s in segments]
    c.append(f"static const char *const fsr_seg_text[FSR_NSEGS + 1] = {{\"\"{''.join(', ' + c_literal(t) for t in texts)}}};")
    c.append(RUNTIME_BODY)
    c.append(f"#line 1 {c_literal(spec.path)}")
    c.extend(_source_lines(spec.path, program))
    return "\n".join(c).rstrip("\n") + "\n"


RUNTIME_HEAD = r"""
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the schedule, from the trace ---- */
struct fsr_hit {
    int fn;    /* which call (checked against the call actually made) */
    int fail;  /* fork: the trace makes it fail with EAGAIN */
    int child; /* fork: index of the child process */
    int seg;   /* > 0: this call starts segment `seg` (wait for its token); 0: local */
    int line;  /* source line in the spec (0: inside exit) */
};
#define FSR_END_STOP (-1)
#define FSR_END_RELEASE (-2)
#define FSR_NONE INT_MAX
"""

RUNTIME_BODY = r"""
/* ---- the runtime ---- */
struct fsr_msg { int seg; int died; };
static struct { int me, hits, held, cursor, released; } fsr;
static int fsr_pipe[FSR_NPROC][2];
static pid_t *fsr_pids; /* shared: the real pid of each process of the trace */
static int fsr_verbose;
static const char *fsr_pidlog;
static const int fsr_timeout_ms = 10000;

static void fsr_say(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int) sizeof buf - 1)
        n = (int) sizeof buf - 1;
    if (n > 0 && write(2, buf, (size_t) n) < 0) {
    }
}

static void fsr_give_up(const char *why, int seg)
{
    fsr_say("forkspec reproducer: %s %s [pid %d]%s%s: %s\n", "process", fsr_name[fsr.me], (int) getpid(),
            seg > 0 && seg <= FSR_NSEGS ? " waiting for " : "",
            seg > 0 && seg <= FSR_NSEGS ? fsr_seg_text[seg] : "", why);
    _exit(125);
}

static void fsr_log_pid(pid_t pid)
{
    if (fsr_pidlog == NULL || fsr_pidlog[0] == '\0')
        return;
    int saved = errno;
    int fd = open(fsr_pidlog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        char buf[24];
        int n = snprintf(buf, sizeof buf, "%ld\n", (long) pid);
        if (write(fd, buf, (size_t) n) < 0) {
        }
        close(fd);
    }
    errno = saved;
}

/* Wait until process `pid` has really ended (a zombie, or reaped). */
static void fsr_wait_dead(pid_t pid)
{
    siginfo_t si;
    for (;;) {
        if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT) == 0)
            return; /* our child: now a zombie */
        if (errno != EINTR)
            break;  /* not our child: watch /proc */
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long) pid);
    for (long spins = 0;; spins++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return; /* gone: reaped */
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            return;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
            return;
        if (spins > 200000)
            fsr_give_up("a process that the trace ends never ended", 0);
        usleep(50);
    }
}

static void fsr_send(int to, int seg, int died)
{
    struct fsr_msg m = {seg, died};
    while (write(fsr_pipe[to][1], &m, sizeof m) < 0) {
        if (errno != EINTR)
            fsr_give_up("cannot pass the token", 0);
    }
}

/* Hand the token for segment `seg` to its process; past the last one, end the trace. */
static void fsr_release(int seg, int died)
{
    while (seg <= FSR_NSEGS && fsr_seg_actor[seg] < 0)
        seg++; /* a step no process takes: a vfork child's end, already awaited */
    if (seg > FSR_NSEGS) {
        if (fsr_verbose)
            fsr_say("[forkspec reproducer] the trace's last state is reached; %s\n",
                    FSR_END == FSR_END_STOP ? "the other processes stop here" : "the processes now block for real");
        for (int i = 0; i < FSR_NPROC; i++)
            fsr_send(i, FSR_END, 0);
        return;
    }
    fsr_send(fsr_seg_actor[seg], seg, died);
}

/* Block until the token for `seg` arrives. Returns 0 if the processes were released instead. */
static int fsr_await(int seg)
{
    struct pollfd pfd = {fsr_pipe[fsr.me][0], POLLIN, 0};
    for (;;) {
        int r = poll(&pfd, 1, fsr_timeout_ms);
        if (r == 0)
            fsr_give_up("timed out: the real run did not follow the trace", seg);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fsr_give_up("poll failed", seg);
        }
        struct fsr_msg m;
        ssize_t n = read(pfd.fd, &m, sizeof m);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t) sizeof m)
            fsr_give_up("short read on the token pipe", seg);
        if (m.seg == FSR_END_STOP)
            _exit(0);
        if (m.seg == FSR_END_RELEASE) {
            fsr.released = 1;
            return 0;
        }
        if (m.seg != seg)
            fsr_give_up("got the token for another step", seg);
        if (m.died > 0)
            fsr_wait_dead(m.died);
        if (fsr_verbose)
            fsr_say("[forkspec reproducer] pid %d (%s) runs %s\n", (int) getpid(), fsr_name[fsr.me], fsr_seg_text[seg]);
        return 1;
    }
}

/* Every gated call comes here first. */
static const struct fsr_hit *fsr_gate(int fn, int line)
{
    if (fsr.released)
        return NULL;
    int saved = errno;
    int n = fsr.hits++;
    const struct fsr_hit *h = n < fsr_nhits[fsr.me] ? &fsr_hits[fsr.me][n] : NULL;
    if (h != NULL && h->fn != fn) {
        char why[160];
        snprintf(why, sizeof why, "made call #%d (kind %d) at line %d where the trace has kind %d at line %d",
                 n + 1, fn, line, h->fn, h->line);
        fsr_give_up(why, 0);
    }
    if (h != NULL && h->seg == 0) {
        errno = saved;
        return h;
    }
    int target = h != NULL ? h->seg : FSR_NONE;
    if (fsr.held) {
        fsr_release(fsr.held + 1, 0);
        fsr.held = 0;
    }
    while (fsr.cursor < fsr_nsegs[fsr.me] && fsr_segs[fsr.me][fsr.cursor] <= target) {
        int s = fsr_segs[fsr.me][fsr.cursor++];
        if (!fsr_await(s)) {
            errno = saved;
            return NULL;
        }
        if (s == target) {
            fsr.held = s;
            errno = saved;
            return h;
        }
        fsr_release(s + 1, 0); /* a segment of local computation only: already done */
    }
    fsr_await(FSR_NONE); /* past the trace: only its end can come */
    errno = saved;
    return NULL;
}

/* The process is about to end: pass the token on, telling the next one to wait for the death. */
static void fsr_dying(void)
{
    if (fsr.released || !fsr.held)
        return;
    int held = fsr.held;
    fsr.held = 0;
    fsr_release(held + 1, (int) getpid());
}

static void fsr_child(const struct fsr_hit *h)
{
    fsr_log_pid(getpid());
    if (h == NULL)
        return;
    fsr_pids[h->child] = getpid();
    fsr.me = h->child;
    fsr.hits = 0;
    fsr.held = 0;
    fsr.cursor = 0;
}

/* exit(): this handler is registered first, so it runs after the program's own handlers,
 * just before glibc flushes stdio and ends the process: the same two steps as the model's. */
static void fsr_at_exit(void)
{
    fsr_gate(30, 0);
    fflush(stdout);
    fflush(stderr);
    fsr_gate(31, 0);
    fsr_dying();
}

static void fsr_fatal_signal(int sig)
{
    fsr_dying();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void fsr_start(void)
{
    const char *v = getenv("FORKSPEC_REPRO_VERBOSE");
    fsr_verbose = v != NULL && v[0] != '\0' && v[0] != '0';
    fsr_pidlog = getenv("FORKSPEC_PIDLOG"); /* forkspec's real-run harness: it renames pids */
    for (int i = 0; i < FSR_NPROC; i++)
        if (pipe(fsr_pipe[i]) < 0) {
            perror("forkspec reproducer: pipe");
            _exit(125);
        }
    fsr_pids = mmap(NULL, sizeof(pid_t) * FSR_NPROC, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (fsr_pids == MAP_FAILED) {
        perror("forkspec reproducer: mmap");
        _exit(125);
    }
    fsr_pids[0] = getpid();
    atexit(fsr_at_exit);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fsr_fatal_signal;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    struct stat st;
    const char *kind = isatty(1) ? "tty" : fstat(1, &st) == 0 && S_ISFIFO(st.st_mode) ? "pipe"
                     : fstat(1, &st) == 0 && S_ISREG(st.st_mode) ? "file" : "other";
    if (strcmp(kind, FSR_MODE) != 0)
        fsr_say("forkspec reproducer: note: the trace has stdout to a %s, here it is a %s: stdio buffers "
                "differently, so the output may differ\n", FSR_MODE, kind);
    fsr_release(1, 0);
}

/* ---- the gated calls ---- */
__attribute__((unused)) static pid_t fsr_fork(int line)
{
    const struct fsr_hit *h = fsr_gate(1, line);
    if (h != NULL && h->fail) {
        errno = EAGAIN;
        return -1;
    }
    pid_t r = fork();
    if (r == 0)
        fsr_child(h);
    else if (r > 0) {
        if (h != NULL)
            fsr_pids[h->child] = r;
        fsr_log_pid(r);
    }
    return r;
}
/* The model's convention: a parent that is not a process of the program (the shell that
 * started it, or whoever adopted an orphan) is init, pid 1. */
__attribute__((unused)) static pid_t fsr_getppid(int line)
{
    fsr_gate(3, line);
    pid_t r = getppid();
    for (int i = 0; i < FSR_NPROC; i++)
        if (fsr_pids[i] == r)
            return r;
    return 1;
}
__attribute__((unused)) static ssize_t fsr_write(int line, int fd, const void *buf, size_t n) { fsr_gate(4, line); return write(fd, buf, n); }
__attribute__((unused)) static pid_t fsr_wait(int line, int *status) { fsr_gate(5, line); return wait(status); }
__attribute__((unused)) static pid_t fsr_waitpid(int line, pid_t pid, int *status, int options) { fsr_gate(6, line); return waitpid(pid, status, options); }
__attribute__((unused)) static void fsr__exit(int line, int status) { fsr_gate(7, line); fsr_dying(); _exit(status); }
__attribute__((unused)) static void fsr__Exit(int line, int status) { fsr_gate(8, line); fsr_dying(); _Exit(status); }
__attribute__((unused)) static void fsr_abort(int line) { fsr_gate(9, line); fsr_dying(); abort(); }
__attribute__((unused)) static int fsr_pause(int line) { fsr_gate(10, line); return pause(); }
__attribute__((unused)) static void fsr_assert(int line, int ok, const char *text, const char *file, const char *func)
{
    fsr_gate(11, line);
    if (ok)
        return;
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s: %s:%d: %s: Assertion `%s' failed.\n", FSR_PROG, file, line, func, text);
    if (n > (int) sizeof buf - 1)
        n = (int) sizeof buf - 1;
    if (write(2, buf, (size_t) n) < 0) {
    }
    fsr_dying();
    abort();
}
/* Called as gcc calls it: a printf("text\n") statement is compiled into puts("text"),
 * printf("c") into putchar('c'), printf("%s\n", s) into puts(s), and printf("") into
 * nothing (so does the model); buffering differs between them, so the wrapper does the same. */
__attribute__((unused)) static int fsr_printf(int line, const char *fmt, ...)
{
    if (fmt[0] == '\0')
        return 0;
    fsr_gate(12, line);
    va_list ap;
    va_start(ap, fmt);
    int r;
    size_t n = strlen(fmt);
    if (strchr(fmt, '%') == NULL && n == 1) {
        r = putchar(fmt[0]);
    } else if (strchr(fmt, '%') == NULL && fmt[n - 1] == '\n') {
        char text[n];
        memcpy(text, fmt, n - 1);
        text[n - 1] = '\0';
        r = puts(text);
    } else if (strcmp(fmt, "%s\n") == 0) {
        r = puts(va_arg(ap, const char *));
    } else {
        r = vprintf(fmt, ap);
    }
    va_end(ap);
    return r;
}
__attribute__((unused)) static int fsr_fprintf(int line, FILE *f, const char *fmt, ...)
{
    fsr_gate(12, line);
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}
__attribute__((unused)) static int fsr_puts(int line, const char *s) { fsr_gate(12, line); return puts(s); }
__attribute__((unused)) static int fsr_putchar(int line, int c) { fsr_gate(12, line); return putchar(c); }
__attribute__((unused)) static int fsr_fputs(int line, const char *s, FILE *f) { fsr_gate(12, line); return fputs(s, f); }
__attribute__((unused)) static int fsr_fputc(int line, int c, FILE *f) { fsr_gate(12, line); return fputc(c, f); }
__attribute__((unused)) static int fsr_putc(int line, int c, FILE *f) { fsr_gate(12, line); return putc(c, f); }
__attribute__((unused)) static int fsr_fflush(int line, FILE *f) { fsr_gate(19, line); return fflush(f); }
__attribute__((unused)) static int fsr_setvbuf(int line, FILE *f, char *buf, int mode, size_t size) { fsr_gate(20, line); return setvbuf(f, buf, mode, size); }
__attribute__((unused)) static void fsr_setbuf(int line, FILE *f, char *buf) { fsr_gate(21, line); setbuf(f, buf); }
__attribute__((unused)) static void fsr_perror(int line, const char *s) { fsr_gate(22, line); perror(s); }
__attribute__((unused)) static ssize_t fsr_read(int line, int fd, void *buf, size_t n) { fsr_gate(40, line); return read(fd, buf, n); }
__attribute__((unused)) static int fsr_open(int line, const char *path, int flags, ...)
{
    fsr_gate(41, line);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t) va_arg(ap, int) : 0;
    va_end(ap);
    return open(path, flags, mode);
}
__attribute__((unused)) static int fsr_close(int line, int fd) { fsr_gate(42, line); return close(fd); }
__attribute__((unused)) static int fsr_dup(int line, int fd) { fsr_gate(43, line); return dup(fd); }
__attribute__((unused)) static int fsr_dup2(int line, int fd, int to) { fsr_gate(44, line); return dup2(fd, to); }
__attribute__((unused)) static int fsr_pipe_(int line, int *fds) { fsr_gate(45, line); return pipe(fds); }
__attribute__((unused)) static int fsr_pipe2(int line, int *fds, int flags) { fsr_gate(46, line); return pipe2(fds, flags); }
__attribute__((unused)) static off_t fsr_lseek(int line, int fd, off_t off, int whence) { fsr_gate(47, line); return lseek(fd, off, whence); }
/* fcntl's third argument is an int or a pointer: passed on as a long (x86-64 passes both in one register). */
__attribute__((unused)) static int fsr_fcntl(int line, int fd, int cmd, ...)
{
    fsr_gate(48, line);
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return fcntl(fd, cmd, arg);
}
__attribute__((unused)) static int fsr_flock(int line, int fd, int op) { fsr_gate(49, line); return flock(fd, op); }
/* sleep() orders nothing (the gates do): the reproducer does not wait. */
__attribute__((unused)) static unsigned int fsr_sleep(unsigned int seconds) { (void) seconds; return 0; }
__attribute__((unused)) static int fsr_usleep(unsigned int usec) { (void) usec; return 0; }

#undef putc
#undef putchar
#undef assert
#define fork() fsr_fork(__LINE__)
#define getppid() fsr_getppid(__LINE__)
#define write(fd, buf, n) fsr_write(__LINE__, fd, buf, n)
#define wait(status) fsr_wait(__LINE__, status)
#define waitpid(pid, status, options) fsr_waitpid(__LINE__, pid, status, options)
#define _exit(status) fsr__exit(__LINE__, status)
#define _Exit(status) fsr__Exit(__LINE__, status)
#define abort() fsr_abort(__LINE__)
#define pause() fsr_pause(__LINE__)
#define assert(e) fsr_assert(__LINE__, (e) ? 1 : 0, #e, __FILE__, __func__)
#define printf(...) fsr_printf(__LINE__, __VA_ARGS__)
#define fprintf(...) fsr_fprintf(__LINE__, __VA_ARGS__)
#define puts(s) fsr_puts(__LINE__, s)
#define putchar(c) fsr_putchar(__LINE__, c)
#define fputs(s, f) fsr_fputs(__LINE__, s, f)
#define fputc(c, f) fsr_fputc(__LINE__, c, f)
#define putc(c, f) fsr_putc(__LINE__, c, f)
#define fflush(f) fsr_fflush(__LINE__, f)
#define setvbuf(f, buf, mode, size) fsr_setvbuf(__LINE__, f, buf, mode, size)
#define setbuf(f, buf) fsr_setbuf(__LINE__, f, buf)
#define perror(s) fsr_perror(__LINE__, s)
#define sleep(n) fsr_sleep(n)
#define read(fd, buf, n) fsr_read(__LINE__, fd, buf, n)
#define open(...) fsr_open(__LINE__, __VA_ARGS__)
#define close(fd) fsr_close(__LINE__, fd)
#define dup(fd) fsr_dup(__LINE__, fd)
#define dup2(fd, to) fsr_dup2(__LINE__, fd, to)
#define pipe(fds) fsr_pipe_(__LINE__, fds)
#define pipe2(fds, flags) fsr_pipe2(__LINE__, fds, flags)
#define lseek(fd, off, whence) fsr_lseek(__LINE__, fd, off, whence)
#define fcntl(...) fsr_fcntl(__LINE__, __VA_ARGS__)
#define flock(fd, op) fsr_flock(__LINE__, fd, op)
#define usleep(n) fsr_usleep(n)
/* vfork cannot be wrapped in a function (the child would return from a frame its
 * parent still needs): a statement expression calls it in the caller's own frame. The
 * child shares the parent's memory, this runtime's state included: the parent takes
 * its own back when it resumes (the child has passed the token on by then). */
#define vfork()                                                              \
    __extension__({                                                          \
        const struct fsr_hit *fsr_vh = fsr_gate(2, __LINE__);                \
        __typeof__(fsr) fsr_vsaved = fsr;                                    \
        pid_t fsr_vr;                                                        \
        if (fsr_vh != NULL && fsr_vh->fail) {                                \
            errno = EAGAIN;                                                  \
            fsr_vr = -1;                                                     \
        } else {                                                             \
            fsr_vr = vfork();                                                \
            if (fsr_vr == 0) {                                               \
                if (fsr_vh != NULL) {                                        \
                    fsr.me = fsr_vh->child;                                  \
                    fsr.hits = 0;                                            \
                    fsr.cursor = 0;                                          \
                }                                                            \
            } else {                                                         \
                fsr = fsr_vsaved;                                            \
                fsr.held = 0;                                                \
                if (fsr_vr > 0) {                                            \
                    if (fsr_vh != NULL)                                      \
                        fsr_pids[fsr_vh->child] = fsr_vr;                    \
                    fsr_log_pid(fsr_vr);                                     \
                }                                                            \
            }                                                                \
        }                                                                    \
        fsr_vr;                                                              \
    })

/* ---- the spec's program ---- */"""
