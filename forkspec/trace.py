"""Counterexample traces: rebuilt by replaying the model along BFS parent links.

The engine stores only parent ids; a trace is recovered by asking the model for
each state's successors again and picking the one that leads to the next state,
as Stateright does. If none does, the model is not deterministic in its
successors, and the error says so instead of printing a wrong trace.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def rebuild(model, exploration: Exploration, witness: Witness) -> Trace:
    ids = path_to(exploration, witness.state)
    states = exploration.states
    steps: list[Step] = []
    for a, b in zip(ids, ids[1:]):
        for action, nxt in model.successors(states[a]):
            if nxt == states[b]:
                steps.append(Step(action, nxt))
                break
        else:
            raise ReplayError(f"replaying step {len(steps) + 1}: no successor of state {a} leads to state {b}; "
                              "the model's successors are not deterministic")
    if witness.successor is not None:
        succ = model.successors(states[witness.state])
        if witness.successor >= len(succ):
            raise ReplayError("the violating transition is no longer produced by the model")
        action, nxt = succ[witness.successor]
        steps.append(Step(action, nxt))
    return Trace(states[ids[0]], tuple(steps))


def process_names(trace: Trace) -> dict[int, str]:
    """Stable names: the first process is P0; the k-th child forked by Pn is Pn.k."""
    names = {FIRST_PID: "P0", INIT_PID: "init"}
    counts: dict[int, int] = {}
    for step in trace.steps:
        for e in step.action.events:
            if e.kind == "fork":
                counts[e.pid] = counts.get(e.pid, 0) + 1
                names[e.child] = f"{names.get(e.pid, str(e.pid))}.{counts[e.pid]}"
    return names
