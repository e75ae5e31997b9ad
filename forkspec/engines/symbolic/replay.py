"""A Z3 model becomes a schedule, and the schedule is replayed in the concrete kernel.

The model says, for each step, which slot (and which of its threads) moved and with
which choice (a failing fork, an input value). The concrete kernel (without merging local steps, so that it
stops wherever the encoding can) takes that process's instructions one by one up to
its next boundary, exactly the stretch the encoding ran as one step. Every trace the
Z3 engine reports is the list of concrete states this produces: if the model asked
for a move the kernel does not offer, replay fails loudly instead of reporting it.
"""
from __future__ import annotations

from typing import NamedTuple

import z3

from forkspec import ir
from forkspec.engines.symbolic.exec import merge, relocated
from forkspec.kernel import Kernel, threads
from forkspec.kernel.exec import program_of
from forkspec.kernel.signals import BEFORE_CALL
from forkspec.kernel.state import EXITING, FIRST_PID, RUNNING, THREAD_RUNNING, find
from forkspec.trace import ReplayError


class Move(NamedTuple):
    slot: int
    fail: bool
    nondet: int | None
    thread: int = 0  # the thread index within the process
    signal: bool = False  # the process takes its next pending signal (kernel: signal_successors)
    early: bool = False  # its handler runs before the blocking call starts (kernel: BEFORE_CALL)
    own: str = ""  # one of the kernel's steps of the process: "alarm" expires, "cld_report" (a late SIGCHLD)
    left: int = 0  # what alarm() finds left of the old timer (kernel: alarm_choices)


OWN = {"alarm": "alarm", "cld": "cld_report"}  # the encoding's name of a kernel step -> the kernel's choice


def schedule(enc, model: z3.ModelRef, upto: int) -> list[Move]:
    out = []
    for st in enc.steps[:upto]:
        if not z3.is_true(model.eval(st.moved, model_completion=True)):
            break
        who = model.eval(st.who, model_completion=True).as_long()
        fail = st.fail is not None and z3.is_true(model.eval(st.fail, model_completion=True))
        nd = model.eval(st.nondet, model_completion=True).as_signed_long() if st.nondet is not None else None
        n = enc.layout.threads
        sig = st.signal is not None and z3.is_true(model.eval(st.signal, model_completion=True))
        early = sig and st.early is not None and z3.is_true(model.eval(st.early, model_completion=True))
        own = next((OWN[k] for k, v in (st.kernel or {}).items() if z3.is_true(model.eval(v, model_completion=True))), "")
        left = model.eval(st.left, model_completion=True).as_long() if st.left is not None else 0
        out.append(Move(who // n, fail, nd, who % n, sig, early, own, left))
    return out


def location(proc, thread: int | None = None, images=None) -> tuple:
    """The layout's key for a process's stack; `images` = (program, `exec.merge`'s offsets) maps
    the functions of an exec'd image to the merged layout's."""
    if images is None or not proc.image:
        return tuple((a.func, a.pc) for a in _stack(proc, thread))
    at = relocated(images[1], images[0], proc)
    return tuple(at(a.func, a.pc) for a in _stack(proc, thread))


def _stack(proc, thread):
    if thread is None:
        return proc.stack
    return next((t.stack for t in proc.threads if t.index == thread), ())


def _pending(proc, thread):
    if thread is None:
        return proc.pending
    return next((t.pending for t in proc.threads if t.index == thread), ())


def _thread_point(kernel: Kernel, proc, thread) -> bool:
    """With two live threads, every builtin and every access to shared memory is a step of
    its own (kernel: Exec.is_visible)."""
    stack = _stack(proc, thread)
    if not proc.threads or threads.live_count(proc) < 2 or not stack:
        return False
    fn = kernel.program.functions[stack[-1].func]
    ins = fn.body[stack[-1].pc]
    return isinstance(ins, ir.Builtin) or threads.touches_shared(fn, ins)


def _runs(proc, thread) -> bool:
    if thread is None:
        return proc.main_state == "" and bool(proc.stack)
    return any(t.index == thread and t.state == THREAD_RUNNING and t.stack for t in proc.threads)


def replay(kernel: Kernel, boundaries: set, moves: list[Move], late_cld: bool = False) -> list[tuple]:
    """[(action, state)] from the initial state, following `moves`; raises ReplayError.
    `late_cld`: the encoding sends a stop's SIGCHLD in a step of its own (else at once)."""
    state = kernel.initial_state()
    out: list[tuple] = []
    images = (kernel.program, merge(kernel.program)[1])
    for i, mv in enumerate(moves, start=1):
        state = advance(kernel, boundaries, state, mv, out, i, images, late_cld)
    return out


def advance(kernel: Kernel, boundaries: set, state, mv: Move, out: list, i: int = 1, images=None,
            late_cld: bool = False):
    """The state after move `mv` (its kernel steps appended to `out`); raises ReplayError.
    `late_cld`: the encoding sends a stop's SIGCHLD in a step of its own (else at once)."""
    images = images or (kernel.program, merge(kernel.program)[1])
    mark = len(out)
    pid = FIRST_PID + mv.slot
    if mv.signal or mv.own:
        state = _take_signal(kernel, state, pid, out, i, mv.early) if mv.signal else \
            _take_own(kernel, state, pid, out, i, mv.own)
        return state if late_cld else _report_stops(kernel, state, out)
    proc = find(state, pid)
    thread = None if proc is None or mv.thread == proc.tid else mv.thread
    state = _run(kernel, boundaries, state, pid, thread, mv, True, out, i, images)
    forked = [(e.child, None) for a, _ in out[mark:] for e in a.events if e.kind == "fork"]
    created = [(a.pid, e.child) for a, _ in out[mark:] for e in a.events if e.kind == "thread_create"]
    for child, t in created + forked:  # a new thread, a fork's child: their local steps in the same move
        if t is None and sum(p.pid == child for p in state.procs) > 1:
            continue  # a zombie's pid given again (pid-reuse): the zombie shadows the child, which never runs
        state = _run(kernel, boundaries, state, child, t, mv, False, out, i, images)
    return state if late_cld else _report_stops(kernel, state, out)


def _report_stops(kernel: Kernel, state, out: list):
    """The encoding sends a stop's or continue's SIGCHLD with the stop: the kernel's later step
    that does (`cld_report`) is taken at once."""
    while True:
        proc = next((p for p in state.procs if p.cld_report), None)
        if proc is None:
            return state
        action, state = next((a, n) for a, n in kernel.successors(state, only={proc.pid}) if a.choice == "cld_report")
        out.append((action, state))


def _run(kernel: Kernel, boundaries: set, state, pid: int, thread, mv: Move, first: bool, out: list, i: int,
         images=None):
    """Steps of `pid` (its thread `thread`, None: the one on its stack) up to its next boundary
    (executing the one it is at when `first`)."""
    if True:
        while True:
            proc = find(state, pid)
            alive = proc is not None and proc.state == RUNNING and _runs(proc, thread)
            if not first and (not alive or location(proc, thread, images) in boundaries or _pending(proc, thread)
                              or _thread_point(kernel, proc, thread) or proc.vfork_child or proc.stopped):
                break  # at a boundary, suspended by vfork or a signal, or stopped for good
            if first and proc is not None and proc.state == EXITING:
                alive = True  # a vfork child's last step: it becomes a zombie
            if not alive:
                raise ReplayError(f"move {i}: process {pid} cannot move (it is not running)")
            choice = ""
            if first and not _pending(proc, thread) and _stack(proc, thread):
                top = _stack(proc, thread)[-1]
                ins = program_of(kernel.program, proc).functions[top.func].body[top.pc]
                if isinstance(ins, ir.Builtin) and ins.name in ("fork", "vfork") and mv.fail:
                    choice = "fail"
                elif isinstance(ins, ir.Builtin) and ins.name == "nondet_int":
                    choice = str(mv.nondet)
                elif isinstance(ins, ir.Builtin) and ins.name == "alarm" and mv.left:
                    choice = f"left:{mv.left}"  # offered when the old timer runs and the result is used
            mark = "" if thread is None else f"[thread {thread}] "
            skip = len(kernel.signal_successors(state, proc)) + (1 if proc.alarm else 0) + (1 if proc.cld_report else 0)
            for action, nxt in kernel.successors(state, only={pid})[skip:]:  # the signal steps come first
                if action.choice == choice and action.text.startswith(mark) \
                        and (thread is not None or not action.text.startswith("[thread ")):
                    break
            else:
                raise ReplayError(f"move {i}: the kernel offers no step of process {pid}"
                                  + (f" with choice {choice!r}" if choice else ""))
            out.append((action, nxt))
            state = nxt
            first = False
    return state


def _take_own(kernel: Kernel, state, pid: int, out: list, i: int, choice: str):
    """The kernel's own step of the process the model chose: its alarm expires, or a late SIGCHLD."""
    step = next(((a, n) for a, n in kernel.successors(state, only={pid}) if a.choice == choice), None)
    if step is None:
        raise ReplayError(f"move {i}: process {pid} has no step {choice!r}")
    out.append(step)
    return step[1]


def _take_signal(kernel: Kernel, state, pid: int, out: list, i: int, early: bool = False):
    """The signal step the model chose: the first way to take it, or the handler before the call starts."""
    proc = find(state, pid)
    steps = kernel.signal_successors(state, proc) if proc is not None else []
    if early:
        steps = [(a, n) for a, n in steps if a.choice == BEFORE_CALL]
    if not steps:
        raise ReplayError(f"move {i}: process {pid} has no signal to take"
                          + (" before the call it rests at" if early else ""))
    out.append(steps[0])
    return steps[0][1]
