"""The kernel's state: frozen, hashable values, nothing else.

A `State` is the whole system: the process table (init, pid 1, is implicit), the
physical page frames, what reached stdout and stderr, and the next pid. Processes
hold their CPU state (call stack of activations), page table, stdio streams and
atexit list; a threaded process also holds its other threads' activations (`Thread`),
which share everything else. Search bookkeeping (depth, parent) never lives here.
"""
from __future__ import annotations

from typing import NamedTuple

INIT_PID = 1
FIRST_PID = 1000

# stdio buffering modes, as in <stdio.h>
IOFBF, IOLBF, IONBF = 0, 1, 2

# page-table entry flags
PTE_WRITE = 1  # writable now
PTE_COW = 2  # private page shared after fork: copy on the next write
PTE_SHARED = 4  # MAP_SHARED mapping: writes are seen by every mapper
PTE_DONTFORK = 8  # madvise(MADV_DONTFORK): the page is not mapped in a fork child
PTE_WIPEONFORK = 16  # madvise(MADV_WIPEONFORK): a fork child gets a zero-filled page

RUNNING, EXITING, ZOMBIE = "running", "exiting", "zombie"  # exiting: a vfork child between releasing its parent and becoming a zombie


class Activation(NamedTuple):
    """One call frame: function index, next instruction, stack base cell, temps, caller's result temp."""

    func: int
    pc: int
    base: int
    temps: tuple
    ret: int | None


# glibc's write area of a FILE (its _IO_write_ptr/_IO_write_end pointers)
AREA_NONE = 0  # not "putting": the first output sets the write area up
AREA_OK = 1  # putting, _IO_write_end at the buffer's end: output is copied while there is room
AREA_STALE = 2  # putting, _IO_write_end at the buffer's start: bytes go through __overflow


class Stream(NamedTuple):
    """A stdio FILE: what is buffered, the buffering mode, the buffer size, the write area's state."""

    buf: str
    mode: int
    size: int
    area: int = AREA_NONE


class Ofd(NamedTuple):
    """An open file description: what open() or pipe() made; fds of any process point at one.

    `kind` is "stdin", "stdout" or "stderr" (the program's inherited standard files),
    "file" (a named file of the model's file system) or "pipe" (`target` is then the
    pipe's index). `flags` are the access mode and status flags (O_APPEND, O_NONBLOCK);
    `flock` is the flock(2) lock held through this description (0, LOCK_SH or LOCK_EX).
    """

    kind: str
    target: object
    flags: int
    offset: int = 0
    flock: int = 0


class File(NamedTuple):
    """A named file: its bytes, and (a ghost for `no-lost-write`) the description that wrote each byte."""

    name: str
    data: str
    owners: tuple  # per byte: the index of the open file description that wrote it


# fd 0, 1, 2 of the first process: the standard files it inherits.
STD_OFDS = (Ofd("stdin", 0, 0), Ofd("stdout", 1, 1), Ofd("stderr", 2, 1))
STD_FDS = ((0, 0, 0), (1, 1, 0), (2, 2, 0))  # (fd, open file description index, FD_CLOEXEC)


class Proc(NamedTuple):
    pid: int
    ppid: int
    pgid: int
    state: str
    status: int  # the wait status word once a zombie
    stack: tuple  # of Activation, innermost last
    ptes: tuple  # of (vpn, pfn, flags), sorted by vpn
    out: Stream
    err: Stream
    atexit: tuple  # handler function indices, oldest first
    exit_plan: tuple | None  # ghost: handlers exit() is due to run, in order
    pending: tuple  # writes a libc call still has to issue: (fd, data, line, source text)
    vfork_child: int  # pid of the vfork child this process is suspended for, or 0
    vfork_parent: int  # for a vfork child: the suspended parent, or 0
    mmap_next: int  # next free page number for mmap
    fds: tuple = STD_FDS  # the fd table: (fd, description index, cloexec), sorted by fd
    image: int = 0  # the program image it runs: 0 is the spec, i > 0 the i-th exec image
    argv: tuple = ()  # the arguments exec gave the image (what /bin/echo prints)
    threads: tuple = ()  # the other threads (Thread), by index; the one on `stack` is thread `tid`
    tid: int = 0  # index of the thread whose stack is `stack` (a fork child keeps its caller's)
    main_state: str = ""  # of that thread: "" running, "exited" (pthread_exit), "stuck" (never wakes), "undefined"
    atfork: tuple = ()  # pthread_atfork registrations: (prepare, parent, child) function indices, -1 for NULL
    heap: tuple = ()  # live malloc blocks: (first page number, pages)
    vfork_depth: int = 0  # a vfork child: call depth of the function that called vfork
    # signals, stops, process groups (see kernel/signals.py)
    sigdisp: tuple = ()  # (sig, handler, flags, mask) for each signal whose disposition is not the default
    sigpending: int = 0  # bit n: signal n is pending
    sigmask: int = 0  # bit n: signal n is blocked
    stopped: int = 0  # the signal that stopped the process, or 0
    report: int = 0  # a stop (sig<<8|0x7f) or continue (0xffff) report its parent has not waited for yet
    handlers: tuple = ()  # running signal handlers, innermost last: (stack depth, saved writes, saved mask)
    sid: int = 0  # session id (0: the session the program was started in)
    subreaper: bool = False  # PR_SET_CHILD_SUBREAPER
    pdeathsig: int = 0  # PR_SET_PDEATHSIG
    alarm: int = 0  # seconds the pending alarm() was set for, 0 if none
    cld_report: bool = False  # a stop or continue whose SIGCHLD has not reached the parent yet


THREAD_RUNNING, THREAD_EXITED, THREAD_STUCK = "running", "exited", "stuck"


class Thread(NamedTuple):
    """A thread other than the one on its process's `stack`: its own activations and pending writes."""

    index: int
    stack: tuple
    state: str  # running | exited (joinable, `value` is its result) | stuck (waits for what never comes)
    value: int = 0
    pending: tuple = ()


class State(NamedTuple):
    procs: tuple  # of Proc, sorted by pid
    mem: tuple  # physical frames: tuples of cell values
    stdout: str
    stderr: str
    next_pid: int
    first_status: int  # wait status of the first process once init reaped it, else -1
    ofds: tuple = STD_OFDS  # open file descriptions by index (None once no fd refers to one)
    pipes: tuple = ()  # per pipe: the bytes written and not yet read
    files: tuple = ()  # of File, sorted by name
    locks: tuple = ()  # fcntl record locks: (file name, owner pid, F_RDLCK/F_WRLCK, start, end or -1), sorted


def find(state: State, pid: int) -> Proc | None:
    for p in state.procs:
        if p.pid == pid:
            return p
    return None


def shell_status(word: int) -> int:
    """What a shell prints for `$?` given a wait status word."""
    sig = word & 0x7F
    if sig == 0:
        return (word >> 8) & 0xFF
    return 128 + sig
