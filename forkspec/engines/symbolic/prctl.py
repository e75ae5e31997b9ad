"""prctl over Z3 terms: the child subreaper attribute and the parent-death signal (`kernel/signals.py`).

A program that calls prctl gives each slot two variables: `sr` (PR_SET_CHILD_SUBREAPER,
0 or 1) and `pds` (PR_SET_PDEATHSIG, a signal number or 0). A fresh slot starts with
both at 0, which is what fork gives a child: neither is inherited. When a process exits,
its children go to the nearest living subreaper among its ancestors, else to init
(`adopter`, the kernel's `adopter`), and each child with a parent-death signal is sent
it (`death_signals`). A zombie child adopted by a subreaper is announced to it as if it
had just exited; one adopted by init is reaped at once, as before.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import bv, is_sym
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.kernel.signals import (
    NSIG_MODELLED, PR_GET_CHILD_SUBREAPER, PR_GET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG,
)
from forkspec.kernel.state import FIRST_PID, INIT_PID
from forkspec.kernel.step import EINVAL

RUNNING, ZOMBIE = 1, 2  # as in block.py


def prctl_calls(program: ir.Program) -> list:
    return [ins for fn in program.functions for ins in fn.body if isinstance(ins, ir.Builtin) and ins.name == "prctl"]


def death_signals(program: ir.Program) -> set:
    """The signals PR_SET_PDEATHSIG may set (constants; another argument is refused when it runs)."""
    out = set()
    for ins in prctl_calls(program):
        option, arg = ins.args[0], ins.args[1] if len(ins.args) > 1 else None
        if isinstance(option, ir.Const) and option.value == PR_SET_PDEATHSIG and isinstance(arg, ir.Const) \
                and isinstance(arg.value, int) and 1 <= arg.value <= NSIG_MODELLED:
            out.add(arg.value)
    return out


def prctl_names(lay, s: int) -> list:
    return [("sr", s), ("pds", s)] if lay.prctl else []


class PrctlSteps:
    """prctl and what a process's exit does with it (mixed into `block.Step`)."""

    def b_prctl(self, p, s, ins, ev):
        """kernel: SignalCalls._b_prctl."""
        option, arg = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        if is_sym(option):
            raise NotEncoded("prctl() with an option that is not a constant", ins.loc)
        if option == PR_SET_CHILD_SUBREAPER:
            self.set(p, ("sr", s), z3.If(arg != 0, bv(1), bv(0)) if is_sym(arg) else bv(int(arg != 0)))
            return [(p, 0)]
        if option in (PR_GET_CHILD_SUBREAPER, PR_GET_PDEATHSIG):
            if not isinstance(arg, int):
                raise NotEncoded("prctl() storing through a pointer that is not known", ins.loc)
            name = "sr" if option == PR_GET_CHILD_SUBREAPER else "pds"
            self.store(p, s, ev.ctx.address_key(arg), self.get(p, (name, s)), ins.loc)
            return [(p, 0)]
        if option == PR_SET_PDEATHSIG:
            if is_sym(arg):
                raise NotEncoded("prctl(PR_SET_PDEATHSIG) of a signal that is not a constant", ins.loc)
            if not 0 <= arg <= 64:
                self.store(p, s, ("g", ir.ERRNO_SLOT), EINVAL)
                return [(p, -1)]
            if arg > NSIG_MODELLED:
                raise NotEncoded(f"the real-time signal {arg}", ins.loc)
            if arg and arg not in death_signals(self.lay.program):  # `orphan_signals` sends only those
                raise NotEncoded("prctl(PR_SET_PDEATHSIG) of a signal that is not a constant argument", ins.loc)
            self.set(p, ("pds", s), bv(arg))
            return [(p, 0)]
        raise NotEncoded(f"prctl() option {option} (PR_SET/GET_CHILD_SUBREAPER and PR_SET/GET_PDEATHSIG are "
                         "encoded)", ins.loc)

    def adopter(self, p, s: int):
        """The pid that adopts slot s's children: the nearest ancestor that is a living subreaper,
        walking up while each is still in the process table; else init. An ancestor is older,
        so it is in a lower slot."""
        if not self.lay.prctl:
            return bv(INIT_PID)
        memo: dict = {}

        def above(a: int):
            if a not in memo:
                ppid, out = self.get(p, ("ppid", a)), bv(INIT_PID)
                for b in reversed(range(a)):
                    st = self.get(p, ("st", b))
                    present = z3.Or(st == RUNNING, st == ZOMBIE)
                    sub = z3.And(self.get(p, ("sr", b)) != 0, st == RUNNING)
                    out = z3.If(ppid == FIRST_PID + b, z3.If(present, z3.If(sub, bv(FIRST_PID + b), above(b)),
                                                             bv(INIT_PID)), out)
                memo[a] = out
            return memo[a]
        return above(s)

    def orphan_signals(self, p, c: int, child) -> None:
        """kernel: reparent_children: a child with a parent-death signal is sent it."""
        if not self.lay.prctl:
            return
        pds = self.get(p, ("pds", c))
        for g in sorted(death_signals(self.lay.program)):
            self.send(p, c, g, z3.And(child, pds == g))
