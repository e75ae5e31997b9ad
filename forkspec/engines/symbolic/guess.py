"""Where the completeness threshold probably is: random executions at the encoding's granularity.

Each run picks, at every step, a random process that can move and makes one move of the
encoding with it (`replay.advance`: the process runs from its boundary to the next one,
a fork's child its local prefix too), forks succeeding and inputs random. The number of
moves of a run that ends (every process gone, or none can move) is the length of a real
execution of the unrolling, so the longest execution is at least the longest such run.

The search uses it only to skip questions: below that depth some execution can still
move, so asking whether one can is wasted work, and whatever is violated at a smaller
depth is also found by the question asked there (it covers every step up to its depth).
Nothing is decided from a run: a run that does not end, or a move the replay refuses,
gives no guess.
"""
from __future__ import annotations

import random
import time

from forkspec.engines.symbolic import replay as rp
from forkspec.kernel import Kernel
from forkspec.kernel.state import FIRST_PID
from forkspec.trace import ReplayError

RUNS = 4
MOVES = 400
SECONDS = 0.25
KERNEL_STEPS = 2000  # in one move: a local loop that never reaches a boundary ends the run


class _Steps(list):
    """The kernel steps of one move, at most KERNEL_STEPS (a move that spins for ever is refused)."""

    def append(self, item) -> None:
        if len(self) >= KERNEL_STEPS:
            raise ReplayError("a move that does not reach a boundary")
        super().append(item)


def longest_run(kernel: Kernel, boundaries: set, runs: int = RUNS, moves: int = MOVES,
                seconds: float = SECONDS) -> int | None:
    """The most moves among a few random runs that end, or None if one does not end in time."""
    rng = random.Random(3)
    stop = time.perf_counter() + seconds
    nondet = kernel.config.nondet
    best = 0
    for _ in range(runs):
        state, n = kernel.initial_state(), 0
        while True:
            pids = sorted({a.pid for a, _ in kernel.successors(state) if a.pid >= FIRST_PID})
            if not pids:
                break
            if n >= moves or time.perf_counter() > stop:
                return None
            value = rng.randint(*nondet) if nondet is not None else None
            try:
                state = rp.advance(kernel, boundaries, state, rp.Move(rng.choice(pids) - FIRST_PID, False, value), _Steps())
            except ReplayError:
                return None
            n += 1
        best = max(best, n)
    return best


__all__ = ["longest_run"]
