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
from forkspec.kernel.state import FIRST_PID, RUNNING, find
from forkspec.trace import ReplayError


class Move(NamedTuple):
    slot: int
    fail: bool
    nondet: int | None
    signal: bool = False  # the process takes its next pending signal (kernel: signal_successors)


def schedule(enc, model: z3.ModelRef, upto: int) -> list[Move]:
    out = []
    for st in enc.steps[:upto]:
        if not z3.is_true(model.eval(st.moved, model_completion=True)):
            break
        who = model.eval(st.who, model_completion=True).as_long()
        fail = st.fail is not None and z3.is_true(model.eval(st.fail, model_completion=True))
        nd = model.eval(st.nondet, model_completion=True).as_signed_long() if st.nondet is not None else None
        sig = st.signal is not None and z3.is_true(model.eval(st.signal, model_completion=True))
        out.append(Move(who, fail, nd, sig))
    return out


def location(proc) -> tuple:
    return tuple((a.func, a.pc) for a in proc.stack)


def replay(kernel: Kernel, boundaries: set, moves: list[Move]) -> list[tuple]:
    """[(action, state)] from the initial state, following `moves`; raises ReplayError."""
    state = kernel.initial_state()
    out: list[tuple] = []
    for i, mv in enumerate(moves, start=1):
        mark = len(out)
        if mv.signal:
            state = _take_signal(kernel, state, FIRST_PID + mv.slot, out, i)
            continue
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
            if not first and (not alive or location(proc) in boundaries or proc.pending or proc.stopped):
                break
            if not alive:
                raise ReplayError(f"move {i}: process {pid} cannot move (it is not running)")
            choice = ""
            if first and not proc.pending:
                top = proc.stack[-1]
                ins = kernel.program.functions[top.func].body[top.pc]
                if isinstance(ins, ir.Builtin) and ins.name in ("fork", "vfork") and mv.fail:
                    choice = "fail"
                elif isinstance(ins, ir.Builtin) and ins.name == "nondet_int":
                    choice = str(mv.nondet)
            skip = len(kernel.signal_successors(state, proc)) + (1 if proc.alarm else 0)
            for action, nxt in kernel.successors(state, only={pid})[skip:]:  # the signal steps come first
                if action.choice == choice:
                    break
            else:
                raise ReplayError(f"move {i}: the kernel offers no step of process {pid}"
                                  + (f" with choice {choice!r}" if choice else ""))
            out.append((action, nxt))
            state = nxt
            first = False
    return state


def _take_signal(kernel: Kernel, state, pid: int, out: list, i: int):
    proc = find(state, pid)
    steps = kernel.signal_successors(state, proc) if proc is not None else []
    if not steps:
        raise ReplayError(f"move {i}: process {pid} has no signal to take")
    out.append(steps[0])  # without a handler, the one way to take it
    return steps[0][1]
