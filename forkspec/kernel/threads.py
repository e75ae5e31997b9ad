"""POSIX threads inside a process: creation, exit and join, mutexes, pthread_atfork.

A process's threads share its page table, stdio streams and atexit list. The thread
on `Proc.stack` is thread `Proc.tid`; the others are `Thread` records, each with its
own activations and pending writes, its stack in a region of its own
(`THREAD_CELLS` cells per thread index). `schedulable` tells the kernel which
threads may be offered a step; a single-threaded process offers just its one.

A mutex is one cell: 0 when free, else its owner (`pid << 8 | thread index`), so a
fork child inherits it locked by a thread that does not exist there (fork copies
only the calling thread). A lock or join that waits for a thread that is gone
never returns: the step that starts the wait marks the thread stuck and records an
`orphaned_wait` event, which `fork-thread-safety` flags when the missing thread
belonged to another process. When every thread of every process is stuck or
blocked, the state has no successors and the search reports it stuck.

With more than one live thread, every instruction that reads or writes memory
another thread can reach (globals, the heap, mappings, locals whose address is
taken) is a step of its own, so threads interleave at each such access; a store
whose value read such memory is two steps, the load then the store, so `n++` in
two threads can lose an update as compiled code does. An expression's reads are
one step (a data race is undefined in C; the model does not split them further).
"""
from __future__ import annotations

from forkspec import ir
from forkspec.errors import ModelError
from forkspec.frontend.routines import FORK_ATFORK, THREAD_START
from forkspec.kernel.events import Event
from forkspec.kernel.state import PTE_SHARED, THREAD_EXITED, THREAD_RUNNING, THREAD_STUCK, Activation, Thread

THREAD_CELLS = 1 << 20  # stack cells per thread index (8 MiB)
MAX_THREADS = 64
HANDLE_BASE = 0x7F3A_3000_0000  # pthread_t values: HANDLE_BASE + index * HANDLE_STRIDE
HANDLE_STRIDE = 0x80_0000
EBUSY, EDEADLK, EAGAIN = 16, 35, 11
STORE_LATER = -1  # a pending entry (STORE_LATER, (address, value), line, text): the store half of a load-store

VISIBLE = frozenset({"pthread_create", "pthread_join", "pthread_exit", "pthread_mutex_lock",
                     "pthread_mutex_trylock", "pthread_mutex_unlock", "pthread_mutex_init", "pthread_mutex_destroy"})
BLOCKING = frozenset({"pthread_mutex_lock", "pthread_join"})


class Pushed:
    """A builtin's result meaning: the call went on in a routine pushed on the stack (or the
    thread stopped); the caller's instruction is not finished and its pc does not move."""


PUSHED = Pushed()


def handle(index: int) -> int:
    return HANDLE_BASE + index * HANDLE_STRIDE


def index_of(h) -> int:
    if not isinstance(h, int) or (h - HANDLE_BASE) % HANDLE_STRIDE or not 0 <= (h - HANDLE_BASE) // HANDLE_STRIDE < MAX_THREADS:
        return -1
    return (h - HANDLE_BASE) // HANDLE_STRIDE


def schedulable(p) -> list:
    """The threads of `p` that may take a step: None for the thread on `p.stack`, else indices."""
    out = [None] if not p.main_state else []
    out.extend(t.index for t in p.threads if t.state == THREAD_RUNNING)
    return out


def alive(p, index: int) -> bool:
    """Does thread `index` of process `p` exist (running, blocked or stuck, not exited)?"""
    if index == p.tid:
        return p.main_state in ("", THREAD_STUCK)
    return any(t.index == index and t.state != THREAD_EXITED for t in p.threads)


def live_count(p) -> int:
    return (1 if p.main_state in ("", THREAD_STUCK) else 0) + sum(t.state != THREAD_EXITED for t in p.threads)


def put(threads: tuple, index: int, **changes) -> tuple:
    return tuple(t._replace(**changes) if t.index == index else t for t in threads)


def owner_value(pid: int, index: int) -> int:
    return pid << 8 | index


# ---------------------------------------------------------------- what a thread may touch


_escaped: dict[int, frozenset] = {}
_touches: dict[int, bool] = {}
_keep: list = []  # the IR nodes cached by id stay alive, so their ids stay unique


def escaped_locals(fn: ir.Function) -> frozenset:
    """Local slots whose address the function takes: another thread may reach them."""
    got = _escaped.get(id(fn))
    if got is None:
        slots = set()
        for ins in fn.body:
            _walk(ins, lambda e: slots.add(e.cell.slot) if isinstance(e, ir.AddrOf) and e.cell.region == "local" else None)
        got = _escaped[id(fn)] = frozenset(slots)
        _keep.append(fn)
    return got


def _walk(e, visit) -> None:
    visit(e)
    for name in ("value", "target", "cond", "then", "other", "operand", "left", "right", "string", "index", "addr",
                 "func"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)):
            _walk(sub, visit)
    for a in getattr(e, "args", ()) or ():
        _walk(a, visit)


def touches_shared(fn: ir.Function, ins) -> bool:
    """Does the instruction (or expression) read or write memory another thread of the process can reach?"""
    got = _touches.get(id(ins))
    if got is None:
        escaped = escaped_locals(fn)
        hit = []
        _walk(ins, lambda e: hit.append(1) if isinstance(e, ir.Deref) or (
            isinstance(e, ir.Cell) and (e.region == "global" or e.slot in escaped)) else None)
        got = _touches[id(ins)] = bool(hit)
        _keep.append(ins)
    return got


# ---------------------------------------------------------------- the calls


class ThreadCalls:
    """The `_b_` methods of <pthread.h>, mixed into `Exec`."""

    def run_new_threads(self) -> None:
        """A thread created in this step runs its local prefix at once, as a fork child does."""
        for k in self.new_threads:
            if not self.alive or not any(t.index == k and t.state == THREAD_RUNNING for t in self.p.threads):
                continue
            self.pack()
            thread = self.thread
            self.unpack(self.pid, k)
            self.run_local()
            self.pack()
            self.unpack(self.pid, thread)

    def fork_inherits(self, child, vfork: bool):
        """What a fork child keeps of threads and memory: only the calling thread (now its
        only one), the atfork registrations, the malloc blocks; fork's page-table rules
        (MADV_DONTFORK, MADV_WIPEONFORK) do not apply to vfork, which shares everything."""
        return child._replace(
            ptes=child.ptes if vfork else self.child_ptes(), tid=self.own_index(), atfork=self.p.atfork,
            heap=self.p.heap, vfork_depth=len(self.stack_rest) if vfork else 0)

    def own_index(self) -> int:
        return self.p.tid if self.thread is None else self.thread

    def thread_enabled(self, ins) -> bool:
        """Can a lock or join proceed now? (A wait for a thread that is gone proceeds: it gets stuck.)"""
        if ins.name == "pthread_mutex_lock":
            try:
                m = self.eval(ins.args[0])
                v = self.load(m)
            except Exception:  # a bad address: the step runs, and the fault kills the process there
                return True
            return v == 0 or not self.owner_alive(m, v)
        k = index_of(self.eval(ins.args[0]))
        if k == self.own_index():
            return True
        if k == self.p.tid:
            return self.p.main_state == THREAD_EXITED
        t = next((t for t in self.p.threads if t.index == k), None)
        return t is None or t.state == THREAD_EXITED

    def owner_alive(self, m: int, v) -> bool:
        """Can the owner recorded in mutex `m` still unlock it? A thread of this process that is
        still there can; so can a live thread of another process when the mutex sits in a
        MAP_SHARED page both map. A private copy's owner (a thread fork did not copy) cannot."""
        if not isinstance(v, int):
            return False
        pid, index = v >> 8, v & 0xFF
        if pid == self.pid:
            return alive(self.p, index)
        entry = self.ptes.get(m >> 12)
        other = self.procs.get(pid)
        return bool(entry and entry[1] & PTE_SHARED) and other is not None and other.state != "zombie" \
            and alive(other, index)

    def get_stuck(self, what: str, owner_pid: int) -> Pushed:
        """This thread waits for what never comes: it stops here for good."""
        forked = owner_pid != self.pid
        if what == "mutex":
            whose = f"a thread of process {owner_pid} that fork did not copy" if forked else "a thread that has ended"
            text = f"blocks for ever: the mutex is held by {whose}"
        else:
            text = "blocks for ever: joins a thread that is not in this process (fork did not copy it)"
        self.events.append(Event("orphaned_wait", self.pid, what=what, owner=owner_pid, forked=forked, text=text))
        if self.thread is None:
            self.p = self.p._replace(main_state=THREAD_STUCK)
        else:
            self.p = self.p._replace(threads=put(self.p.threads, self.thread, state=THREAD_STUCK))
        self.halted = True
        return PUSHED

    def _b_pthread_create(self, ins, choice, preview=False):
        """pthread_create(3) with NULL attributes: a new thread runs start(arg) on a stack of its own;
        EAGAIN at the process limit, which counts threads as Linux's RLIMIT_NPROC does."""
        tp, attr, fn, arg = (self.eval(a) for a in ins.args)
        if attr != 0:
            raise ModelError("pthread_create with attributes is not modelled; pass NULL")
        target = (fn - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(fn, int) else -1
        if not (0 <= target < len(self.program.functions) and (fn - ir.FUNC_BASE) % ir.FUNC_STRIDE == 0):
            raise ModelError("pthread_create needs a start function")
        used = {self.p.tid} | {t.index for t in self.p.threads}
        k = next((i for i in range(MAX_THREADS) if i not in used), None)
        if k is None or self.live_count() >= self.config.max_procs:  # RLIMIT_NPROC counts threads too
            self.events.append(Event("thread_create_failed", self.pid, errno=EAGAIN,
                                     text="pthread_create = EAGAIN (the process limit counts threads)"))
            return EAGAIN
        start = self.program.function_index[THREAD_START]
        base = k * THREAD_CELLS
        self.store(ir.STACK_BASE + base * ir.CELL, fn)
        self.store(ir.STACK_BASE + (base + 1) * ir.CELL, arg)
        frame = Activation(start, 0, base, (0,) * self.program.functions[start].ntemps, None)
        threads = tuple(sorted(self.p.threads + (Thread(k, (frame,), THREAD_RUNNING),)))
        self.p = self.p._replace(threads=threads)
        self.multi = True
        self.new_threads.append(k)
        self.store(tp, handle(k))
        self.events.append(Event("thread_create", self.pid, child=k, text=f"new thread {k}"))
        return 0

    def _b_pthread_exit(self, ins, choice, preview=False):
        """pthread_exit(3), or a return from the start routine: the thread ends; the last one
        ends the process as exit(0) does (atexit handlers, stdio flush)."""
        value = self.eval(ins.args[0])
        if live_count(self.p) > 1:
            if self.thread is None:
                self.p = self.p._replace(main_state=THREAD_EXITED)
            else:
                self.p = self.p._replace(threads=put(self.p.threads, self.thread, state=THREAD_EXITED,
                                                     value=value if isinstance(value, int) else 0))
            self.events.append(Event("thread_exit", self.pid, child=self.own_index(),
                                     text=f"thread {self.own_index()} ends"))
            self.stack_rest, self.func = [], None
            self.multi = live_count(self.p) > 1
            return None
        self.stack_rest, self.func = [], None
        self.push(self.program.exit_routine, [0], None, 0)
        return PUSHED

    def _b_pthread_join(self, ins, choice, preview=False):
        """pthread_join(3): wait for the thread to end, take its result and free it; EDEADLK on
        oneself. A thread that is not in this process (it stayed in the parent) never ends."""
        k, out = index_of(self.eval(ins.args[0])), self.eval(ins.args[1])
        if k == self.own_index():
            return EDEADLK
        if k == self.p.tid and self.p.main_state == THREAD_EXITED:
            value = 0
        else:
            t = next((t for t in self.p.threads if t.index == k), None)
            if t is None:
                return self.get_stuck("join", 0)
            value = t.value
            self.p = self.p._replace(threads=tuple(x for x in self.p.threads if x.index != k))
        if out:
            self.store(out, value)
        self.events.append(Event("thread_join", self.pid, child=k, text=f"joined thread {k}"))
        return 0

    def _b_pthread_self(self, ins, choice, preview=False):
        return handle(self.own_index())

    def _b_pthread_equal(self, ins, choice, preview=False):
        return int(self.eval(ins.args[0]) == self.eval(ins.args[1]))

    def _b_pthread_mutex_init(self, ins, choice, preview=False):
        if self.eval(ins.args[1]) != 0:
            raise ModelError("mutex attributes are not modelled; pass NULL")
        self.store(self.eval(ins.args[0]), 0)
        return 0

    def _b_pthread_mutex_destroy(self, ins, choice, preview=False):
        return 0

    def _b_pthread_mutex_lock(self, ins, choice, preview=False):
        """pthread_mutex_lock(3) (a default mutex): take it if free; a mutex whose owner is gone
        stays locked for ever (a fork child's copy of one a parent thread held)."""
        m = self.eval(ins.args[0])
        v = self.load(m)
        if v != 0:
            return self.get_stuck("mutex", v >> 8 if isinstance(v, int) else 0)
        self.store(m, owner_value(self.pid, self.own_index()))
        return 0

    def _b_pthread_mutex_trylock(self, ins, choice, preview=False):
        """pthread_mutex_trylock(3): 0 and the mutex, or EBUSY if it is held (by anyone, anywhere)."""
        m = self.eval(ins.args[0])
        if self.load(m) != 0:
            return EBUSY
        self.store(m, owner_value(self.pid, self.own_index()))
        return 0

    def _b_pthread_mutex_unlock(self, ins, choice, preview=False):
        """pthread_mutex_unlock(3): a default mutex does not check its owner (glibc), so a fork
        child may unlock what its copied thread held before the fork."""
        self.store(self.eval(ins.args[0]), 0)
        return 0

    def _b_pthread_atfork(self, ins, choice, preview=False):
        """pthread_atfork(3): register (prepare, parent, child); NULL for none. Inherited by a fork child."""
        idx = []
        for a in ins.args:
            v = self.eval(a)
            i = (v - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(v, int) and v else -1
            if v and not 0 <= i < len(self.program.functions):
                raise ModelError("pthread_atfork needs functions or NULL")
            idx.append(i)
        self.p = self.p._replace(atfork=self.p.atfork + (tuple(idx),))
        return 0

    def fork_through_atfork(self, ins):
        """fork() with atfork handlers: run glibc's sequence (prepare, fork, parent/child) as a routine."""
        routine = self.program.function_index[FORK_ATFORK]
        self.kill_dead(self.pc)
        self.push(routine, [], ins.dst, self.pc + 1)
        self.store(ir.STACK_BASE + self.base * ir.CELL, 0)
        return PUSHED

    def in_fork_routine(self) -> bool:
        return self.func is not None and self.func.name == FORK_ATFORK

    def _b___atfork_next(self, ins, choice, preview=False):
        """The next handler of the current phase, or 0 (and the count reset) when none is left:
        prepare handlers newest first; parent (fork's result non-zero) or child ones oldest first."""
        phase = self.eval(ins.args[0])
        counter = ir.STACK_BASE + self.base * ir.CELL
        done = self.load(counter)
        if phase == "prepare":
            handlers = [h[0] for h in reversed(self.p.atfork)]
        else:
            handlers = [h[2] if phase == 0 else h[1] for h in self.p.atfork]
        handlers = [h for h in handlers if h >= 0]
        if done >= len(handlers):
            self.store(counter, 0)
            return 0
        self.store(counter, done + 1)
        return ir.FUNC_BASE + handlers[done] * ir.FUNC_STRIDE
