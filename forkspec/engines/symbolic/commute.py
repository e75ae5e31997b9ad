"""Steps that commute in the state at hand, though their footprints meet.

`Encoder.canonical_order` rules out slot b > a moving at t-1 and slot a at t when the two
steps commute in every state (their footprints are disjoint). Two steps whose
footprints meet may still commute in the state at hand: a parent's `waitpid(-1)` that
reaps its lowest zombie child c and the exit of a child d > c, say (the wait reads every
child's state, so the footprints meet; here d's exit changes nothing the wait uses).
This module says so from the terms of the unrolling, step by step.

For each slot s, start (a block) and step t it keeps `Local`: what s's step from that
start would do if s moved from frame t by a *plain* path (no choice of a failing fork,
an input, a signal): the value each variable would get, its events, whether such a path
is enabled, and every name a path may read or write. Write S, S1, S2 for frames t-1,
t, t+1, with b moving at t-1 from a start kb and a at t from a start ka whose footprints
meet (a stands at ka in S too: only b moved). The pair is ruled out (`Swaps.condition`)
when

* a takes a plain path at t (and no other is enabled for it at S or S1), b no signal;
* a is enabled at S by a plain path, and its effect there, A(S), leaves unchanged
  every name b's step may touch (so b, which reads only those, does the same after a);
* a's step at t leaves b's writes as they are in S1 (S2[x] = S1[x]);
* every other name a may write gets the same value from A(S) as in S2, and a's events
  at S are those of its step at t.

Then a at S followed by b reaches S2 as b then a does: b's writes are b's own in both
orders, every other name is a's value in both, each step has the same events, and b
stays enabled (what it reads is unchanged). The swap moves a lower slot earlier, so
repeated swaps stop (the slot sequence decreases lexicographically), and the soundness
argument of `Encoder.canonical_order` applies unchanged: every execution has an allowed
one of the same length, final state and events.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import z3


@dataclass
class Local:
    """What one slot's step from one start does from one frame, over its plain paths (see the
    module docstring)."""

    updates: dict = field(default_factory=dict)  # name -> [(data, value)] of plain paths, in the unrolling's order
    events: dict = field(default_factory=dict)  # event -> [cond] of plain paths
    plain: list = field(default_factory=list)  # data of each plain path
    other: list = field(default_factory=list)  # data of each path with a choice, an input or a signal
    taken: list = field(default_factory=list)  # full (with `who`) of each plain path
    touched: set = field(default_factory=set)  # every name any path may read or write
    writes: set = field(default_factory=set)  # every name any path may write
    cache: dict = field(default_factory=dict)  # terms built once for every pair that asks

    def add(self, path, data, full, plain: bool, touched) -> None:
        self.touched.update(n for n, _, _ in touched)
        self.touched.update(path.view)
        self.writes.update(n for n, w, _ in touched if w)
        self.writes.update(path.view)
        if not plain:
            self.other.append(data)
            return
        self.plain.append(data)
        self.taken.append(full)
        for name, v in path.view.items():
            self.updates.setdefault(name, []).append((data, v))
        for e, cond in path.events.items():
            self.events.setdefault(e, []).append(z3.And(data, z3.BoolVal(cond) if isinstance(cond, bool) else cond))

    def value(self, name, frame: dict, coerce):
        """The value `name` would have after this plain step from `frame` (the frame it was made from)."""
        if name not in self.cache:
            term = prev = frame[name]
            for cond, v in reversed(self.updates.get(name, ())):
                term = z3.If(cond, coerce(v, prev), term)
            self.cache[name] = term
        return self.cache[name]

    def any(self, kind: str):
        """Or of the plain paths' data, the other paths' data, or the plain paths' fulls; "entered":
        of every path's data (the slot is at this start and can move)."""
        if kind == "entered":
            return z3.Or(self.any("plain"), self.any("other"))
        if kind not in self.cache:
            self.cache[kind] = _any(getattr(self, kind))
        return self.cache[kind]

    def event(self, e: str):
        if ("event", e) not in self.cache:
            self.cache[("event", e)] = _any(self.events.get(e, []))
        return self.cache[("event", e)]


def _any(xs) -> z3.BoolRef:
    return z3.Or(xs) if xs else z3.BoolVal(False)


class Swaps:
    """The swap conditions of slot a's step at t with the steps of higher slots at t-1; what
    does not depend on b is built once."""

    def __init__(self, la_before: Local, la_now: Local, frames: tuple, coerce, strings, others: list):
        self.before, self.now, self.frames, self.coerce, self.strings = la_before, la_now, frames, coerce, strings
        self.names = set(la_before.updates) | la_now.writes
        self.shared_writes = set().union(*(lb.writes for lb in others)) if others else set()
        self._common = None

    def _same(self, x):
        """A's value for x from S equals its value in S2 (x not written by b)."""
        S, _, S2 = self.frames
        if x in self.before.updates:
            return self.before.value(x, S, self.coerce) == S2[x]
        return None if S[x].eq(S2[x]) else S[x] == S2[x]

    def common(self) -> list:
        """The conditions every b shares: a is plain at t and at S, writes no string, gives every
        name no b writes the same value from S as in S2, and has the same events."""
        if self._common is None:
            la, ln = self.before, self.now
            conds = [ln.any("taken"), z3.Not(ln.any("other")), la.any("plain"), z3.Not(la.any("other"))]
            for x in sorted(n for n in self.names if n[0] in self.strings):  # no bit-vector: a writes none of them
                conds.append(z3.Not(_any([d for d, _ in la.updates.get(x, ())] + [d for d, _ in ln.updates.get(x, ())])))
            for x in sorted(self.names - self.shared_writes, key=str):
                if x[0] not in self.strings:
                    c = self._same(x)
                    if c is not None:
                        conds.append(c)
            for e in sorted(set(la.events) | set(ln.events)):
                conds.append(la.event(e) == ln.event(e))
            self._common = [z3.And(conds)]
        return self._common

    def condition(self, b: int, lb_before: Local, who_before, signal_before) -> z3.BoolRef | None:
        """(`lb_before`: b's block at t-1.)"""
        """b at t-1 then a at t may be replaced by a then b (the module docstring); None when it
        cannot hold (a path that is not plain writes a string)."""
        la, ln = self.before, self.now
        S, S1, S2 = self.frames
        if not ln.taken or not la.plain:
            return None
        if any(x[0] in self.strings and x in ln.writes and x not in ln.updates for x in self.names):
            return None
        conds = [who_before == b, lb_before.any("entered")] + self.common()
        if signal_before is not None:
            conds.append(z3.Not(signal_before))
        for x in sorted((lb_before.touched & set(la.updates)), key=str):
            if x[0] not in self.strings:
                conds.append(la.value(x, S, self.coerce) == S[x])
        for x in sorted(self.names & self.shared_writes, key=str):
            if x[0] in self.strings:
                continue
            if x in lb_before.writes:
                if x in ln.writes:
                    conds.append(S2[x] == S1[x])
            else:
                c = self._same(x)
                if c is not None:
                    conds.append(c)
        return z3.And(conds)


__all__ = ["Local", "Swaps"]
