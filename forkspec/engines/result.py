"""What every engine returns: verdicts per check, figures, and how to rebuild traces.

A verdict is `holds`, `violated` or `inconclusive`; `holds` is only ever given when
the search was complete. `Check` is what the engine evaluates; it knows nothing of
fork, only predicates over opaque states and transitions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

HOLDS, VIOLATED, INCONCLUSIVE = "holds", "violated", "inconclusive"

# How each kind of check is decided:
#   invariant  state_ok(state) must be true in every reachable state
#   step       step_ok(state, action, next) must be true on every transition
#   deadlock   no reachable state without successors other than terminated ones
#   forall     final(state) true in every terminated state
#   exists     final(state) true in some terminated state
#   ~exists    final(state) true in no terminated state
CHECK_KINDS = ("invariant", "step", "deadlock", "forall", "exists", "~exists")


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    description: str = ""
    state_ok: Callable[[Any], bool] | None = None
    step_ok: Callable[[Any, Any, Any], bool] | None = None
    final: Callable[[Any], bool] | None = None
    expect_violation: bool = False  # the spec says the program violates it
    origin: str = ""  # spec | property | assert
    span: Any = None
    condition: Any = None  # an expectation's parsed condition (the Z3 engine translates it)


@dataclass(frozen=True)
class Witness:
    """Where a violation (or an `exists` witness) was found: a state id, and for a step
    check the successor index taken from it."""

    state: int
    successor: int | None = None


@dataclass
class CheckResult:
    check: Check
    verdict: str
    witness: Witness | None = None
    reason: str = ""

    @property
    def passed(self) -> bool:
        """Did the check come out as the spec expects?"""
        if self.check.expect_violation:
            return self.verdict == VIOLATED
        return self.verdict == HOLDS


@dataclass
class Stats:
    generated: int = 0  # transitions computed
    distinct: int = 0  # distinct states stored
    depth: int = 0  # BFS depth reached
    seconds: float = 0.0
    terminated: int = 0  # distinct terminated states
    deadlocks: int = 0  # distinct stuck states
    queued: int = 0  # states found but not explored when the search stopped
    complete: bool = True
    cut: str = ""  # what cut the search short, when it was not complete
    engine: str = "bfs"
    solver: Any = None  # the Z3 engine's figures (bound, threshold, queries, solver statistics)
    fingerprint_collision: float | None = None  # with fingerprint storage: chance that a state was missed
    table_bytes: int | None = None  # bytes of the visited table (map, parent links) with fingerprint or compact storage

    @property
    def states_per_second(self) -> float:
        return self.distinct / self.seconds if self.seconds > 0 else float(self.distinct)


@dataclass
class Exploration:
    """The engine's answer: check results, figures, and the explored graph for traces."""

    results: list[CheckResult]
    stats: Stats
    states: list = field(repr=False, default_factory=list)  # id -> state
    parents: list = field(repr=False, default_factory=list)  # id -> parent id (-1 for initial)
    finals: list = field(repr=False, default_factory=list)  # ids of terminated states
    paths: list | None = field(repr=False, default=None)  # id -> number of paths reaching it
    paths_exact: bool = True
    canon: Any = field(repr=False, default=None)  # the canonicalising function states were stored under, if any
    reductions: tuple = ()  # reductions in force, and why any asked for was refused
