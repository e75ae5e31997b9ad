"""A Z3 model becomes a schedule, and the schedule is replayed in the concrete kernel.

The model says, for each step, which slot moved and with which choice (a failing
fork, an input value). The concrete kernel (without merging local steps, so that it
stops wherever the encoding can) takes that process's instructions one by one up to
its next boundary, exactly the stretch the encoding ran as one step. Every trace the
Z3 engine reports is the list of concrete states this produces: if the model asked
for a move the kernel does not offer, replay fails loudly instead of reporting it.
"""
from __future__ import annotations

from typing import NamedTuple

import z3

from forkspec import ir
from forkspec.kernel import Kernel
from forkspec.kernel.state import EXITING, FIRST_PID, RUNNING, find
from forkspec.trace import ReplayError


class Move(NamedTuple):
    slot: int
    fail: bool
    nondet: int | None


def schedule(enc, model: z3.ModelRef, upto: int) -> list[Move]:
    out = []
    for st in enc.steps[:upto]:
        if not z3.is_true(model.eval(st.moved, model_completion=True)):
            break
        who = model.eval(st.who, model_completion=True).as_long()
        fail = st.fail is not None and z3.is_true(model.eval(st.fail, model_completion=True))
        nd = model.eval(st.nondet, model_completion=True).as_signed_long() if st.nondet is not None else None
        out.append(Move(who, fail, nd))
    return out


def location(proc) -> tuple:
    return tuple((a.func, a.pc) for a in proc.stack)


def replay(kernel: Kernel, boundaries: set, moves: list[Move]) -> list[tuple]:
    """[(action, state)] from the initial state, following `moves`; raises ReplayError."""
    state = kernel.initial_state()
    out: list[tuple] = []
    for i, mv in enumerate(moves, start=1):
        mark = len(out)
        state = _run(kernel, boundaries, state, FIRST_PID + mv.slot, mv, True, out, i)
        children = [e.child for a, _ in out[mark:] for e in a.events if e.kind == "fork"]
        for child in children:  # a fork runs its child's local steps in the same move
            state = _run(kernel, boundaries, state, child, mv, False, out, i)
    return out


def _run(kernel: Kernel, boundaries: set, state, pid: int, mv: Move, first: bool, out: list, i: int):
    """Steps of `pid` up to its next boundary (executing the one it is at when `first`)."""
    if True:
        while True:
            proc = find(state, pid)
            alive = proc is not None and proc.state == RUNNING and bool(proc.stack)
            if not first and (not alive or location(proc) in boundaries or proc.pending or proc.vfork_child
                              or proc.main_state):
                break  # at a boundary, suspended by vfork, or stopped for good
            if first and proc is not None and proc.state == EXITING:
                alive = True  # a vfork child's last step: it becomes a zombie
            if not alive:
                raise ReplayError(f"move {i}: process {pid} cannot move (it is not running)")
            choice = ""
            if first and not proc.pending and proc.stack:
                top = proc.stack[-1]
                ins = kernel.program.functions[top.func].body[top.pc]
                if isinstance(ins, ir.Builtin) and ins.name in ("fork", "vfork") and mv.fail:
                    choice = "fail"
                elif isinstance(ins, ir.Builtin) and ins.name == "nondet_int":
                    choice = str(mv.nondet)
            for action, nxt in kernel.successors(state):
                if action.pid == pid and action.choice == choice:
                    break
            else:
                raise ReplayError(f"move {i}: the kernel offers no step of process {pid}"
                                  + (f" with choice {choice!r}" if choice else ""))
            out.append((action, nxt))
            state = nxt
            first = False
    return state
