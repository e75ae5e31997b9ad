"""Kernel semantics: the initial state of a program and the successors of a state.

This is the model the engines explore. It knows everything about fork and
nothing about search: `successors` returns every enabled step of every process
(and of init) in a fixed order, each as (Action, State).
"""
from __future__ import annotations

from typing import NamedTuple

from forkspec import ir
from forkspec.kernel import stdio
from forkspec.kernel.events import Event
from forkspec.kernel.signals import next_signal
from forkspec.kernel.state import (
    FIRST_PID, INIT_PID, PTE_WRITE, RUNNING, ZOMBIE, Proc, State, shell_status,
)
from forkspec.kernel.exec import program_of
from forkspec.kernel.step import Action, Config, Diverged, Exec
from forkspec.kernel.threads import schedulable

__all__ = ["Kernel", "Config", "Action", "State", "Outcome", "Diverged"]


class Outcome(NamedTuple):
    """A terminated execution as a user sees it."""

    stdout: str
    stderr: str
    exit_status: int
    processes: int


class Kernel:
    """The transition system of one program under one configuration."""

    def __init__(self, program: ir.Program, config: Config = Config()):
        self.program = program
        self.config = config

    def initial_state(self) -> State:
        data_cells = tuple(self.program.globals_init)
        pages = [data_cells[i : i + ir.CELLS_PER_PAGE] for i in range(0, max(len(data_cells), 1), ir.CELLS_PER_PAGE)]
        mem = tuple(_trim(p) for p in pages)
        ptes = tuple(((ir.DATA_BASE >> 12) + i, i, PTE_WRITE) for i in range(len(pages)))
        p0 = Proc(
            pid=FIRST_PID, ppid=INIT_PID, pgid=FIRST_PID, state=RUNNING, status=0, stack=(), ptes=ptes,
            out=stdio.stdout_stream(self.config.stdout), err=stdio.stderr_stream(), atexit=(), exit_plan=None,
            pending=(), vfork_child=0, vfork_parent=0, mmap_next=0,
        )
        state = State((p0,), mem, "", "", FIRST_PID + 1, -1)
        x = Exec(self.program, self.config, state, FIRST_PID)
        main = self.program.functions[self.program.main]
        x.push(self.program.main, [1, 0][: len(main.params)], None, 0)
        # No local steps run here: the first step shows (and its events record) what main does first.
        return x.result()

    def successors(self, state: State, only=None) -> list[tuple[Action, State]]:
        """Every enabled step; with `only` (a set of pids), just the steps of those processes."""
        out: list[tuple[Action, State]] = []
        init = init_step(state) if only is None else None
        if init is not None:
            out.append(init)
        for p in state.procs:
            if p.state == ZOMBIE or (only is not None and p.pid not in only):
                continue
            if p.sigpending:
                out.extend(self.signal_successors(state, p))
            if p.alarm:
                x = Exec(self.program, self.config, state, p.pid)
                action = x.alarm_step()
                out.append((action, x.result()))
            if p.cld_report:
                x = Exec(self.program, self.config, state, p.pid)
                action = x.cld_report_step()
                out.append((action, x.result()))
            if p.stopped or p.vfork_child:
                continue
            for thread in schedulable(p):
                if thread is None and not p.pending and _blocked_in_wait(self.program, state, p):
                    continue
                probe = Exec(self.program, self.config, state, p.pid, thread)
                if not probe.enabled():
                    continue
                choices = probe.choices()
                for i, choice in enumerate(choices):
                    x = probe if i == 0 else Exec(self.program, self.config, state, p.pid, thread)
                    action = x.step(choice)
                    nxt = x.result()
                    if self.config.eager_reap:
                        action, nxt = reap_orphans(action, nxt)
                    out.append((action, nxt))
        return out

    def signal_successors(self, state: State, p: Proc) -> list[tuple[Action, State]]:
        """The target's step that takes its next pending signal (one per way a handler can interrupt)."""
        sig = next_signal(p)
        if not sig:
            return []
        out = []
        for choice in Exec(self.program, self.config, state, p.pid).delivery_choices(sig):
            x = Exec(self.program, self.config, state, p.pid)
            action = x.signal_step(sig, choice)
            nxt = x.result()
            if self.config.eager_reap:
                action, nxt = reap_orphans(action, nxt)
            out.append((action, nxt))
        return out

    @staticmethod
    def is_terminated(state: State) -> bool:
        """Every process has exited and been reaped: only init is left."""
        return not state.procs

    @staticmethod
    def outcome(state: State) -> Outcome:
        return Outcome(state.stdout, state.stderr, shell_status(state.first_status) if state.first_status >= 0 else -1,
                       state.next_pid - FIRST_PID)


def init_step(state: State) -> tuple[Action, State] | None:
    """init (pid 1) reaps its zombie children, oldest first; for the first process it plays the shell."""
    for p in state.procs:
        if p.ppid == INIT_PID and p.state == ZOMBIE:
            procs = tuple(q for q in state.procs if q.pid != p.pid)
            first = p.status if p.pid == FIRST_PID else state.first_status
            action = Action(INIT_PID, 0, f"init reaps {p.pid}", (Event("reap", INIT_PID, child=p.pid, status=p.status),))
            return action, state._replace(procs=procs, first_status=first)
    return None


def _blocked_in_wait(program: ir.Program, state: State, p: Proc) -> bool:
    """A fast answer for the commonest blocked process: in wait() with live children only."""
    if not p.stack:
        return False
    top = p.stack[-1]
    ins = program_of(program, p).functions[top.func].body[top.pc]
    if not (isinstance(ins, ir.Builtin) and ins.name == "wait"):
        return False
    kids = [q for q in state.procs if q.ppid == p.pid]
    return bool(kids) and all(q.state != ZOMBIE for q in kids)


def reap_orphans(action: Action, state: State) -> tuple[Action, State]:
    """init reaps its zombie children at once (the `eager_reap` reduction).

    Sound because nothing in the modelled program can observe a zombie whose parent
    is init: only init could wait for it, and pids are never reused.
    """
    events = list(action.events)
    while True:
        step = init_step(state)
        if step is None:
            break
        a, state = step
        events.extend(a.events)
    if len(events) == len(action.events):
        return action, state
    return action._replace(events=tuple(events)), state


def _trim(cells: tuple) -> tuple:
    cells = tuple(cells)
    while cells and cells[-1] == 0:
        cells = cells[:-1]
    return cells
