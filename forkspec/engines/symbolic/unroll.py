"""The symbolic state over a fixed number of process slots, and its unrolling in time.

Slot s holds the process with pid FIRST_PID + s (pids are handed out in order and
never reused, so the k-th process created is always in slot k; under the injected
fault pid-reuse a fork that reuses a pid fills no slot, or is beyond: `Step.reuse_pid`). A frame maps each
state variable's name to a Z3 term at one time; variables are named `name@t`. The
transition from t to t+1 is the disjunction of every slot's enabled steps: each
variable gets a fresh copy only if some step can change it, defined as an
if-then-else over the steps that do (the frame condition is the default branch).
"""
from __future__ import annotations

from dataclasses import dataclass

import z3

from forkspec import ir
from forkspec.engines.symbolic.block import GONE, RUNNING, UNUSED, ZOMBIE, Path, Step
from forkspec.engines.symbolic.signals import initial_value, signal_names
from forkspec.engines.symbolic.expr import bv
from forkspec.engines.symbolic.program import Layout, NotEncoded, initial_key, layout
from forkspec.frontend.lower import wrap
from forkspec.engines.symbolic.stdio import stream_kinds
from forkspec.engines.symbolic import vfork as vf
from forkspec.engines.symbolic.memory import region_names
from forkspec.engines.symbolic.prctl import prctl_names
from forkspec.engines.symbolic.fds import FD_STATE, FdShape, uses_fds
from forkspec.engines.symbolic import chars, strings
from forkspec.engines.symbolic.commute import Local, Swaps
from forkspec.engines.symbolic import sigprogram as sg
from forkspec.kernel.state import FIRST_PID, INIT_PID, IOFBF, IOLBF
from forkspec.kernel.stdio import FILE_BUFFER, TTY_BUFFER

EVENTS = ("assert_failed", "reparent", "atexit_bad", "slots_full", "lost_write", "orphaned_forked", "vfork_unsafe",
          "shared_write", "shared_frame", "unsafe_call", "pid_clash")
EXITING_BLOCK = ("exiting",)  # the block of an EXITING vfork child (it becomes a zombie); None: a signal's
CONTROL = frozenset({"st", "loc", "n"})  # finite control: bit-vectors, which Z3 bit-blasts
BITS = 16


def control(v: int):
    return z3.BitVecVal(v, BITS)
STRINGS = frozenset({"buf", "out", "err", "pw"})
ENCODED_FAULTS = frozenset({"no-reparent", "pid-reuse"})  # injected kernel faults the encoding follows
# (`Step.terminate`, `Step.reuse_pid`)
PENDING_CAP = 3  # write(2)s one stdio call may leave pending (more is beyond the encoding)


@dataclass
class StepTerms:
    """What the solver knows of the move from frame t to t+1."""

    who: z3.ArithRef  # the slot that moved, -1 when nothing could
    fail: z3.BoolRef | None  # fork-can-fail choice
    nondet: z3.ArithRef | None  # nondet_int() value
    moved: z3.BoolRef
    enabled: z3.BoolRef
    events: dict
    trail: list  # what decides the output: who wrote at this step, the numbers printed
    signal: z3.BoolRef | None = None  # the step takes a pending signal (not the slot's next instruction)
    early: z3.BoolRef | None = None  # that signal's handler runs before the blocking call starts (no EINTR)
    kernel: dict | None = None  # the kernel's own steps of a slot ("alarm", "cld") -> Z3 Bool: the step is one
    left: z3.BitVecRef | None = None  # what alarm() finds left of the old timer
    outside: dict | None = None  # why a path leaves the encoding -> Z3 Bool: this step takes one
    strings: z3.BoolRef | None = None  # the step writes a string (the output, a stdio buffer, a pipe's contents)


class Encoder:
    """Frames and transitions of one program under one kernel configuration."""

    def __init__(self, program: ir.Program, config, slots: int):
        other = sorted(set(config.inject) - ENCODED_FAULTS)
        if other:
            raise NotEncoded(f"an injected kernel fault ({', '.join(other)})", header="inject")
        self.reparents = "no-reparent" not in config.inject
        self.line_buffered = config.stdout == "tty"
        self.buffer_size = TTY_BUFFER if self.line_buffered else FILE_BUFFER
        self.layout: Layout = layout(program, self.line_buffered)
        self.reuse = "pid-reuse" in config.inject
        if self.reuse and (self.layout.vforks or self.layout.threads > 1):
            raise NotEncoded("the injected fault pid-reuse in a program that calls vfork or creates threads",
                             header="inject")
        self.config = config
        self.slots = max(1, min(slots, config.max_procs + 1))
        self.max_procs = config.max_procs
        self.atexit_cap = max(1, self.layout.atexit_sites + 1) if self.layout.atexit_sites else 1
        self.exact = self.layout.exact
        self.initial_stream = (IOLBF if self.line_buffered else IOFBF, self.buffer_size)
        self.stream_kinds = stream_kinds(self.initial_stream, self.layout.setvbuf_calls) if self.exact else []
        self.pending_cap = PENDING_CAP if self.exact else 0
        self.fd = FdShape(self.layout.program, self.slots) if uses_fds(self.layout) else None
        self.names = self._names()
        self.frames: list[dict] = [self._initial()]
        self.values: list[dict] = [{n: _values_of(v, v, {}) for n, v in self.frames[0].items()}]  # `might_be`
        self.steps: list[StepTerms] = []
        self.footprints: dict = {}  # (slot, start key) -> {(name, written, fresh)}, over every step so far
        self.locals: list = []  # per step: {slot: `commute.Local`}, when `semantic_order` applies
        self.semantic_order = not (self.layout.signals.used or self.layout.vforks or self.layout.threads > 1)
        self._pairs: dict = {}

    def _names(self) -> list:
        out = [("n",), ("out",), ("err",), ("first",), ("oob",)]
        for s in range(self.slots):
            out += [("st", s), ("loc", s), ("ppid", s), ("status", s), ("buf", s), ("blen", s), ("natx", s),
                    ("planned", s), ("plen", s)]
            out += [("m", s, k) for k in sorted(self.layout.mem_keys)]
            out += [("t", s, d, i) for d, i in sorted(self.layout.temp_keys)]
            out += [("atx", s, j) for j in range(self.atexit_cap)] + [("plan", s, j) for j in range(self.atexit_cap)]
            if self.exact:
                out += [("sm", s), ("sz", s), ("sa", s), ("np", s)] + [("pw", s, j) for j in range(self.pending_cap)]
            out += self._thread_names(s)
            out += region_names(self.layout, s)
            out += prctl_names(self.layout, s)
            out += signal_names(self.layout, s)
            if self.layout.vforks:
                out += [("map", s, v) for v in vf.stack_pages(self.layout)]
                out += [("vf", s), ("vd", s)] + [("shr", s, v) for v in vf.stack_pages(self.layout)] if s else []
        out += [("cow", 0, v) for v in self.layout.cow_pages]
        return out + ([("susp",)] if self.layout.vforks else []) + (self.fd.names() if self.fd is not None else [])

    def _thread_names(self, s: int) -> list:
        """Each thread's state, location, temps and split store (`symbolic.threads`); the
        pthread_atfork registrations."""
        lay, out = self.layout, []
        if lay.threads > 1:
            out.append(("tid", s))
            for k in range(lay.threads):
                out += [("ts", s, k), ("tv", s, k), ("ps", s, k), ("pv", s, k)]
                if k:
                    out.append(("loc", s, k))
                    out += [("t", s, d, i, k) for d, i in sorted(lay.temp_keys)]
        if lay.atfork_sites:
            out.append(("naf", s))
            out += [("af", s, j, ph) for j in range(lay.atfork_sites) for ph in range(3)]
        return out

    def _initial(self) -> dict:
        prog = self.layout.program
        f: dict = {("n",): control(1), ("out",): z3.StringVal(""), ("err",): z3.StringVal(""),
                   ("first",): bv(-1), ("oob",): z3.BoolVal(False), ("susp",): bv(0)}
        main = prog.functions[prog.main]
        params = {("s", slot): wrap(v, *w) if w else v for slot, w, v in zip(main.params, main.param_wraps, [1, 0])}
        if self.layout.vforks:
            for key in params:  # the kernel stores main's arguments: their stack page is mapped
                f[("map", 0, vf.page_of(key))] = bv(1)
        for name in self.names:
            if name in f:
                continue
            if self.fd is not None and name[0] in FD_STATE:
                f[name] = self.fd.initial(name)
                continue
            kind, s = name[0], name[1]
            if kind in STRINGS:
                f[name] = z3.StringVal("")
            elif kind == "m":
                key = name[2]
                v = 0
                if key[0] == "g" and key[1] < len(prog.globals_init) and (s == 0 or isinstance(prog.globals_init[key[1]], str)):
                    v = prog.globals_init[key[1]]
                elif s == 0:
                    v = params.get(key, 0)
                if key in self.layout.char_cells:
                    f[name] = chars.const_bits(v if isinstance(v, str) else "", self.layout.char_cells[key])
                    continue
                f[name] = bv(strings.number(self.layout.strings, v) if isinstance(v, str) else v)
            elif kind == "st":
                f[name] = control(RUNNING if s == 0 else UNUSED)
            elif kind == "ts":
                f[name] = bv(1 if s == 0 and name[2] == 0 else 0)
            elif kind == "af":
                f[name] = bv(-1)
            elif kind == "loc":
                f[name] = control(self.layout.id(initial_key(prog)) if s == 0 and len(name) == 2 else 0)
            elif kind == "ppid":
                f[name] = bv(INIT_PID if s == 0 else 0)
            elif kind in ("sm", "sz"):
                f[name] = bv(self.initial_stream[0 if kind == "sm" else 1])
            elif kind == "pg":
                f[name] = initial_value(name)
            else:
                f[name] = bv(0)
        return f

    # ---------------------------------------------------------------- unrolling

    def unroll(self) -> list:
        """Add the step from the last frame to a new one; return its constraints."""
        t = len(self.steps)
        old = self.frames[t]
        who = z3.BitVec(f"who@{t}", BITS)  # slot * threads + thread
        fail = z3.Bool(f"fail@{t}") if self.config.fork_can_fail else None
        nondet = z3.BitVec(f"nondet@{t}", 64) if self.config.nondet is not None else None
        step = Step(self, old, fail, nondet)
        step.known_vars = {v.get_id(): self.values[t].get(n) for n, v in old.items() if isinstance(v, z3.ExprRef)}
        early = step.early = z3.Bool(f"early@{t}") if self.layout.signals.catching else None
        updates: dict = {}
        fulls, datas, forking, reading, earlies = [], [], [], [], []
        events: dict = {e: [] for e in EVENTS}
        wrote_out, wrote_err, wrote_string, shown, signalled = [], [], [], [], []
        outside: dict = {}  # why -> [when]
        lay = self.layout
        blocks = [(key, False) for key in lay.starts] + [(key, True) for key in sorted(lay.pending_keys)] \
            + [(key, "store") for key in sorted(lay.store_keys)]
        signals = lay.signals.used
        local: dict = {}
        choose = z3.Bool(f"signal@{t}") if signals else None  # the mover takes a signal, not its next step
        if signals:
            blocks.append((None, False))  # a step that takes a pending signal (`Step.signal_block`)
        own = {kind: z3.Bool(f"{kind}@{t}") for kind, used in (("alarm", lay.signals.alarm),
                                                                ("cld", lay.signals.late_cld)) if used}
        blocks += [(None, kind) for kind in own]  # the kernel's steps of a slot (`Step.alarm_block`, `report_block`)
        owned: dict = {kind: [] for kind in own}
        left = step.left = z3.BitVec(f"left@{t}", 64) if lay.signals.alarm else None
        lefts = []
        if lay.signals.catching:  # a caught one where the slot rests: a handler's frame goes on top of it
            blocks += [(key, "signal") for key in lay.starts if sg.takes_caught(lay, key)]
        if lay.vforks:
            blocks.append((EXITING_BLOCK, False))  # an EXITING vfork child becomes a zombie
        for s, k in ((s, k) for s in range(self.slots) for k in range(lay.threads)):
            step.k = k
            loc = old[step.loc_name(s)]
            for key, pending in blocks:
                special = key is None or key == EXITING_BLOCK or pending == "signal"
                if key == EXITING_BLOCK and s == 0:
                    continue
                if s + k > 0 and not pending and not special and key not in lay.boundaries \
                        and key not in lay.thread_points and key not in lay.resumes:
                    continue  # a child starts at a boundary (its fork ran its first local steps)
                if k and (special or not lay.any_thread(key)):
                    continue
                step.printed = []
                step.touched = {(("st", s), False, False), (step.loc_name(s), True, False), (("np", s), False, False)}
                kind = pending if key is None and pending in own else None
                takes = (key is None and kind is None) or pending == "signal"
                if kind is not None:
                    at = z3.BoolVal(True)
                    paths = step.alarm_block(s, Path) if kind == "alarm" else step.report_block(s, Path)
                elif key is None:
                    at = z3.BoolVal(True)
                    paths = step.signal_block(s, Path)
                elif pending == "signal":
                    at = loc == lay.id(key)
                    paths = step.signal_block(s, Path, key)
                elif key == EXITING_BLOCK:
                    at = old[("st", s)] == vf.EXITING
                    paths = step.run_exiting(s)
                else:
                    if not (self.might_be(t, ("st", s), RUNNING) and self.might_be(t, step.loc_name(s), lay.id(key))):
                        continue  # never at this start at time t: no step
                    at = z3.And(old[("st", s)] == RUNNING, loc == lay.id(key))
                    if lay.threads > 1:
                        at = z3.And(at, old[("ts", s, k)] == 1)
                    if signals:  # a stopped process takes no step but a signal's
                        at = z3.And(at, old[("stop", s)] == 0)
                        step.touched.add((("stop", s), False, False))
                    if key in lay.pending_keys and pending != "store":  # write(2)s pending first (`Step.run_pending`)
                        at = z3.And(at, old[("np", s)] > 0 if pending else old[("np", s)] == 0)
                    if key in lay.store_keys:  # a split store first (`Step.run_store`)
                        at = z3.And(at, old[("ps", s, k)] == (1 if pending == "store" else 0))
                    if lay.vforks and s == 0:  # a vfork parent is suspended
                        at = z3.And(at, old[("susp",)] == 0)
                        step.touched.add((("susp",), False, False))
                    paths = step.run_store(s, key) if pending == "store" else \
                        step.run_pending(s, key) if pending else step.run_block(s, key)
                printed = step.printed
                if not takes and kind is None:
                    self.footprints.setdefault((s, key), set()).update(step.touched)
                for p in paths:
                    data = z3.And(at, *p.guard) if p.guard else at
                    full = z3.And(who == s * lay.threads + k, data, *([p.choice] if p.choice is not None else []),
                                  *([] if choose is None else [choose if takes else z3.Not(choose)]),
                                  *[v if n == kind else z3.Not(v) for n, v in own.items()])
                    fulls.append(full)
                    if kind is not None:
                        owned[kind].append(full)
                    if p.reads_left:
                        lefts.append(full)
                    datas.append(data)
                    if p.early:
                        earlies.append(full)
                    elif p.choice is not None:
                        forking.append(full)
                    if p.reads_input:
                        reading.append(full)
                    if takes:
                        signalled.append(full)
                    if key is not None and p.alive and not p.beyond:
                        p.view[step.loc_name(s)] = control(self.layout.id(p.key))
                        self.kill_dead(p, s, step)
                    if not takes and kind is None:
                        self.footprints[(s, key)].update((n, True, False) for n in p.view if len(n) > 1 and n[1] == s)
                    if self.semantic_order:
                        plain = p.choice is None and not p.early and not p.reads_input and not takes
                        local.setdefault((s, key), Local()).add(p, data, full, plain, step.touched)
                    for name, value in p.view.items():
                        updates.setdefault(name, []).append((full, value))
                    if ("out",) in p.view:
                        wrote_out.append(full)
                    if ("err",) in p.view:
                        wrote_err.append(full)
                    if any(name[0] in STRINGS for name in p.view):
                        wrote_string.append(full)
                    shown.extend(z3.If(full, v, 0) for v in printed)
                    for e, cond in p.events.items():
                        events[e].append(z3.And(full, _bool(cond)))
                    for why, cond in p.outside.items():
                        outside.setdefault(why, []).append(z3.And(full, _bool(cond)))
        moved = z3.Or(fulls) if fulls else z3.BoolVal(False)
        enabled = z3.Or(datas) if datas else z3.BoolVal(False)
        cons = [z3.Implies(enabled, moved), z3.Implies(z3.Not(moved), who == -1)]
        signal = choose
        if signals:
            cons.append(z3.Implies(choose, z3.Or(signalled) if signalled else z3.BoolVal(False)))
        for kind, v in own.items():
            cons.append(z3.Implies(v, z3.Or(owned[kind]) if owned[kind] else z3.BoolVal(False)))
        if left is not None:  # a choice no path uses is fixed: one schedule, one model
            cons.append(z3.Or(z3.Or(lefts) if lefts else z3.BoolVal(False), left == 0))
        if t > 0 and lay.threads == 1:  # (threads of one process share memory: no reordering)
            cons.extend(self.canonical_order(t, who, signal, list(own.values())))
        if nondet is not None:
            lo, hi = self.config.nondet
            cons.append(z3.And(nondet >= lo, nondet <= hi))
            # a choice no path of the step uses is fixed: one schedule, one model
            cons.append(z3.Or(z3.Or(reading) if reading else z3.BoolVal(False), nondet == lo))
        if fail is not None:
            cons.append(z3.Or(z3.Or(forking) if forking else z3.BoolVal(False), z3.Not(fail)))
        if early is not None:
            cons.append(z3.Or(z3.Or(earlies) if earlies else z3.BoolVal(False), z3.Not(early)))
        new = dict(old)
        values = dict(self.values[t])
        for name, ups in updates.items():
            prev = old[name]
            ups = [(c, v) for c, v in ups if not _same(v, prev)]
            if not ups:
                continue
            for _, v in ups:
                if values.get(name) is None:
                    break  # not all known already: nothing more to learn
                values[name] = _union(values[name], _values_of(v, prev, step.known_vars))
            if any(isinstance(v, str) for _, v in ups) or isinstance(prev, str):
                raise NotEncoded("a string value kept in a variable")
            term = prev
            for c, v in reversed(ups):
                term = z3.If(c, _coerce(v, prev), term)
            if name[0] in STRINGS:  # strings stay terms: only outcome queries make Z3 reason about them
                new[name] = term
                continue
            var = _fresh(name, t + 1, prev)
            cons.append(var == term)
            new[name] = var
        self.frames.append(new)
        self.values.append(values)
        self.locals.append(local)
        if t > 0 and self.semantic_order:
            cons.extend(self.commuting(t))
        trail = [z3.If(z3.Or(wrote_out), who, -1) if wrote_out else None,
                 z3.If(z3.Or(wrote_err), who, -1) if wrote_err else None] + shown
        self.steps.append(StepTerms(who, fail, nondet, moved, enabled,
                                    {e: (z3.Or(v) if v else z3.BoolVal(False)) for e, v in events.items()},
                                    [x for x in trail if x is not None], signal, early, own, left,
                                    {why: z3.Or(v) for why, v in outside.items()},
                                    z3.Or(wrote_string) if wrote_string else None))
        return cons

    def might_be(self, t: int, name, value: int) -> bool:
        """Can variable `name` hold `value` at time t? False only when every value it can have
        is a known constant and `value` is not one of them: the initial value and, at each
        step, the constants an update may store (the leaves of its if-then-else), a syntactic
        over-approximation of the reachable values. A step guarded by a value the variable
        cannot have is never taken, so leaving it out of the unrolling changes nothing."""
        known = self.values[t].get(name)
        return known is None or value in known

    # ---------------------------------------------------------------- partial order

    def canonical_order(self, t: int, who, signal=None, own=()) -> list:
        """Independent adjacent steps in slot order: slot b > a moving at t-1 and slot a at t
        is ruled out when the two steps commute.

        Why this loses nothing: two steps of different slots commute when neither writes
        what the other reads or writes (their footprints, `independent`); then in any state
        where both can move, either order reaches the same state and neither enables or
        disables the other. Swapping such a pair keeps an execution's length, its final
        state and every step's effect and events (each depends only on what the step
        reads, which the other step leaves alone), so repeated swaps (each removes one
        inversion, hence they stop) turn any execution into one this constraint allows,
        ending in the same state. Every reachable state is still reached, at the same
        depth, and every event still happens: violations, deadlocks, outcomes, the
        longest execution and the largest process count are those of the full relation.
        A step that takes a signal (`signal`), or is one of the kernel's own (`own`: an alarm
        expiring, a late SIGCHLD), is never swapped: only two instruction steps are.
        Steps whose footprints meet but that commute in the state at hand are ordered by
        `commuting` (`symbolic.commute`), under the same argument."""
        old, cur = self.frames[t - 1], self.steps[t - 1]
        out = []
        for a in range(self.slots):
            for b in range(a + 1, self.slots):
                groups: dict = {}  # the same partners: one disjunction
                for kb, kas in self.independent_pairs(a, b).items():
                    groups.setdefault(tuple(kas), []).append(kb)
                if not groups:
                    continue
                commute = z3.Or([z3.And(self.at_any(old, b, kbs), self.at_any(old, a, kas)) for kas, kbs in groups.items()])
                plain = [z3.Not(x) for x in [cur.signal, signal] + list((cur.kernel or {}).values()) + list(own)
                         if x is not None]
                out.append(z3.Not(z3.And(cur.who == b, who == a, old[("st", a)] == RUNNING, commute, *plain)))
        return out

    def commuting(self, t: int) -> list:
        """Slot b > a moving at t-1 and slot a at t is also ruled out when the two steps commute
        in the state at hand (`commute.swappable`), for the pairs whose footprints meet (the
        others `canonical_order` covers)."""
        before, now = self.locals[t - 1], self.locals[t]
        frames = (self.frames[t - 1], self.frames[t], self.frames[t + 1])
        out = []
        for (a, ka), la in sorted(now.items(), key=lambda item: str(item[0])):
            if (a, ka) not in before:
                continue  # a could not stand at ka at t-1: nor at t after another slot's step
            pairs = [(b, kb) for (b, kb) in sorted(before, key=str)
                     if b > a and ka not in self.independent_pairs(a, b).get(kb, ())]
            if not pairs:
                continue  # independent whatever the state: `canonical_order`
            swaps = Swaps(before[(a, ka)], la, frames, _coerce, STRINGS, [before[p] for p in pairs])
            for b, kb in pairs:
                cond = swaps.condition(b, before[(b, kb)], self.steps[t - 1].who, self.steps[t - 1].signal)
                if cond is not None:
                    out.append(z3.Not(cond))
        return out

    def at_any(self, frame: dict, s: int, keys) -> z3.BoolRef:
        loc = frame[("loc", s)]
        if not self.layout.vforks:
            return z3.Or([loc == self.layout.id(k) for k in keys])
        st = frame[("st", s)]  # a slot's location is kept while it is EXITING or stopped
        return z3.Or([st == vf.EXITING if k == EXITING_BLOCK else z3.And(st == RUNNING, loc == self.layout.id(k))
                      for k in keys])

    def independent_pairs(self, a: int, b: int) -> dict:
        """{start key of b: [start keys of a whose step commutes with it]}."""
        sig = (a, b, sum(len(f) for f in self.footprints.values()))
        if sig in self._pairs:
            return self._pairs[sig]
        table = self._pairs[sig] = {}
        for (sb, kb), fb in self.footprints.items():
            if sb != b:
                continue
            kas = [ka for (sa, ka), fa in self.footprints.items() if sa == a and independent(fa, a, fb, b)]
            if kas:
                table[kb] = kas
        return table

    def kill_dead(self, p, s: int, step) -> None:
        """Temps no longer needed at the boundary a step ends at are zero (as the kernel's
        kill_dead makes them), so they never become state variables."""
        live = self.layout.live_temps(p.key)
        for d, i in self.layout.temp_keys:
            if (d, i) not in live:
                p.view[step.temp_name(s, d, i)] = bv(0)

    # ---------------------------------------------------------------- what a frame says

    def terminated(self, t: int):
        f = self.frames[t]
        return z3.And([z3.Or(f[("st", s)] == UNUSED, f[("st", s)] == GONE) for s in range(self.slots)])

    def deadlocked(self, t: int):
        return z3.And(z3.Not(self.steps[t].enabled), z3.Not(self.terminated(t)), z3.Not(self.frames[t][("oob",)]))

    def alive(self, t: int):
        """Processes in the table (not yet reaped), as the kernel's process limit counts them."""
        f = self.frames[t]
        return z3.Sum([z3.If(vf.in_table(f[("st", s)]), z3.BitVecVal(1, 16),
                             z3.BitVecVal(0, 16)) for s in range(self.slots)])

    def outside_reason(self, model, k: int) -> str | None:
        """Why the execution of `model` has left the encoding by frame k: the reason of the
        first step that took a path beyond it (None if the model shows none)."""
        for st in self.steps[:k]:
            for why, when in (st.outside or {}).items():
                if z3.is_true(model.eval(when, model_completion=True)):
                    return why
        return None

    def orphan_without_parent(self, t: int):
        """A violation of orphans-reparented: a process whose parent is neither init nor running."""
        f = self.frames[t]
        bad = []
        for s in range(1, self.slots):
            present = vf.in_table(f[("st", s)])
            parent_ok = z3.Or([f[("ppid", s)] == INIT_PID] +
                              [z3.And(f[("ppid", s)] == FIRST_PID + c, f[("st", c)] == RUNNING) for c in range(s)])
            bad.append(z3.And(present, z3.Not(parent_ok)))
        return z3.Or(bad) if bad else z3.BoolVal(False)

    def orphaned_stopped_group(self, t: int):
        """A violation of no-orphaned-stopped-group: a stopped process none of whose group's live
        members is the first process or has a parent in another group (one session: `sid` is 0)."""
        f = self.frames[t]
        if not self.layout.signals.used:
            return z3.BoolVal(False)
        groups = self.layout.signals.groups
        pg = (lambda s: f[("pg", s)]) if groups else (lambda s: bv(FIRST_PID))
        live = [f[("st", s)] == RUNNING for s in range(self.slots)]
        anchored = []
        for q in range(self.slots):
            outside = z3.Or([z3.And(live[r], f[("ppid", q)] == FIRST_PID + r, pg(r) != pg(q)) for r in range(self.slots)])
            anchored.append(z3.And(live[q], z3.BoolVal(True) if q == 0 else outside))
        bad = [z3.And(live[p], f[("stop", p)] != 0,
                      z3.Not(z3.Or([z3.And(anchored[q], pg(q) == pg(p)) for q in range(self.slots)])))
               for p in range(self.slots)]
        return z3.Or(bad)

    def exit_status(self, t: int):
        word = self.frames[t][("first",)]
        sig = word & 0x7F
        return z3.If(word < 0, bv(-1), z3.If(sig == 0, (word >> 8) & 0xFF, 128 + sig))

    def processes(self, t: int):
        return z3.BV2Int(self.frames[t][("n",)])


def independent(fa: set, a: int, fb: set, b: int) -> bool:
    """Two steps, of slots a and b, touch nothing in common that one of them writes.
    A fork's writes into the slot it fills in (`fresh`) cannot meet the other step's
    own variables: that step's slot is running, so it is not the one being filled in."""
    touched_b = {n for n, w, f in fb if not (f and n[1] == a)}
    writes_b = {n for n, w, f in fb if w and not (f and n[1] == a)}
    for n, w, f in fa:
        if f and n[1] == b:
            continue
        if n in writes_b or (w and n in touched_b):
            return False
    return True


VALUE_SET = 64  # the most constants `Encoder.might_be` tracks for one variable


def _leaves(v, known_vars: dict):
    """The values `v` can take, as a set of unsigned constants, or None if not all are known:
    an if-then-else's leaves, and for a variable of the frame the values `known_vars`
    (by term id) has for it."""
    if isinstance(v, z3.BitVecNumRef):
        return frozenset({v.as_long()})
    if isinstance(v, z3.ExprRef) and z3.is_app_of(v, z3.Z3_OP_ITE):
        a = _leaves(v.arg(1), known_vars)
        return None if a is None else _union(a, _leaves(v.arg(2), known_vars))
    if isinstance(v, z3.ExprRef) and z3.is_app_of(v, z3.Z3_OP_UNINTERPRETED):
        return known_vars.get(v.get_id())
    return None


def _values_of(v, like, known_vars: dict):
    """`_leaves` of a value stored into a variable like `like`: a number as the variable's
    bits, a term as built or, if that says nothing, simplified (`0 & ~8192`)."""
    if not isinstance(like, z3.BitVecRef) or isinstance(v, (bool, str)):
        return None
    v = _coerce(v, like)
    out = _leaves(v, known_vars)
    if out is None and not z3.is_bv_value(v):
        out = _leaves(z3.simplify(v), known_vars)
    return out


def _union(a, b):
    if a is None or b is None or len(a) + len(b) > VALUE_SET:
        return None
    return a | b


def _same(v, prev) -> bool:
    if v is prev:
        return True
    if isinstance(v, z3.ExprRef) and isinstance(prev, z3.ExprRef):
        return v.eq(prev)
    if isinstance(v, int) and not isinstance(v, bool) and isinstance(prev, z3.ExprRef) and z3.is_int_value(prev):
        return prev.as_long() == v
    if isinstance(v, int) and isinstance(prev, z3.BitVecNumRef):
        return prev.as_signed_long() == v
    return False


def _fresh(name: tuple, t: int, like):
    label = "_".join(str(x) for x in name) + f"@{t}"
    if isinstance(like, z3.SeqRef):
        return z3.String(label)
    if isinstance(like, z3.BoolRef):
        return z3.Bool(label)
    if isinstance(like, z3.BitVecRef):
        return z3.BitVec(label, like.size())
    return z3.Int(label)


def _coerce(v, like):
    if isinstance(like, z3.BoolRef):
        return _bool(v)
    if isinstance(like, z3.BitVecRef):
        if isinstance(v, z3.BoolRef):
            return z3.If(v, z3.BitVecVal(1, like.size()), z3.BitVecVal(0, like.size()))
        return z3.BitVecVal(int(v), like.size()) if isinstance(v, int) else v
    if isinstance(v, bool):
        return z3.IntVal(int(v))
    if isinstance(v, int):
        return z3.IntVal(v)
    if isinstance(v, z3.BoolRef):
        return z3.If(v, z3.IntVal(1), z3.IntVal(0))
    return v


def _bool(v):
    return z3.BoolVal(v) if isinstance(v, bool) else v


__all__ = ["Encoder", "StepTerms"]
