"""One step of one process slot, executed symbolically: the kernel's rules over Z3 terms.

`run_block` starts a slot at a location and runs the IR (the same instructions the
kernel interprets, with the rules of `kernel/step.py` transcribed method for method)
up to the next boundary, splitting into paths where a condition is symbolic. Each
path is a guard, the state variables it changes, and the events it raises (an assert
failing, a reparenting, an atexit handler out of order). A path that leaves what the
encoding covers (more processes than slots, a full stdio buffer) ends in the
`beyond` flag: reaching it makes a `holds` impossible, never a wrong answer.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import Chars, Evaluator, Split, as_int, bv, is_sym, truth, wrap_sym
from forkspec.engines.symbolic import chars, strings
from forkspec.engines.symbolic import stdio as sio
from forkspec.engines.symbolic.fds import STAY, FdSteps
from forkspec.engines.symbolic.program import Layout, NotEncoded
from forkspec.engines.symbolic.threads import PUSHED, ThreadSteps
from forkspec.engines.symbolic.vfork import VforkSteps, in_table
from forkspec.engines.symbolic.memory import MemorySteps
from forkspec.engines.symbolic.signals import SignalSteps
from forkspec.engines.symbolic.exec import ExecSteps
from forkspec.engines.symbolic.prctl import PrctlSteps
from forkspec.frontend import ctypes as ct
from forkspec.kernel.printf import PrintfError, _parse, format_printf
from forkspec.kernel.state import FIRST_PID, INIT_PID, IOFBF, IOLBF, IONBF
from forkspec.kernel.stdio import BUFSIZ
from forkspec.kernel.signals import ESRCH
from forkspec.kernel.step import EAGAIN, ECHILD, EINVAL, EBADF, INT_MIN, SIGABRT, SIGSEGV, WAITPID_OPTIONS, WNOHANG

UNUSED, RUNNING, ZOMBIE, GONE, HALTED = 0, 1, 2, 3, 4  # slot states; HALTED: beyond the encoding
MAX_BLOCK_STEPS = 400
MAX_PATHS = 512
DECIDE_VALUES = 8  # the most constants `Step.decide` tries one at a time


class Path:
    """One way through a block: a guard, the choice it needs, and what it changed."""

    __slots__ = ("view", "guard", "choice", "key", "alive", "events", "steps", "beyond", "reads_input", "held",
                 "assumed", "calm", "early", "reads_left", "outside")

    def __init__(self, key):
        self.view: dict = {}
        self.guard: list = []
        self.choice = None  # a Z3 Bool over the step's choice variables, or None
        self.key = key
        self.alive = True
        self.events: dict = {}
        self.steps = 0
        self.beyond: str = ""
        self.outside: dict = {}  # why the path may leave the encoding -> when (a Z3 Bool, or True)
        self.reads_input = False  # the path calls nondet_int()
        self.held = False  # a stdio call left write(2)s pending: the step ends after it
        self.assumed: dict = {}  # the current instruction's splits (`expr.Split`): key -> which side
        self.calm = False  # no signal can be due for this slot until it sends, blocks or unblocks one
        self.early = False  # its choice is whether a handler ran before the blocking call started
        self.reads_left = False  # alarm() returns the step's `left` choice (`SignalSteps.b_alarm`)

    def clone(self) -> "Path":
        p = Path(self.key)
        p.view, p.guard, p.choice, p.alive = dict(self.view), list(self.guard), self.choice, self.alive
        p.events, p.steps, p.beyond, p.reads_input = dict(self.events), self.steps, self.beyond, self.reads_input
        p.held, p.assumed, p.calm, p.early = self.held, dict(self.assumed), self.calm, self.early
        p.reads_left = self.reads_left
        p.outside = dict(self.outside)
        return p

    def event(self, name: str, cond) -> None:
        if cond is False:
            return
        old = self.events.get(name)
        self.events[name] = cond if old is None else z3.Or(old, _b(cond))


def _b(v):
    return z3.BoolVal(v) if isinstance(v, bool) else v


def cases(p: Path, cond) -> list[tuple[Path, bool]]:
    """Split `p` on a truth value: one path if it is known, two (guarded) if symbolic."""
    if isinstance(cond, bool):
        return [(p, cond)]
    cond = z3.simplify(cond)
    if z3.is_true(cond) or z3.is_false(cond):
        return [(p, z3.is_true(cond))]
    q = p.clone()
    p.guard.append(cond)
    q.guard.append(z3.Not(cond))
    return [(p, True), (q, False)]


class Step(FdSteps, ThreadSteps, VforkSteps, MemorySteps, SignalSteps, ExecSteps, PrctlSteps):
    """The symbolic kernel for one step: the frame at time t, the step's choice variables."""

    cases = staticmethod(cases)

    def __init__(self, enc, frame: dict, fail, nondet):
        self.enc = enc
        self.lay: Layout = enc.layout
        self.frame = frame
        self.fail = fail  # Z3 Bool: this step's fork fails (fork-can-fail), or None
        self.nondet = nondet  # Z3 Int: this step's nondet_int() value, or None
        self.printed: list = []  # symbolic numbers the current block prints (for outcome enumeration)
        self.touched: set = set()  # the current block's footprint: (name, written, on a fresh slot)
        self.fresh = None  # the slot a fork is filling in, while it does
        self.early = None  # Z3 Bool: a caught signal's handler runs before a blocking call starts, or None
        self.left = None  # the seconds alarm() finds left of the old timer (`SignalSteps.b_alarm`), or None
        self.known_vars: dict = {}  # the constants each frame variable can be, by term id (`Encoder.unroll`)

    def known_values(self, term):
        """The constants `term` can be, from what the frame's variables are known to hold
        (`Encoder.might_be`), or None."""
        from forkspec.engines.symbolic.unroll import _leaves
        return _leaves(term, self.known_vars) if isinstance(term, z3.BitVecRef) else None

    def decide(self, cond, term):
        """`cond`, or its truth value when that is the same for every constant `term` can be
        (what the frame's variables are known to hold, `Encoder.might_be`): a split on it
        would build a path no execution takes."""
        if isinstance(cond, bool):
            return cond
        values = self.known_values(term)
        if values is None or len(values) > DECIDE_VALUES:
            return cond
        seen = set()
        for v in values:
            out = z3.simplify(z3.substitute(cond, (term, z3.BitVecVal(v, term.size()))))
            if not (z3.is_true(out) or z3.is_false(out)):
                return cond
            seen.add(z3.is_true(out))
        return z3.BoolVal(seen.pop()) if len(seen) == 1 else cond

    def note(self, name, written: bool) -> None:
        fresh = len(name) > 1 and name[1] == self.fresh
        self.touched.add((name, written, fresh))

    # ---------------------------------------------------------------- state access

    def get(self, p: Path, name):
        self.note(name, False)
        v = p.view.get(name)
        return self.frame[name] if v is None else v

    def set(self, p: Path, name, value) -> None:
        self.note(name, True)
        p.view[name] = value

    def pid(self, s: int) -> int:
        return FIRST_PID + s

    # ---------------------------------------------------------------- blocks

    def run_block(self, s: int, key) -> list[Path]:
        """Slot s runs the boundary at `key`, then its local instructions up to the next boundary."""
        return self.run(Path(key), s, first=True)

    def run(self, p: Path, s: int, first: bool) -> list[Path]:
        work = [(p, 0)]
        done: list[Path] = []
        while work:
            p, n = work.pop()
            while p is not None and p.alive and not p.beyond and not p.held:
                if (n > 0 or not first) and p.key in self.lay.boundaries:
                    break
                if (n > 0 or not first) and p.key in self.lay.thread_points:  # a step of its own with two threads
                    p = self.pick(p, self.multi(p, s), done.append)
                    if p is None:
                        break
                if n >= MAX_BLOCK_STEPS:
                    self.beyond(p, s, f"more than {MAX_BLOCK_STEPS} instructions between two visible steps")
                    break
                ins = self.lay.instr(p.key)
                results = self.execute(p, s, ins)
                for q in results:
                    q.assumed = {}
                n += 1
                p = results[0] if results else None  # no result: the instruction blocks for ever
                work.extend((q, n) for q in results[1:])
                if len(work) + len(done) > MAX_PATHS:
                    raise NotEncoded(f"more than {MAX_PATHS} paths through one step", ins.loc, limit=True)
            if p is not None:
                done.append(p)
        return done

    def run_pending(self, s: int, key) -> list[Path]:
        """Slot s, stopped after a stdio call with write(2)s left, issues the next one (kernel:
        Exec.step's pending writes, one per step); after the last it runs on to its next boundary."""
        p = Path(key)
        n = self.get(p, ("np", s))
        out = []
        for j in range(1, self.enc.pending_cap + 1):
            if p is None:
                break
            p = self.pick(p, n == j, lambda q, j=j: out.extend(self.pop_pending(q, s, j)))
        return out

    def pop_pending(self, p: Path, s: int, j: int) -> list[Path]:
        self.write(p, 1, self.get(p, ("pw", s, 0)), s)
        cap = self.enc.pending_cap
        for i in range(cap):
            self.set(p, ("pw", s, i), self.get(p, ("pw", s, i + 1)) if i + 1 < cap else z3.StringVal(""))
        self.set(p, ("np", s), j - 1)
        if j > 1:
            return [p]
        return self.run(p, s, first=False)

    def stdio(self, p: Path, s: int, call) -> list[Path]:
        """A libc call on stdout through the libio transcription (`symbolic.stdio`): one path
        per way through it; the first write(2) now, the others left pending (`run_pending`)."""
        names = [("buf", s), ("blen", s), ("sm", s), ("sz", s), ("sa", s)]
        buf, blen, sm, sz, sa = (self.get(p, n) for n in names)
        combos = [(k, a) for k in self.enc.stream_kinds for a in sio.AREAS]

        def go(o):
            i = o.choose([z3.And(sm == m, sz == z, sa == a) for (m, z), a in combos])
            (m, z), a = combos[i]
            f = sio.SymFile(o, buf, blen, m, z, a)
            call(f)
            return f

        out = []
        for guard, f in sio.paths(go):
            q = p.clone()
            q.guard.extend(guard)
            for n, v in zip(names, (f.buf, f.blen, f.mode, f.size, f.area)):
                self.set(q, n, bv(v) if isinstance(v, int) else v)
            writes = f.writes
            if writes:
                self.write(q, 1, writes[0], s)
            rest = writes[1:]
            if len(rest) > self.enc.pending_cap:
                self.beyond(q, s, f"more than {self.enc.pending_cap + 1} write(2)s in one stdio call")
            elif rest:
                for i, w in enumerate(rest):
                    self.set(q, ("pw", s, i), w)
                self.set(q, ("np", s), len(rest))
                q.held = True
            out.append(q)
        return out

    def run_child(self, p: Path, c: int, key) -> list[Path]:
        """A new child runs its local instructions up to its first boundary, within the fork's step."""
        parent_key = p.key
        p.key = key
        out = []
        self.fresh = c
        try:
            for q in self.run(p, c, first=False):
                if not q.beyond:
                    self.set(q, self.loc_name(c), z3.BitVecVal(self.lay.id(q.key), 16))
                q.key = parent_key
                q.alive = True  # a child killed in its first steps (SIGSEGV) is dead; the parent goes on
                out.append(q)
        finally:
            self.fresh = None
        return out

    def beyond(self, p: Path, s: int, why: str) -> None:
        p.beyond = why
        p.outside[why] = True
        self.set(p, ("st", s), HALTED)
        self.set(p, ("oob",), z3.BoolVal(True))

    def ctx(self, p: Path, s: int, line: int) -> Evaluator:
        return Evaluator(_Ctx(self, p, s), line)

    def execute(self, p: Path, s: int, ins) -> list[Path]:
        """One instruction, after a vfork child's check (which may stop it: `VforkSteps`)."""
        stop = self.vfork_check(p, s, ins)
        if stop is False:
            return self.execute_splitting(p, s, ins)
        out = []
        for q, undefined in cases(p, stop):
            if undefined:
                self.stop_undefined(q, s)
                out.append(q)
            else:
                out.extend(self.execute_splitting(q, s, ins))
        return out

    def execute_splitting(self, p: Path, s: int, ins) -> list[Path]:
        """One instruction; where a value depends on a condition kept apart (`expr.Split`), once
        on each side of it. An address that names none of the program's cells is beyond."""
        before = p.clone()
        try:
            return self.execute_once(p, s, ins)
        except Split as split:
            out = []
            for q, side in cases(before, split.cond):
                q.assumed[split.key] = side
                if side and split.key[0] == "segv":  # kernel: a touch of an unmapped page kills
                    self.terminate(q, s, SIGSEGV)
                    out.append(q)
                elif not side and (split.beyond or (split.key[0] == "addr" and not self.lay.regions)):
                    self.beyond(q, s, split.beyond or "a pointer to none of the program's variables or mapped cells")
                    out.append(q)
                else:
                    out.extend(self.execute_splitting(q, s, ins))
            return out

    def execute_once(self, p: Path, s: int, ins) -> list[Path]:
        ev = self.ctx(p, s, ins.loc)
        f, pc = p.key[-1]
        here = p.key[:-1]
        if isinstance(ins, ir.SetTemp):
            self.set_temp(p, s, ins.dst, ev.eval(ins.value))
            p.key = here + ((f, pc + 1),)
            return [p]
        if isinstance(ins, ir.Store):
            value = ev.eval(ins.value)
            nxt = here + ((f, pc + 1),)
            out = []
            for q, split in (self.split_store(p, s, value, nxt) if nxt in self.lay.store_keys else [(p, False)]):
                if not split:
                    self.store(q, s, self.target_key(ev, q, s, ins.target), value, ins.loc)
                    q.key = nxt
                out.append(q)
            return out
        if isinstance(ins, ir.StoreChar):
            return self.store_char(p, s, ins, ev)
        if isinstance(ins, ir.Jump):
            p.key = here + ((f, ins.target),)
            return [p]
        if isinstance(ins, ir.Branch):
            out = []
            for q, taken in cases(p, truth(ev.eval(ins.cond))):
                q.key = here + ((f, ins.if_true if taken else ins.if_false),)
                out.append(q)
            return out
        if isinstance(ins, ir.Call):
            if self.lay.signals.catching:
                self.check_signal_safety(p, ins)
            return self.call(p, s, ins, ev)
        if isinstance(ins, ir.Return):
            if self.lay.signals.catching and len(p.key) > 1 and p.key[-1][0] in self.lay.signals.handlers:
                return self.handler_return(p, s)
            value = None if ins.value is None else ev.eval(ins.value)
            self.do_return(p, s, value)
            return [p]
        if isinstance(ins, ir.Builtin):
            handler = getattr(self, "b_" + ins.name, None)
            if handler is None:
                raise NotEncoded(f"{ins.name}()", ins.loc)
            out = []
            signals = self.lay.signals.used
            if self.lay.signals.catching:
                self.check_signal_safety(p, ins)
            if signals:  # what decides whether the call writes (kernel: after_system_call)
                before = (p.view.get(("out",)), p.view.get(("err",)))
                buffered = self.get(p, ("blen", s)) != 0 if ins.name in ("fflush", "__flush_all") else True
            for q, result in handler(p, s, ins, ev):
                if result is STAY:  # the call waits: the process stays at it
                    q.held = True
                    out.append(q)
                    continue
                if q.alive and not q.beyond and result is not PUSHED:
                    if ins.dst is not None and result is not None:
                        self.set_temp(q, s, ins.dst, result)
                    q.key = q.key[:-1] + ((f, pc + 1),)
                    if signals:
                        wrote = q.view.get(("out",)) is not before[0] or q.view.get(("err",)) is not before[1]
                        out.extend(self.after_call(q, s, ins, z3.And(buffered, wrote)))
                        continue
                out.append(q)
            return out
        raise NotEncoded(f"the instruction {type(ins).__name__}", ins.loc)

    # ---------------------------------------------------------------- memory and frames

    def set_temp(self, p: Path, s: int, index: int, value) -> None:
        self.set(p, self.temp_name(s, len(p.key) - 1, index), self.kept(value))

    def kept(self, value, line=None):
        """A value as a variable holds it: a string literal as its number (`symbolic.strings`)."""
        if isinstance(value, str):
            n = strings.number(self.lay.strings, value)
            if n is not None:
                return bv(n)
        if isinstance(value, (str, Chars)):
            raise NotEncoded("a string value kept in a variable that is not one of the program's literals", line)
        return value

    def target_key(self, ev: Evaluator, p: Path, s: int, target):
        if isinstance(target, ir.Cell):
            return _Ctx(self, p, s).cell_key(target)
        addr = ev.eval(target.addr)
        if is_sym(addr):
            return _Ctx(self, p, s).cells_at(id(target), addr, target.addr)
        if not isinstance(addr, int):
            raise NotEncoded("a store through something that is not an address", ev.line)
        return _Ctx(self, p, s).address_key(addr)

    def store(self, p: Path, s: int, key, value, line: int = 0) -> None:
        if key in self.lay.char_cells:
            value = chars.bits_of(value, self.lay.char_cells[key])
        else:
            value = self.kept(value, line)
        if isinstance(key, Computed):  # every cell the address may name keeps its value unless named
            for k, hit in key.cells:
                self.store(p, s, k, z3.If(hit, _vec(value), _vec(self.get(p, ("m", s, k)))), line)
            return
        if key not in self.lay.mem_keys:
            raise NotEncoded("a memory cell outside the program's variables", line)
        self.set(p, ("m", s, key), value)
        if key[0] == "r":
            self.region_store(p, s, key, value)
        else:
            self.shared_store(p, s, key, value)

    def store_char(self, p: Path, s: int, ins, ev: Evaluator) -> list[Path]:
        """kernel: Exec's StoreChar, `a[i] = c` in a char array (outside it, beyond the encoding)."""
        key = self.target_key(ev, p, s, ins.target)
        length = self.lay.char_cells.get(key)
        if length is None:
            raise NotEncoded("a char store into a cell that is not a char array", ins.loc)
        i, c = ev.eval(ins.index), ev.eval(ins.value)
        f, pc = p.key[-1]
        out = []
        for q, inside in cases(p, z3.And(as_int(i) >= 0, as_int(i) < length) if is_sym(i) else 0 <= i < length):
            if not inside:
                self.beyond(q, s, "a char array written out of bounds")
            else:
                bits = self.get(q, ("m", s, key))
                self.set(q, ("m", s, key), chars.set_byte(bits, i, as_int(c)))
                q.key = q.key[:-1] + ((f, pc + 1),)
            out.append(q)
        return out

    def call(self, p: Path, s: int, ins: ir.Call, ev: Evaluator) -> list[Path]:
        args = [ev.eval(a) for a in ins.args]
        f, pc = p.key[-1]
        if isinstance(ins.func, int):
            self.push(p, s, ins.func, args, pc + 1)
            return [p]
        addr = ev.eval(ins.func)
        out = []
        rest = p
        for h in self.lay.targets(f):
            if rest is None:
                break
            want = ir.FUNC_BASE + h * ir.FUNC_STRIDE
            rest = self.pick(rest, (addr == want) if is_sym(addr) else addr == want,
                             lambda q, h=h: (self.push(q, s, h, args, pc + 1), out.append(q)))
        if rest is not None:
            self.beyond(rest, s, "a call through a pointer to no function")
            out.append(rest)
        return out

    @staticmethod
    def assume(p: Path, key, cond, beyond: str = ""):
        """Which side of `cond` this run of the instruction is on: the first time, the run
        stops and the instruction runs again on each side (`expr.Split`); with `beyond`,
        the side where `cond` fails is beyond the encoding."""
        if isinstance(cond, bool) and (cond or not beyond):
            return cond
        known = p.assumed.get(key)
        if known is None:
            raise Split(key, z3.BoolVal(cond) if isinstance(cond, bool) else cond, beyond)
        return known

    @staticmethod
    def pick(p: Path, cond, then) -> Path | None:
        """Run `then` on the part of `p` where `cond` holds; return the part where it does not (or None)."""
        rest = None
        for q, hit in cases(p, cond):
            if hit:
                then(q)
            else:
                rest = q
        return rest

    def reap(self, p: Path, s: int, c: int, status_ptr) -> Path:
        self.set(p, ("st", c), GONE)
        if status_ptr:
            self.store(p, s, _Ctx(self, p, s).address_key(status_ptr), self.get(p, ("status", c)))
        return p

    def push(self, p: Path, s: int, target: int, args: list, return_pc: int) -> None:
        fn = self.lay.program.functions[target]
        if p.key is None:
            base, p.key = 0, ((target, 0),)
        else:
            f, _ = p.key[-1]
            base = self.lay.bases(p.key, self.k)[-1] + self.lay.program.functions[f].nlocals
            p.key = p.key[:-1] + ((f, return_pc), (target, 0))
        depth = len(p.key) - 1
        for i in range(fn.ntemps):
            self.set(p, self.temp_name(s, depth, i), 0)
        args = list(args) + [0] * (len(fn.params) - len(args))
        for slot, w, v in zip(fn.params, fn.param_wraps, args):
            if w is not None and not isinstance(v, str):
                v = wrap_sym(v, w[0], w[1])
            self.store(p, s, ("s", base + slot), v)

    def do_return(self, p: Path, s: int, value) -> None:
        prog = self.lay.program
        if len(p.key) == 1:
            if p.key[0][0] == prog.exit_routine:
                raise NotEncoded("the exit routine returned")
            p.key = None  # returning from main is exit(value)
            self.push(p, s, prog.exit_routine, [value if isinstance(value, int) or is_sym(value) else 0], 0)
            return
        caller = p.key[-2]
        call = prog.functions[caller[0]].body[caller[1] - 1]
        p.key = p.key[:-1]
        if call.dst is not None:
            self.set_temp(p, s, call.dst, 0 if value is None else as_int(value))

    # ---------------------------------------------------------------- processes

    def children(self, s: int) -> range:
        """The slots that can hold a child of slot s (none but the first's when children never fork)."""
        if s > 0 and not self.lay.children_fork:
            return range(0)
        return range(s + 1, self.enc.slots)

    def live(self, p: Path):
        if self.lay.threads > 1:
            return self.live_processes(p) + self.extra_tasks(p)
        return self.live_processes(p)

    def live_processes(self, p: Path):
        return z3.Sum([z3.If(in_table(self.get(p, ("st", c))),
                             z3.BitVecVal(1, 16), z3.BitVecVal(0, 16)) for c in range(self.enc.slots)])

    def terminate(self, p: Path, s: int, word) -> None:
        """kernel: Exec.terminate, with init's eager reaping of its zombie children."""
        plen = self.get(p, ("plen", s))
        p.event("atexit_bad", z3.And(self.get(p, ("planned", s)) == 1, plen > 0))
        if self.lay.signals.used:
            self.signals_at_exit(p, s)
        me = self.pid(s)
        self.release(p, s, self.get(p, ("vf", s)) == 1 if self.lay.vforks and s else False)
        if s == 0:  # the first process: its parent is init, which reaps it at once
            self.set(p, ("st", s), GONE)
            self.set(p, ("first",), as_int(word))
        else:
            orphan = self.get(p, ("ppid", s)) == INIT_PID
            if self.lay.signals.used:  # SIGCHLD to the parent, which may have the kernel reap at once
                orphan = z3.Or(orphan, self.notify_parent(p, s, z3.BoolVal(True), stop=False))
            self.set(p, ("st", s), z3.If(orphan, z3.BitVecVal(GONE, 16), z3.BitVecVal(ZOMBIE, 16)))
        self.set(p, ("status", s), as_int(word))
        if self.enc.fd is not None:
            self.fd_exit(p, s)
        reparented = []
        adopter = self.adopter(p, s)  # init, or a subreaper (`symbolic.prctl`)
        to_init = adopter == INIT_PID
        for c in (self.children(s) if self.enc.reparents else ()):  # the no-reparent fault leaves them be
            st_c = self.get(p, ("st", c))
            st_c = z3.BitVecVal(st_c, 16) if isinstance(st_c, int) else st_c  # reaped earlier in this step
            child = z3.And(self.get(p, ("ppid", c)) == me, in_table(st_c))
            reparented.append(z3.And(child, to_init))
            self.set(p, ("ppid", c), z3.If(child, adopter, _vec(self.get(p, ("ppid", c)))))
            gone = z3.And(child, st_c == ZOMBIE, to_init)
            if self.lay.prctl and self.lay.signals.used:  # a subreaper is told as if the zombie had just exited
                gone = z3.Or(gone, self.notify_parent(p, c, z3.And(child, st_c == ZOMBIE, z3.Not(to_init)), stop=False))
            self.set(p, ("st", c), z3.If(gone, GONE, st_c))
            self.orphan_signals(p, c, child)
        if reparented:
            p.event("reparent", z3.Or(reparented))
        p.alive = False

    def b_fork(self, p: Path, s: int, ins, ev):
        """kernel: Exec.do_fork (no vfork): the child is the next free slot, its pid the next pid;
        with pthread_atfork registrations, glibc's handler sequence runs around it."""
        if not self.enters_atfork(p):
            return self.do_fork(p, s, ins, ev)
        out = []
        rest = self.pick(p, self.get(p, ("naf", s)) > 0, lambda q: out.append((self.enter_atfork(q, s), PUSHED)))
        return out + (self.do_fork(rest, s, ins, ev) if rest is not None else [])

    def do_fork(self, p: Path, s: int, ins, ev):
        out = []
        # fewer slots than the process limit: the limit is never what stops a fork
        limit = self.live(p) >= self.enc.max_procs if self.enc.slots >= self.enc.max_procs or self.lay.threads > 1 \
            else False
        if self.fail is not None:
            q = p.clone()
            q.choice = self.fail
            self.fail_fork(q, s)
            out.append((q, -1))
            p.choice = z3.Not(self.fail)
        for q, full in cases(p, limit):
            if full:
                self.fail_fork(q, s)
                out.append((q, -1))
                continue
            rest = self.reuse_pid(q, s, out) if self.enc.reuse else q
            if rest is None:
                continue
            n = self.get(rest, ("n",))
            f, pc = rest.key[-1]
            child_key = q.key[:-1] + ((f, pc + 1),)
            for c in range(s + 1, self.enc.slots):
                if rest is None:
                    break
                rest = self.pick(rest, n == c, lambda r, c=c: out.extend(
                    (q, FIRST_PID + c) for q in self.run_child(
                        self.copy_process(r, s, c, ins.dst, child_key, ins.name == "vfork"), c, child_key)))
            if rest is not None:
                rest.guard.append(n >= self.enc.slots)
                rest.event("slots_full", True)
                self.beyond(rest, s, f"more than {self.enc.slots} processes")
                out.append((rest, None))
        return out

    def reuse_pid(self, p: Path, s: int, out: list) -> Path | None:
        """kernel: allocate_pid under the injected fault pid-reuse: the lowest pid no running process
        holds. Until a pid is reused slot c holds pid FIRST_PID + c, so that is the first slot whose
        process no longer runs. A zombie's (or an exiting vfork child's) pid given again makes two
        entries with one pid (`pid_clash`, pid-unique's violation); the zombie shadows the child, whose
        entry the kernel drops at the next step without running it: the fork returns the pid and no
        slot is filled. The pid of a reaped process is beyond the encoding (slots would stop being
        pids). Returns the part of `p` where every earlier process runs (an ordinary fork)."""
        n, rest = self.get(p, ("n",)), p
        for c in range(self.enc.slots):
            if rest is None:
                break
            st = self.get(rest, ("st", c))
            rest = self.pick(rest, z3.And(n > c, st != RUNNING), lambda q, c=c: out.extend(self.reused(q, s, c)))
        return rest

    def reused(self, p: Path, s: int, c: int) -> list:
        out = []
        for q, zombie in cases(p, self.get(p, ("st", c)) == ZOMBIE):
            if not zombie:  # reaped (or beyond the encoding already)
                self.beyond(q, s, "a pid reused after its process was reaped (the injected fault pid-reuse)")
                out.append((q, None))
            else:
                q.event("pid_clash", True)
                out.append((q, FIRST_PID + c))
        return out

    def fail_fork(self, p: Path, s: int) -> None:
        self.store(p, s, ("g", ir.ERRNO_SLOT), EAGAIN)

    def copy_process(self, p: Path, s: int, c: int, dst, key, vfork: bool = False) -> None:
        self.fresh = c
        try:
            self.vfork_child_state(p, s, c, len(key) - 1, vfork)
            self._copy_process(p, s, c, dst, key)
            self.memory_child_state(p, s, c)
            return p
        finally:
            self.fresh = None

    def _copy_process(self, p: Path, s: int, c: int, dst, key) -> None:
        g = self.get
        self.set(p, ("st", c), z3.BitVecVal(RUNNING, 16))  # terms: the parent may die in this step too
        self.set(p, ("ppid", c), bv(self.pid(s)))
        self.set(p, ("status", c), 0)
        for k in self.lay.mem_keys:
            self.set(p, ("m", c, k), g(p, ("m", s, k)))
        depth = len(key) - 1
        for d, i in self.lay.temp_keys:
            self.set(p, self.temp_name(c, d, i), 0 if (d == depth and i == dst) else g(p, self.temp_name(s, d, i)))
        if self.lay.threads > 1:  # only the calling thread (kernel: fork_inherits)
            for j in range(self.lay.threads):
                self.set(p, ("ts", c, j), 1 if j == self.k else 0)
            self.set(p, ("tid", c), self.k)
            self.set(p, ("ps", c, self.k), 0)
        for j in range(self.lay.atfork_sites):
            for ph in range(3):
                self.set(p, ("af", c, j, ph), g(p, ("af", s, j, ph)))
        if self.lay.atfork_sites:
            self.set(p, ("naf", c), g(p, ("naf", s)))
        for name in ("buf", "blen", "natx", "planned", "plen") + (("sm", "sz", "sa") if self.enc.exact else ()):
            self.set(p, (name, c), g(p, (name, s)))
        for j in range(self.enc.atexit_cap):
            self.set(p, ("atx", c, j), g(p, ("atx", s, j)))
            self.set(p, ("plan", c, j), g(p, ("plan", s, j)))
        if self.enc.fd is not None:
            self.fd_fork(p, s, c)
        self.set(p, ("n",), c + 1)
        self.copy_signals(p, s, c)
        return p

    def b_getpid(self, p, s, ins, ev):
        return [(p, self.pid(s))]

    def b_getpgrp(self, p, s, ins, ev):
        return [(p, self.pgid(p, s))]

    def b_getppid(self, p, s, ins, ev):
        return [(p, self.get(p, ("ppid", s)))]

    def b_nondet_int(self, p, s, ins, ev):
        if self.nondet is None:
            raise NotEncoded("nondet_int() without a declared `input:` range", ins.loc)
        p.reads_input = True
        return [(p, self.nondet)]

    def b__exit(self, p, s, ins, ev):
        v = ev.eval(ins.args[0])
        word = (as_int(v) & 0xFF) << 8
        return [(q, None) for q in self.vfork_exit(p, s, word)]

    b__Exit = b__exit

    def b_abort(self, p, s, ins, ev):
        if self.lay.signals.used:  # abort unblocks SIGABRT; a SIGABRT handler runs first (`SignalSteps`)
            return self.abort_signal(p, s)
        self.terminate(p, s, SIGABRT)
        return [(p, None)]

    def b_pause(self, p, s, ins, ev):
        return []  # blocked for ever: no signals in the encoding

    def b_sleep(self, p, s, ins, ev):
        return [(p, 0)]

    b_usleep = b_sleep
    b_sched_yield = b_sleep

    def b_assert(self, p, s, ins, ev):
        """kernel: Exec._b_assert: glibc's message on stderr, then SIGABRT."""
        out = []
        for q, ok in cases(p, truth(ev.eval(ins.args[0]))):
            if ok:
                out.append((q, 0))
                continue
            text, func = ev.eval(ins.args[1]), ev.eval(ins.args[2])
            prog = self.lay.program.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            q.event("assert_failed", True)
            self.write(q, 2, z3.StringVal(f"{prog}: {self.lay.program.path}:{ins.loc.line}: {func}: "
                                          f"Assertion `{text}' failed.\n"), s)
            self.terminate(q, s, SIGABRT)
            out.append((q, None))
        return out

    def b_wait(self, p, s, ins, ev):
        return self.do_wait(p, s, ins, -1, ev.eval(ins.args[0]), 0)

    def b_waitpid(self, p, s, ins, ev):
        return self.do_wait(p, s, ins, ev.eval(ins.args[0]), ev.eval(ins.args[1]), ev.eval(ins.args[2]))

    def do_wait(self, p: Path, s: int, ins, pid_arg, status_ptr, options):
        """kernel: Exec.enabled (blocking) and Exec.do_wait: the lowest-pid zombie child that matches."""
        if is_sym(options) or is_sym(status_ptr):
            raise NotEncoded("wait with symbolic options or status pointer", ins.loc)
        if options & ~WAITPID_OPTIONS:  # wait4 takes no other option (WNOWAIT is waitid's): at once
            self.store(p, s, ("g", ir.ERRNO_SLOT), EINVAL)
            return [(p, -1)]
        out = []
        for q, bad in cases(p, pid_arg == INT_MIN):
            if bad:  # kernel: -INT_MIN is no process group: ESRCH at once
                self.store(q, s, ("g", ir.ERRNO_SLOT), ESRCH)
                out.append((q, -1))
            else:
                out.extend(self.wait_for_child(q, s, pid_arg, status_ptr, options))
        return out

    def wait_for_child(self, p: Path, s: int, pid_arg, status_ptr, options) -> list:
        """Blocks until a matching child can be reported (or none matches: ECHILD)."""
        kids, any_kid, zombie, can_run = self.wait_ready(p, s, pid_arg, options)
        p.guard.append(can_run)
        out = []
        for q, none in cases(p, z3.Not(any_kid)):
            if none:
                self.store(q, s, ("g", ir.ERRNO_SLOT), ECHILD)
                out.append((q, -1))
                continue
            rest = q
            for i, c in enumerate(kids):
                if rest is None:
                    break
                rest = self.pick(rest, zombie[i], lambda r, c=c: out.extend(
                    (q, FIRST_PID + c) for q in self.take_report(r, s, c, status_ptr,
                                                                 lambda u: self.reap(u, s, c, status_ptr))))
            if rest is not None and options & WNOHANG:
                out.append((rest, 0))
        return out

    def wait_ready(self, p: Path, s: int, pid_arg, options) -> tuple:
        """(child slots, a matching child exists, each child's report is ready, the wait can return)."""
        me = self.pid(s)
        match, zombie = [], []
        kids = self.children(s)
        for c in kids:
            st_c = self.get(p, ("st", c))
            m = z3.And(self.get(p, ("ppid", c)) == me, in_table(st_c),
                       self.wait_match(p, s, c, pid_arg))
            match.append(m)
            zombie.append(z3.And(m, self.reportable(p, c, options)))
        any_kid, any_zombie = z3.Or(match) if match else z3.BoolVal(False), z3.Or(zombie) if zombie else z3.BoolVal(False)
        return kids, any_kid, zombie, z3.Or(z3.Not(any_kid), any_zombie, z3.BoolVal(bool(options & WNOHANG)))

    # ---------------------------------------------------------------- atexit and exit

    def b_atexit(self, p, s, ins, ev):
        addr = ev.eval(ins.args[0])
        index = (addr - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(addr, int) else -1
        if is_sym(addr) or not 0 <= index < len(self.lay.program.functions):
            raise NotEncoded("atexit() of something that is not a known function", ins.loc)
        n = self.get(p, ("natx", s))
        out = []
        for q, full in cases(p, n >= self.enc.atexit_cap):
            if full:
                self.beyond(q, s, f"more than {self.enc.atexit_cap} atexit handlers")
                out.append((q, None))
                continue
            for j in range(self.enc.atexit_cap):
                self.set(q, ("atx", s, j), z3.If(n == j, index, self.get(q, ("atx", s, j))))
            self.set(q, ("natx", s), n + 1)
            out.append((q, 0))
        return out

    def b___exit_begin(self, p, s, ins, ev):
        """exit() fixes the handlers it is due to run (the atexit-reverse-order ghost)."""
        cap, n = self.enc.atexit_cap, self.get(p, ("natx", s))
        fresh = self.get(p, ("planned", s)) == 0
        for j in range(cap):
            planned = bv(0)
            for m in range(cap, 0, -1):
                if j < m:
                    planned = z3.If(n == m, self.get(p, ("atx", s, m - 1 - j)), planned)
            self.set(p, ("plan", s, j), z3.If(fresh, planned, self.get(p, ("plan", s, j))))
        self.set(p, ("plen", s), z3.If(fresh, n, self.get(p, ("plen", s))))
        self.set(p, ("planned", s), 1)
        return [(p, None)]

    def b___atexit_pop(self, p, s, ins, ev):
        cap, n = self.enc.atexit_cap, self.get(p, ("natx", s))
        out = []
        for q, empty in cases(p, n == 0):
            if empty:
                out.append((q, 0))
                continue
            handler = bv(-1)
            for j in range(cap):
                handler = z3.If(n == j + 1, self.get(q, ("atx", s, j)), handler)
            plen = self.get(q, ("plen", s))
            expected = z3.If(z3.And(self.get(q, ("planned", s)) == 1, plen > 0), self.get(q, ("plan", s, 0)), -1)
            q.event("atexit_bad", handler != expected)
            for j in range(cap):
                nxt = self.get(q, ("plan", s, j + 1)) if j + 1 < cap else bv(0)
                self.set(q, ("plan", s, j), nxt)
            self.set(q, ("plen", s), z3.If(plen > 0, plen - 1, 0))
            self.set(q, ("planned", s), 1)
            self.set(q, ("natx", s), n - 1)
            out.append((q, ir.FUNC_BASE + handler * ir.FUNC_STRIDE))
        return out

    def b___flush_all(self, p, s, ins, ev):
        paths = self.stdio(p, s, lambda f: f.flush()) if self.enc.exact else [p]
        if not self.enc.exact:
            self.flush(p, s)
        for q in paths:
            self.set(q, ("planned", s), 0)
        return [(q, None) for q in paths]

    # ---------------------------------------------------------------- output

    def write(self, p: Path, fd: int, data, s: int | None = None) -> None:
        if self.enc.fd is not None and s is not None:  # through the fd table (`FdSteps.std_write`)
            self.std_write(p, s, fd, data)
            return
        name = ("out",) if fd == 1 else ("err",)
        self.set(p, name, z3.Concat(self.get(p, name), data))

    def flush(self, p: Path, s: int) -> None:
        buf = self.get(p, ("buf", s))
        self.write(p, 1, buf, s)
        self.set(p, ("buf", s), z3.StringVal(""))
        self.set(p, ("blen", s), 0)

    def put(self, p: Path, s: int, fd: int, data) -> list[Path]:
        """stdio into stdout's buffer (or the unbuffered stderr: one write per call).

        `data` is the call's text as pieces, `(term, length, known text or None)`.
        Fully buffered (a file or a pipe), the text joins the buffer. Line buffered (a
        terminal), glibc writes the buffer and the text up to the text's last newline
        and keeps the rest (`kernel/stdio.py`: whether the stream's write area is set up
        yet or not, while the buffer does not fill, each path through `xsputn` or
        `__overflow` comes to that); a symbolic number never holds a newline, so where
        the last one falls is known. A buffer that would fill up is beyond the
        encoding (glibc would write part of it). The buffer's length is an integer of
        its own, so no guard needs string reasoning."""
        pieces, length = data
        if fd == 2:
            self.write(p, 2, _cat([t for t, _, _ in pieces]), s)
            return [p]
        size = self.enc.buffer_size
        new_len = self.get(p, ("blen", s)) + length
        head, tail = _split_after_last_newline(pieces) if self.enc.line_buffered else (None, pieces)
        out = []
        for q, fits in cases(p, new_len <= size):
            if not fits:
                self.beyond(q, s, f"stdout's buffer fills ({size} bytes)")
            elif head is None:
                self.set(q, ("buf", s), z3.Concat(self.get(q, ("buf", s)), _cat([t for t, _, _ in tail])))
                self.set(q, ("blen", s), new_len)
            else:
                self.write(q, 1, z3.Concat(self.get(q, ("buf", s)), _cat([t for t, _, _ in head])), s)
                self.set(q, ("buf", s), _cat([t for t, _, _ in tail]))
                self.set(q, ("blen", s), sum((n for _, n, _ in tail), bv(0)))
            out.append(q)
        return out

    def stream_fd(self, v, line: int) -> int:
        for fd in (1, 2):
            if not is_sym(v) and v == ct.stream_value(fd):
                return fd
        raise NotEncoded("output to a stream other than stdout or stderr", line)

    def text(self, ins, fmt, args) -> tuple:
        """printf's text as a Z3 string and its length: known pieces formatted by the kernel's
        printf, plain %d/%i/%u of a symbolic int as decimal digits."""
        if not isinstance(fmt, str):
            raise NotEncoded("a printf format that is not a constant string", ins.loc)
        try:
            pieces = _parse(fmt)
        except PrintfError as e:
            raise NotEncoded(f"printf: {e}", ins.loc) from None
        parts, size, i = [], 0, 0
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(_piece(piece))
                size += len(piece)
                continue
            vals = list(args[i:i + piece.nargs])
            i += piece.nargs
            if any(isinstance(v, Chars) for v in vals):
                if piece.conv != "s" or piece.flags or piece.width is not None or piece.precision is not None:
                    raise NotEncoded(f"printf {piece.text} of a char array whose bytes are not known", ins.loc)
                term, length = chars.c_string(vals[-1])
                parts.append((term, length, None))
                size = size + length
                continue
            if not any(is_sym(v) for v in vals):
                try:
                    known = format_printf(piece.text, vals)
                    parts.append(_piece(known))
                    size += len(known)
                except PrintfError as e:
                    raise NotEncoded(f"printf: {e}", ins.loc) from None
                continue
            alt = piece.flags == {"#"} and piece.conv in "xX"  # %#x: 0x before a value other than 0
            if piece.conv not in "diuxX" or (piece.flags and not alt) or piece.width is not None \
                    or piece.precision is not None or piece.length not in ("", "l", "ll", "z", "j", "t"):
                raise NotEncoded(f"printf {piece.text} of a symbolic value", ins.loc)
            bits = 32 if piece.length == "" else 64
            if piece.conv in "xX":
                v = wrap_sym(as_int(vals[0]), bits, False)
                self.printed.append(v)
                term, digits = _hex(v, bits, piece.conv == "X")
                if alt:
                    term = z3.If(v == 0, term, z3.Concat(z3.StringVal("0" + piece.conv), term))
                    digits = z3.If(v == 0, digits, digits + 2)
                parts.append((term, digits, None))
                size = size + digits
                continue
            v = wrap_sym(as_int(vals[0]), bits, piece.conv != "u")
            self.printed.append(v)
            iv = z3.BV2Int(v, is_signed=True)
            digits = _decimal_length(v)
            parts.append((z3.If(iv >= 0, z3.IntToStr(iv), z3.Concat(z3.StringVal("-"), z3.IntToStr(-iv))), digits, None))
            size = size + digits
        return parts, size

    def b_printf(self, p, s, ins, ev):
        data = self.text(ins, *self.formatted(ins, ev, 0))
        if self.enc.exact:
            return [(q, data[1]) for q in self.stdio(p, s, lambda f: f.printf(data[0]))]
        return [(q, data[1]) for q in self.put(p, s, 1, data)]

    def b_fprintf(self, p, s, ins, ev):
        fd = self.stream_fd(ev.eval(ins.args[0]), ins.loc)
        data = self.text(ins, *self.formatted(ins, ev, 1))
        if self.enc.exact and fd == 1:
            return [(q, data[1]) for q in self.stdio(p, s, lambda f: f.printf(data[0]))]
        return [(q, data[1]) for q in self.put(p, s, fd, data)]

    @staticmethod
    def formatted(ins, ev: Evaluator, at: int) -> tuple:
        """printf's format and arguments (from argument `at`), a string kept in a variable
        decoded where the format takes one (`Evaluator.string`)."""
        fmt = ev.string(ev.eval(ins.args[at]), (id(ins), at))
        vals = [ev.eval(a) for a in ins.args[at + 1:]]
        try:
            pieces = _parse(fmt) if isinstance(fmt, str) else []
        except PrintfError:
            pieces = []
        i = 0
        for piece in pieces:
            if isinstance(piece, str):
                continue
            i += piece.nargs
            if piece.conv == "s" and i <= len(vals):
                vals[i - 1] = ev.string(vals[i - 1], (id(ins), at + i))
            elif piece.conv in "diuxXc" and i <= len(vals):
                vals[i - 1] = ev.few(vals[i - 1], (id(ins), at + i))
        return fmt, vals

    def const_string(self, v, ins) -> str:
        if not isinstance(v, str):
            raise NotEncoded(f"{ins.name}() of a string that is not a constant", ins.loc)
        return v.split("\0", 1)[0]

    def b_puts(self, p, s, ins, ev):
        if self.enc.exact:
            text = self.const_string(ev.string(ev.eval(ins.args[0]), id(ins)), ins)
            return [(q, 1) for q in self.stdio(p, s, lambda f: f.puts(text))]
        return [(q, 1) for q in self.put(p, s, 1, _known(self.const_string(ev.string(ev.eval(ins.args[0]), id(ins)), ins) + "\n"))]

    def b_fputs(self, p, s, ins, ev):
        fd = self.stream_fd(ev.eval(ins.args[1]), ins.loc)
        if self.enc.exact and fd == 1:
            text = self.const_string(ev.string(ev.eval(ins.args[0]), id(ins)), ins)
            return [(q, 1) for q in self.stdio(p, s, lambda f: f.put(sio.known(text)))]
        return [(q, 1) for q in self.put(p, s, fd, _known(self.const_string(ev.string(ev.eval(ins.args[0]), id(ins)), ins)))]

    def char(self, v, ins):
        if is_sym(v):
            raise NotEncoded(f"{ins.name}() of a symbolic character", ins.loc)
        return v & 0xFF

    def b_putchar(self, p, s, ins, ev):
        c = self.char(ev.eval(ins.args[0]), ins)
        if self.enc.exact:
            return [(q, c) for q in self.stdio(p, s, lambda f: f.putc(sio.known(chr(c))))]
        return [(q, c) for q in self.put(p, s, 1, _known(chr(c)))]

    def b_fputc(self, p, s, ins, ev):
        c = self.char(ev.eval(ins.args[0]), ins)
        fd = self.stream_fd(ev.eval(ins.args[1]), ins.loc)
        if self.enc.exact and fd == 1:
            return [(q, c) for q in self.stdio(p, s, lambda f: f.putc(sio.known(chr(c))))]
        return [(q, c) for q in self.put(p, s, fd, _known(chr(c)))]

    b_putc = b_fputc

    def b_fflush(self, p, s, ins, ev):
        v = ev.eval(ins.args[0])
        if is_sym(v):
            raise NotEncoded("fflush of a symbolic stream", ins.loc)
        if v == 0 or self.stream_fd(v, ins.loc) == 1:
            if self.enc.exact:
                return [(q, 0) for q in self.stdio(p, s, lambda f: f.flush())]
            self.flush(p, s)
        return [(p, 0)]

    def b_setvbuf(self, p, s, ins, ev):
        """kernel: Exec._b_setvbuf, on stdout, with constant arguments."""
        stream, buf, mode, size = (ev.eval(a) for a in ins.args)
        return self.set_buffering(p, s, ins, stream, buf, mode, size, 0)

    def b_setbuf(self, p, s, ins, ev):
        """setbuf(s, buf) is setvbuf(s, buf, buf ? _IOFBF : _IONBF, BUFSIZ)."""
        stream, buf = (ev.eval(a) for a in ins.args)
        has = self.has_buffer(buf, ins)
        return self.set_buffering(p, s, ins, stream, buf, IOFBF if has else IONBF, BUFSIZ, None)

    def has_buffer(self, buf, ins) -> bool:
        if is_sym(buf):
            raise NotEncoded(f"{ins.name}() with a buffer that is not a constant", ins.loc)
        return isinstance(buf, str) or buf != 0

    def set_buffering(self, p, s, ins, stream, buf, mode, size, result):
        if is_sym(stream) or is_sym(mode) or is_sym(size):
            raise NotEncoded(f"{ins.name}() with arguments that are not constants", ins.loc)
        if self.stream_fd(stream, ins.loc) != 1:
            raise NotEncoded(f"{ins.name}() of a stream other than stdout", ins.loc)
        has = self.has_buffer(buf, ins)
        if mode not in (IOFBF, IOLBF, IONBF):
            return [(p, -1)]
        return [(q, result) for q in self.stdio(p, s, lambda f: f.setvbuf(has, mode, size))]

    def b_write(self, p, s, ins, ev):
        if self.enc.fd is not None:
            return self.fd_b_write(p, s, ins, ev)
        fd, buf, n = (ev.eval(a) for a in ins.args)
        buf = ev.string(buf, id(ins)) if is_sym(buf) else buf
        if is_sym(fd) or not isinstance(buf, str):
            raise NotEncoded("write() of anything but a constant string to a known fd", ins.loc)
        if is_sym(n):  # each length the constant string allows; a longer one is beyond
            out, rest = [], p
            for k in range(len(buf) + 2):
                if rest is None:
                    break
                rest = self.pick(rest, n == k, lambda q, k=k: out.extend(self.write_known(q, s, fd, buf, k, ins)))
            if rest is not None:
                self.beyond(rest, s, "write() of a computed length past the end of its buffer")
                out.append((rest, None))
            return out
        return self.write_known(p, s, fd, buf, n, ins)

    def write_known(self, p, s, fd: int, buf: str, n: int, ins):
        """write(2) of the first n bytes of a constant string to stdout or stderr."""
        if fd not in (1, 2):
            self.store(p, s, ("g", ir.ERRNO_SLOT), EBADF)
            return [(p, -1)]
        if n > len(buf) + 1:
            raise NotEncoded("write() past the end of its buffer", ins.loc)
        data = (buf + "\0")[:n]
        if data:
            self.write(p, fd, z3.StringVal(data))
        return [(p, n)]


def _known(text: str) -> tuple:
    return [_piece(text)], len(text)


def _piece(text: str) -> tuple:
    return z3.StringVal(text), len(text), text


def _cat(terms: list):
    return terms[0] if len(terms) == 1 else (z3.Concat(*terms) if terms else z3.StringVal(""))


def _split_after_last_newline(pieces: list) -> tuple:
    """(pieces up to and with the last newline, pieces after it); (None, pieces) without one."""
    for i in range(len(pieces) - 1, -1, -1):
        known = pieces[i][2]
        if known is not None and "\n" in known:
            cut = known.rfind("\n") + 1
            head, rest = known[:cut], known[cut:]
            return pieces[:i] + [_piece(head)], ([_piece(rest)] if rest else []) + pieces[i + 1:]
    return None, pieces


def _hex(v, bits: int, upper: bool) -> tuple:
    """A symbolic unsigned value in hexadecimal, no leading zeros (printf %x, %X): the string
    and its length, from the value's nibbles."""
    alphabet = "0123456789ABCDEF" if upper else "0123456789abcdef"
    chars_ = []
    for j in range(bits // 4 - 1, -1, -1):
        nib = z3.Extract(4 * j + 3, 4 * j, v)
        c = z3.StringVal(alphabet[15])
        for d in range(14, -1, -1):
            c = z3.If(nib == d, z3.StringVal(alphabet[d]), c)
        chars_.append(c)
    digits = bv(bits // 4)
    for d in range(bits // 4 - 1, 0, -1):
        digits = z3.If(z3.ULT(v, bv(16 ** d)), bv(d), digits)
    full = z3.Concat(*chars_)
    n = z3.BV2Int(digits)
    return z3.SubString(full, bits // 4 - n, n), digits


def _decimal_length(v):
    """Digits (and sign) of a symbolic int printed in decimal, without string reasoning."""
    n = z3.If(v >= 0, v, -v)
    digits = bv(19)
    for d in range(18, 0, -1):
        digits = z3.If(n < 10 ** d, bv(d), digits)
    return digits + z3.If(v < 0, bv(1), bv(0))


class _Ctx:
    """What the expression evaluator reads: one path's view of one slot."""

    def __init__(self, step: Step, p: Path, s: int):
        self.step, self.p, self.s = step, p, s

    def temp(self, i: int):
        return self.step.get(self.p, self.step.temp_name(self.s, len(self.p.key) - 1, i))

    def base(self) -> int:
        return self.step.lay.bases(self.p.key, self.step.k)[-1]

    def strings(self) -> tuple:
        return self.step.lay.strings

    def cell_key(self, cell: ir.Cell):
        return ("g", cell.slot) if cell.region == "global" else ("s", self.base() + cell.slot)

    def cell_address(self, cell: ir.Cell) -> int:
        if cell.region == "global":
            return ir.DATA_BASE + cell.slot * ir.CELL
        return ir.STACK_BASE + (self.base() + cell.slot) * ir.CELL

    def address_key(self, addr: int):
        if ir.DATA_BASE <= addr < ir.DATA_BASE + ir.PAGE * 64 and (addr - ir.DATA_BASE) % ir.CELL == 0:
            key = ("g", (addr - ir.DATA_BASE) // ir.CELL)
        elif ir.STACK_BASE <= addr < ir.STACK_BASE + (1 << 30) and (addr - ir.STACK_BASE) % ir.CELL == 0:
            key = ("s", (addr - ir.STACK_BASE) // ir.CELL)
        else:
            raise NotEncoded(f"memory at address {addr:#x}")
        if key not in self.step.lay.mem_keys:
            raise NotEncoded(f"memory at address {addr:#x}")
        return key

    def load(self, key):
        if key not in self.step.lay.mem_keys:
            raise NotEncoded("a memory cell outside the program's variables")
        v = self.step.get(self.p, ("m", self.s, key))
        length = self.step.lay.char_cells.get(key)
        return v if length is None else chars.value(v, length)

    def assumed(self, key):
        return self.p.assumed.get(key)

    def cells_at(self, key, addr, expr) -> "Computed":
        """The cells a computed address may name, each with the condition that it does. The
        instruction first splits on whether it names one at all (`Step.execute`)."""
        addr = as_int(addr)
        cells = []
        for k in self.candidates(expr):
            if k[0] == "r":
                continue
            base = ir.DATA_BASE if k[0] == "g" else ir.STACK_BASE
            cells.append((k, addr == base + k[1] * ir.CELL))
        if self.step.lay.regions and _array_base(expr) is None:
            cells += self.step.region_cells(self.p, self.s, addr)
        named = self.p.assumed.get(("addr", key))
        if named is None:
            raise Split(("addr", key), z3.Or([c for _, c in cells]))
        if not named:  # names no kept cell: an unmapped page (SIGSEGV) or beyond (`MemorySteps.unmapped`)
            raise Split(("segv", key), self.step.unmapped(self.p, self.s, addr),
                        "a pointer to none of the program's variables or mapped cells")
        return Computed(cells)

    def candidates(self, expr) -> list:
        """Cells an address may name: past an array's start (`&a[0] + i`, the form indexing takes),
        the rest of that global variable or of that frame's locals; else every cell. (An index
        outside them makes the path beyond the encoding, as no cell matches.)"""
        keys = sorted(self.step.lay.mem_keys)
        base = _array_base(expr)
        if base is None:
            return keys
        if base.region == "global":
            var = next((v for v in self.step.lay.program.global_vars if v.slot <= base.slot < v.slot + v.size), None)
            end = var.slot + var.size if var is not None else base.slot + 1
            return [k for k in keys if k[0] == "g" and base.slot <= k[1] < end]
        start = self.base()
        end = start + self.step.lay.program.functions[self.p.key[-1][0]].nlocals
        return [k for k in keys if k[0] == "s" and start + base.slot <= k[1] < end]

    def load_at(self, key, addr, expr):
        cells = self.cells_at(key, addr, expr).cells
        value = _vec(self.load(cells[-1][0]))
        for k, hit in reversed(cells[:-1]):
            value = z3.If(hit, _vec(self.load(k)), value)
        return value


def _array_base(expr):
    """The cell `expr` offsets when it is `&cell + i` (or `i + &cell`), else None."""
    if isinstance(expr, ir.BinOp) and expr.op == "+":
        for a in (expr.left, expr.right):
            if isinstance(a, ir.AddrOf):
                return a.cell
    return None


class Computed:
    """The cells a store through a computed address may name: [(key, Z3 Bool it names it)]."""

    def __init__(self, cells: list):
        self.cells = cells


def _vec(v):
    v = as_int(v)
    if isinstance(v, str):
        raise NotEncoded("a string in a cell a computed address may name")
    return bv(v) if isinstance(v, int) else v


__all__ = ["Step", "Path", "Computed", "UNUSED", "RUNNING", "ZOMBIE", "GONE", "HALTED"]
