"""POSIX threads over Z3 terms: the rules of `kernel/threads.py`, method for method.

A slot's threads are numbered as the kernel numbers them (the lowest free index; a
fork child keeps its caller's as `tid`). Thread k of slot s has a state `("ts", s, k)`
(`T_UNUSED`, `T_RUNNING`, `T_STUCK`, `T_EXITED`), a location and temps of its own
(`Step.loc_name`, `Step.temp_name`), its start routine's result `("tv", s, k)`, and
the store half of a split load-store `("ps", s, k)`, `("pv", s, k)`; memory, stdio
and the atexit list stay the slot's. The pthread_atfork registrations are
`("af", s, j, phase)` (a function index, -1 for NULL) and their count `("naf", s)`.
While a slot has two live threads, the instructions `Layout.thread_points` lists are
steps of their own (`Step.run`), as `Exec.is_visible` makes them.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import bv, is_sym
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.frontend.routines import FORK_ATFORK
from forkspec.kernel import threads as kt

T_UNUSED, T_RUNNING, T_STUCK, T_EXITED = 0, 1, 2, 3


class Pushed:
    """A builtin's result meaning: a routine was pushed; the caller's pc does not move."""


PUSHED = Pushed()


class ThreadSteps:
    """The `b_` methods of <pthread.h>, mixed into `block.Step`."""

    k = 0  # the thread of the slot that runs

    # ---------------------------------------------------------------- names and counts

    def temp_name(self, s: int, d: int, i: int, k: int | None = None) -> tuple:
        k = self.k if k is None else k
        return ("t", s, d, i) if k == 0 else ("t", s, d, i, k)

    def loc_name(self, s: int, k: int | None = None) -> tuple:
        k = self.k if k is None else k
        return ("loc", s) if k == 0 else ("loc", s, k)

    def live_threads(self, p, s: int):
        """kernel: threads.live_count, over slot s's threads (running, blocked or stuck)."""
        states = tuple(self.get(p, ("ts", s, j)) for j in range(self.lay.threads))
        cache = self.__dict__.setdefault("_live", {})  # the same thread states: the same term
        key = tuple(x if isinstance(x, int) else x.get_id() for x in states)
        if key not in cache:  # (the states kept with the term: their ids stay theirs)
            one, zero = z3.BitVecVal(1, 16), z3.BitVecVal(0, 16)
            cache[key] = states, z3.simplify(z3.Sum([z3.If(z3.Or(x == T_RUNNING, x == T_STUCK), one, zero)
                                                     for x in states]))
        return cache[key][1]

    def thread_alive(self, p, s: int, j: int):
        st = self.get(p, ("ts", s, j))
        return z3.Or(st == T_RUNNING, st == T_STUCK)

    def multi(self, p, s: int):
        """kernel: Exec.multi: another thread of the process may run between two instructions."""
        return self.live_threads(p, s) > 1

    def extra_tasks(self, p):
        """The live threads beyond one per running process (RLIMIT_NPROC counts them: Exec.live_count)."""
        return z3.Sum([z3.If(self.get(p, ("st", c)) == 1, self.live_threads(p, c) - 1, z3.BitVecVal(0, 16))
                       for c in range(self.enc.slots)])

    # ---------------------------------------------------------------- a new thread's first steps

    def run_thread(self, p, s: int, j: int, key) -> list:
        """A new thread runs its local instructions up to its first step of its own, within
        pthread_create's step (kernel: run_new_threads)."""
        creator_key, creator = p.key, self.k
        p.key, self.k = key, j
        out = []
        try:
            for q in self.run(p, s, first=False):
                if q.alive and not q.beyond:
                    self.set(q, self.loc_name(s), z3.BitVecVal(self.lay.id(q.key), 16))
                q.key, q.alive = creator_key, not q.beyond
                out.append(q)
        finally:
            self.k = creator
        return out

    def get_stuck(self, p, s: int, forked) -> None:
        """kernel: ThreadCalls.get_stuck: this thread waits for what never comes."""
        p.event("orphaned_forked", forked)
        self.set(p, ("ts", s, self.k), T_STUCK)
        p.alive = False

    def run_store(self, s: int, key) -> list:
        """The store half of a load-store split between threads (kernel: Exec.store_later), then
        the thread's local instructions up to its next step of its own."""
        from forkspec.engines.symbolic.block import Path, _Ctx
        from forkspec.engines.symbolic.expr import Evaluator

        p = Path(key)
        f, pc = key[-1]
        ins = self.lay.program.functions[f].body[pc - 1]
        ev = Evaluator(_Ctx(self, p, s), ins.loc)
        self.store(p, s, self.target_key(ev, p, s, ins.target), self.get(p, ("pv", s, self.k)), ins.loc)
        self.set(p, ("ps", s, self.k), 0)
        return self.run(p, s, first=False)

    def split_store(self, p, s: int, value, key) -> list:
        """kernel: Exec._execute's Store: with two live threads, a value that read shared memory
        is stored in a step of its own. [(path, whether it is split)]"""
        out = []
        for q, many in self.cases(p, self.multi(p, s)):
            if many:
                self.set(q, ("ps", s, self.k), 1)
                self.set(q, ("pv", s, self.k), value)
                q.key = key
                q.held = True
            out.append((q, many))
        return out

    # ---------------------------------------------------------------- the calls

    def constant_address(self, v, ins, what: str) -> int:
        if is_sym(v) or not isinstance(v, int):
            raise NotEncoded(f"{ins.name}() of a {what} that is not a constant address", ins.loc)
        return v

    def b_pthread_create(self, p, s, ins, ev):
        tp, attr, fn, arg = (ev.eval(a) for a in ins.args)
        if is_sym(attr) or attr != 0:
            raise NotEncoded("pthread_create() with attributes", ins.loc)
        nf = len(self.lay.program.functions)
        if is_sym(fn) or not isinstance(fn, int) or (fn - ir.FUNC_BASE) % ir.FUNC_STRIDE \
                or not 0 <= (fn - ir.FUNC_BASE) // ir.FUNC_STRIDE < nf:
            raise NotEncoded("pthread_create() of a start routine that is not a known function", ins.loc)
        tp = self.constant_address(tp, ins, "thread handle")
        out = []
        limit = self.live(p) >= self.enc.max_procs
        for q, full in self.cases(p, limit):
            if full:
                out.append((q, kt.EAGAIN))
                continue
            rest = q
            for j in range(self.lay.threads):
                if rest is None:
                    break
                free = z3.And([self.get(rest, ("ts", s, i)) != T_UNUSED for i in range(j)]
                              + [self.get(rest, ("ts", s, j)) == T_UNUSED])
                rest = self.pick(rest, free, lambda r, j=j: out.extend(
                    (x, 0) for x in self.create(r, s, j, tp, fn, arg)))
            if rest is not None:
                self.beyond(rest, s, f"more than {self.lay.threads} threads in a process")
                out.append((rest, None))
        return out

    def create(self, p, s: int, j: int, tp: int, fn, arg) -> list:
        from forkspec.engines.symbolic.block import _Ctx

        base = j * kt.THREAD_CELLS
        self.store(p, s, ("s", base), fn)
        self.store(p, s, ("s", base + 1), arg)
        self.set(p, ("ts", s, j), T_RUNNING)
        self.set(p, ("tv", s, j), 0)
        self.set(p, ("ps", s, j), 0)
        for i in range(self.lay.program.functions[self.lay.start].ntemps):
            self.set(p, self.temp_name(s, 0, i, j), 0)
        self.store(p, s, _Ctx(self, p, s).address_key(tp), kt.handle(j))
        return self.run_thread(p, s, j, ((self.lay.start, 0),))

    def b_pthread_exit(self, p, s, ins, ev):
        """kernel: ThreadCalls._b_pthread_exit: the thread ends; the last one runs exit(0)."""
        value = ev.eval(ins.args[0])
        out = []
        for q, more in self.cases(p, self.live_threads(p, s) > 1):
            if more:
                self.set(q, ("ts", s, self.k), T_EXITED)
                self.set(q, ("tv", s, self.k), value if not isinstance(value, str) else 0)
                q.alive = False
                out.append((q, None))
                continue
            q.key = None
            self.push(q, s, self.lay.program.exit_routine, [0], 0)
            out.append((q, PUSHED))
        return out

    def b_pthread_join(self, p, s, ins, ev):
        """kernel: thread_enabled and _b_pthread_join (the wait is the path's guard)."""
        h, where = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        if is_sym(where):
            raise NotEncoded("pthread_join() with a result pointer that is not a constant", ins.loc)
        tid = self.get(p, ("tid", s))
        out = []
        rest = p
        for j in range(self.lay.threads):
            if rest is None:
                break
            rest = self.pick(rest, h == kt.handle(j), lambda q, j=j: out.extend(self.join(q, s, j, tid, where)))
        if rest is not None:  # no thread of this process: it never ends
            self.get_stuck(rest, s, True)
            out.append((rest, None))
        return out

    def join(self, p, s: int, j: int, tid, where) -> list:
        if j == self.k:
            return [(p, kt.EDEADLK)]
        st = self.get(p, ("ts", s, j))
        out = []
        for q, main in self.cases(p, tid == j):
            if main:  # the thread on the process's stack: joinable once it exited, never freed
                q.guard.append(st == T_EXITED)
                out.append(self.joined(q, s, where, bv(0)))
                continue
            q.guard.append(z3.Or(st == T_UNUSED, st == T_EXITED))
            for r, gone in self.cases(q, st == T_UNUSED):
                if gone:  # not in this process (it stayed in the parent): it never ends
                    self.get_stuck(r, s, True)
                    out.append((r, None))
                    continue
                value = self.get(r, ("tv", s, j))
                self.set(r, ("ts", s, j), T_UNUSED)
                out.append(self.joined(r, s, where, value))
        return out

    def joined(self, p, s: int, where, value) -> tuple:
        from forkspec.engines.symbolic.block import _Ctx

        if where:
            self.store(p, s, _Ctx(self, p, s).address_key(where), value)
        return (p, 0)

    def b_pthread_self(self, p, s, ins, ev):
        return [(p, kt.handle(self.k))]

    def b_pthread_equal(self, p, s, ins, ev):
        a, b = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        return [(p, z3.If(a == b, bv(1), bv(0)) if is_sym(a) or is_sym(b) else int(a == b))]

    def mutex_key(self, p, s, ins, ev):
        from forkspec.engines.symbolic.block import _Ctx

        return _Ctx(self, p, s).address_key(self.constant_address(ev.eval(ins.args[0]), ins, "mutex"))

    def owner(self, s: int):
        return kt.owner_value(self.pid(s), self.k)

    def b_pthread_mutex_init(self, p, s, ins, ev):
        attr = ev.eval(ins.args[1])
        if is_sym(attr) or attr != 0:
            raise NotEncoded("pthread_mutex_init() with attributes", ins.loc)
        self.store(p, s, self.mutex_key(p, s, ins, ev), 0, ins.loc)
        return [(p, 0)]

    def b_pthread_mutex_destroy(self, p, s, ins, ev):
        return [(p, 0)]

    def b_pthread_mutex_lock(self, p, s, ins, ev):
        """kernel: thread_enabled (free, or its owner gone) and _b_pthread_mutex_lock. Without
        MAP_SHARED pages a mutex's owner is a thread of this very process or of none."""
        key = self.mutex_key(p, s, ins, ev)
        v = self.get(p, ("m", s, key))
        me = self.pid(s)
        owner_here = z3.Or([z3.And(v == kt.owner_value(me, j), self.thread_alive(p, s, j))
                            for j in range(self.lay.threads)])
        p.guard.append(z3.Or(v == 0, z3.Not(owner_here)))
        out = []
        for q, free in self.cases(p, v == 0):
            if free:
                self.store(q, s, key, self.owner(s), ins.loc)
                out.append((q, 0))
            else:
                self.get_stuck(q, s, z3.LShR(v, 8) != me)
                out.append((q, None))
        return out

    def b_pthread_mutex_trylock(self, p, s, ins, ev):
        key = self.mutex_key(p, s, ins, ev)
        out = []
        for q, held in self.cases(p, self.get(p, ("m", s, key)) != 0):
            if held:
                out.append((q, kt.EBUSY))
            else:
                self.store(q, s, key, self.owner(s), ins.loc)
                out.append((q, 0))
        return out

    def b_pthread_mutex_unlock(self, p, s, ins, ev):
        self.store(p, s, self.mutex_key(p, s, ins, ev), 0, ins.loc)
        return [(p, 0)]

    # ---------------------------------------------------------------- pthread_atfork

    def b_pthread_atfork(self, p, s, ins, ev):
        idx = []
        for a in ins.args:
            v = ev.eval(a)
            if is_sym(v) or not isinstance(v, int):
                raise NotEncoded("pthread_atfork() of something that is not a known function or NULL", ins.loc)
            i = (v - ir.FUNC_BASE) // ir.FUNC_STRIDE if v else -1
            if v and not 0 <= i < len(self.lay.program.functions):
                raise NotEncoded("pthread_atfork() of something that is not a known function or NULL", ins.loc)
            idx.append(i)
        cap, n = self.lay.atfork_sites, self.get(p, ("naf", s))
        out = []
        for q, full in self.cases(p, n >= cap):
            if full:
                self.beyond(q, s, f"more than {cap} pthread_atfork registrations")
                out.append((q, None))
                continue
            for j in range(cap):
                for ph in range(3):
                    self.set(q, ("af", s, j, ph), z3.If(n == j, bv(idx[ph]), self.get(q, ("af", s, j, ph))))
            self.set(q, ("naf", s), n + 1)
            out.append((q, 0))
        return out

    def enters_atfork(self, p) -> bool:
        """Does this fork run glibc's handler sequence (kernel: Exec.do_fork, fork_through_atfork)?"""
        return bool(self.lay.atfork_sites) and self.lay.program.functions[p.key[-1][0]].name != FORK_ATFORK

    def enter_atfork(self, p, s: int):
        f, pc = p.key[-1]
        routine = self.lay.program.function_index[FORK_ATFORK]
        self.push(p, s, routine, [], pc + 1)
        self.store(p, s, ("s", self.lay.bases(p.key, self.k)[-1]), 0)
        return p

    def b___atfork_next(self, p, s, ins, ev):
        """kernel: _b___atfork_next: prepare handlers newest first, parent or child ones oldest first."""
        phase = ev.eval(ins.args[0])
        counter = ("s", self.lay.bases(p.key, self.k)[-1])
        done = self.get(p, ("m", s, counter))
        if isinstance(phase, str):
            total, handler = self.nth_handler(p, s, 0, done, True)
        else:
            ct, child = self.nth_handler(p, s, 2, done, False)
            pt, parent = self.nth_handler(p, s, 1, done, False)
            zero = phase == 0 if is_sym(phase) else z3.BoolVal(phase == 0)
            total, handler = z3.If(zero, ct, pt), z3.If(zero, child, parent)
        over = done >= total
        self.store(p, s, counter, z3.If(over, bv(0), done + 1))
        return [(p, z3.If(over, bv(0), ir.FUNC_BASE + handler * ir.FUNC_STRIDE))]

    def nth_handler(self, p, s: int, ph: int, done, newest_first: bool):
        """(how many registrations have a handler for phase ph, the function index of the
        done-th of them in the phase's order)."""
        cap, n = self.lay.atfork_sites, self.get(p, ("naf", s))
        entry = [self.get(p, ("af", s, j, ph)) for j in range(cap)]
        valid = [z3.And(n > j, entry[j] >= 0) for j in range(cap)]
        one = [z3.If(v, bv(1), bv(0)) for v in valid]
        handler = bv(-1)
        for j in range(cap):
            before = one[j + 1:] if newest_first else one[:j]
            rank = z3.Sum(before) if before else bv(0)
            handler = z3.If(z3.And(valid[j], rank == done), entry[j], handler)
        return (z3.Sum(one) if one else bv(0)), handler
