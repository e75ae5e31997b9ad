"""Counterexample traces: rebuilt by replaying the model along BFS parent links.

The engine stores only parent ids; a trace is recovered by asking the model for
each state's successors again and picking the one that leads to the next state,
as Stateright does. If none does, the model is not deterministic in its
successors, and the error says so instead of printing a wrong trace.

A saved trace (see `forkspec.report.itf`) is checked against the model the same
way: `follow` takes the recorded choices one by one and stops at the first step
the model no longer offers, saying what it offers instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from forkspec.engines.bfs import path_to
from forkspec.engines.result import Exploration, Witness
from forkspec.kernel.state import FIRST_PID, INIT_PID


class ReplayError(RuntimeError):
    pass


@dataclass(frozen=True)
class Step:
    action: object  # kernel Action
    state: object  # the state after it


@dataclass(frozen=True)
class Trace:
    initial: object
    steps: tuple[Step, ...]

    @property
    def final(self):
        return self.steps[-1].state if self.steps else self.initial

    def __len__(self) -> int:
        return len(self.steps)

    def states(self) -> list:
        """The initial state, then the state after each step."""
        return [self.initial, *(s.state for s in self.steps)]


def rebuild(model, exploration: Exploration, witness: Witness) -> Trace:
    """The shortest path to the witness, replayed as the model runs it.

    Under pid symmetry the stored states are representatives: each is the real state
    after a renaming of its pids. The replay keeps that renaming, so every step it
    shows is one the real state takes (the same process, the same choice) and the
    pids in the trace are the ones the program really gets."""
    ids = path_to(exploration, witness.state)
    states = exploration.states
    canon = exploration.canon
    mapping_of = getattr(canon, "mapping", None)
    steps: list[Step] = []
    # Under a canonicalising reduction (pid symmetry, the dead-variable reset) the stored states
    # are representatives: the replay follows the real states from the real initial one.
    initial = current = states[ids[0]] if canon is None else model.initial_state()
    to_rep: dict[int, int] = {}  # real pid -> pid in the stored representative
    for a, b in zip(ids, ids[1:]):
        if mapping_of is None:
            for action, nxt in model.successors(current):
                if (nxt if canon is None else canon(nxt)) == states[b]:
                    steps.append(Step(action, nxt))
                    current = nxt
                    break
            else:
                raise ReplayError(f"replaying step {len(steps) + 1}: no successor of state {a} leads to state {b}; "
                                  "the model's successors are not deterministic")
            continue
        for action, nxt in model.successors(states[a]):
            if canon(nxt) == states[b]:
                action, current, to_rep = _real_step(model, current, action, to_rep, canon, states[b],
                                                     mapping_of, nxt)
                steps.append(Step(action, current))
                break
        else:
            raise ReplayError(f"replaying step {len(steps) + 1}: no successor of state {a} leads to state {b}; "
                              "the model's successors are not deterministic")
    if witness.successor is not None:
        succ = model.successors(states[witness.state] if mapping_of is not None else current)
        if witness.successor >= len(succ):
            raise ReplayError("the violating transition is no longer produced by the model")
        action, nxt = succ[witness.successor]
        if mapping_of is not None:
            action, nxt, _ = _real_step(model, current, action, to_rep, canon, None, mapping_of, nxt)
        steps.append(Step(action, nxt))
    return Trace(initial, tuple(steps))


def _real_step(model, real, rep_action, to_rep: dict[int, int], canon, target, mapping_of, rep_next):
    """The step of the real state that the representative's step `rep_action` stands for, the state it
    leads to, and the renaming of that state's pids to the stored representative `target`.

    The same process taking the same choice is preferred; when sibling order is abstracted
    away, a look-alike process's step may be the one whose result has the stored
    representative, so any step that reaches it is taken."""
    from_rep = {v: k for k, v in to_rep.items()}
    pid = from_rep.get(rep_action.pid, rep_action.pid)
    succ = model.successors(real)
    same = [(a, n) for a, n in succ if a.pid == pid and a.choice == rep_action.choice]
    if target is not None:
        for a, n in same + succ:
            if canon(n) == target:
                return a, n, mapping_of(n) or {}
    if not same:
        raise ReplayError(f"replaying under pid symmetry: process {pid} has no step {rep_action.text!r}")
    a, n = same[0]
    h = mapping_of(rep_next) or {}
    return a, n, {p.pid: h.get(to_rep.get(p.pid, p.pid), to_rep.get(p.pid, p.pid)) for p in n.procs}


# ---------------------------------------------------------------- process names


def child_name(names: dict[int, str], counts: dict[int, int], parent: int) -> str:
    counts[parent] = counts.get(parent, 0) + 1
    return f"{names.get(parent, str(parent))}.{counts[parent]}"


def names_by_step(trace: Trace) -> list[dict[int, str]]:
    """The process names in force at each step (index 0: before the first step; i: after step i).

    Stable names: the first process is P0; the k-th child forked by Pn is Pn.k. A pid
    that is reused (only on a deliberately broken kernel) takes the new process's name
    from its fork on, so each step is told with the name of the process that took it.
    """
    names = {FIRST_PID: "P0", INIT_PID: "init"}
    counts: dict[int, int] = {}
    out = [dict(names)]
    for step in trace.steps:
        for e in step.action.events:
            if e.kind == "fork":
                names[e.child] = child_name(names, counts, e.pid)
        out.append(dict(names))
    return out


def process_names(trace: Trace) -> dict[int, str]:
    """Stable names as they stand at the end of the trace (see `names_by_step`)."""
    return names_by_step(trace)[-1]


# ---------------------------------------------------------------- following recorded choices


@dataclass(frozen=True)
class Recorded:
    """One step of a saved trace: who moved, with which choice, and what was recorded of it."""

    pid: int
    choice: str
    line: int
    text: str
    state: Any  # the recorded state after the step, in whatever form `same` compares


def offstage(text: str) -> str:
    """Where a step without a source line ran: in exit(), or in another libc routine
    (a thread's start, fork's pthread_atfork sequence)."""
    if text.startswith("[thread "):
        text = text.split("] ", 1)[-1]
    return "libc" if text.startswith(("thread start", "fork")) else "exit()"


def describe_move(pid: int, line: int, text: str, choice: str, names: dict[int, str]) -> str:
    who = f"{names.get(pid, '?')} [{pid}]"
    where = f"line {line} `{text}`" if line else ("init" if pid == INIT_PID else offstage(text))
    return f"{who} {where}" + (" (fork fails)" if choice == "fail" else "")


def describe_action(action, names: dict[int, str]) -> str:
    return describe_move(action.pid, action.line, action.text, action.choice, names)


def follow(model, initial_matches: Callable[[Any], str | None], recorded: list[Recorded],
           difference: Callable[[Any, Any, dict], str | None]) -> Trace:
    """Take the recorded steps through the model, one by one.

    `initial_matches(state)` returns None if the model's initial state is the
    recorded one, else what differs. `difference(state, recorded_state, names)`
    likewise compares a state with a recorded one. Raises ReplayError naming the
    first step the model does not produce and what it offers instead.
    """
    state = model.initial_state()
    why = initial_matches(state)
    if why is not None:
        raise ReplayError(f"the initial state differs: {why}")
    names = {FIRST_PID: "P0", INIT_PID: "init"}
    counts: dict[int, int] = {}
    steps: list[Step] = []
    for i, rec in enumerate(recorded, start=1):
        succ = model.successors(state)
        wanted = describe_move(rec.pid, rec.line, rec.text, rec.choice, names)
        same_move = [(a, n) for a, n in succ if a.pid == rec.pid and a.choice == rec.choice]
        if not same_move:
            offered = "; ".join(describe_action(a, names) for a, _ in succ) or "nothing: the state is stuck or final"
            raise ReplayError(f"step {i}: the trace has {wanted}, but the model does not let that process move "
                              f"here; it offers: {offered}")
        # several threads of one process may move: the recorded text names the one that did
        action, nxt = next(((a, n) for a, n in same_move if a.text == rec.text), same_move[0])
        trial = dict(names)
        trial_counts = dict(counts)
        for e in action.events:
            if e.kind == "fork":
                trial[e.child] = child_name(trial, trial_counts, e.pid)
        why = difference(nxt, rec.state, trial)
        if why is not None:
            now = describe_action(action, names)
            took = "" if now == wanted else f"; the model now takes that step as {now}"
            raise ReplayError(f"step {i} ({wanted}){took}: the model reaches a different state: {why}")
        names, counts = trial, trial_counts
        steps.append(Step(action, nxt))
        state = nxt
    return Trace(model.initial_state(), tuple(steps))
