"""The recurrence diameter: a completeness threshold for programs whose executions need not end.

A spin loop (`while (getppid() != top) sched_yield();`) has executions of every length,
so no bound covers every execution. It may still cover every *state*: if no execution
of k steps passes through k+1 pairwise different frames, every reachable frame is
reached within k-1 steps (Kroening and Strichman, VMCAI 2003). Take any execution to a
frame X and its canonical form (`Encoder.canonical_order`: the same length and final
frame). If it has frames i < j that are the same, cut out the steps between them: a
shorter execution to X, canonical again after reordering. Repeat; what is left has no
repeated frame, so it is shorter than k, or its first k steps would be the loop-free
execution that does not exist. Every check the bounded search decides (a state, a step's
event, a terminated frame's outcome) then has its witness within the unrolling.

Two frames count as the same when every non-string variable is equal and no step between
them wrote a string (the output, a stdio buffer, a pipe's contents): the strings only
grow or are replaced by writes, and the bit-vector tactic cannot compare them, so a frame
reached again with no write in between is the same frame, strings included. Counting a
write that changed nothing as a change only makes loop-free executions longer (a
threshold found later, or not at all), never a wrong one.
"""
from __future__ import annotations

import z3

from forkspec.engines.symbolic.unroll import STRINGS, Encoder


def _differ(a, b):
    """a != b, or None when the two terms are the same term (never different)."""
    if not isinstance(a, z3.ExprRef) and not isinstance(b, z3.ExprRef):
        return None if a == b else z3.BoolVal(True)
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef) and a.eq(b):
        return None
    return a != b


def unequal(fi: dict, fj: dict, names) -> list:
    """The disequalities of two frames over `names`, leaving out a name both frames hold as
    the same term (k-induction's distinct frames too)."""
    return [c for c in (_differ(fi[n], fj[n]) for n in names) if c is not None]


def different(enc: Encoder, i: int, j: int):
    """Frames i < j are not the same frame (see the module docstring)."""
    fi, fj = enc.frames[i], enc.frames[j]
    conds = [enc.steps[t].strings for t in range(i, j) if enc.steps[t].strings is not None]
    conds += unequal(fi, fj, [n for n in fj if n[0] not in STRINGS and n in fi])
    return z3.Or(conds) if conds else z3.BoolVal(False)


def loop_free(enc: Encoder, k: int, after_moves: bool = False) -> list:
    """Frames 0..k pairwise different: an execution of k steps that repeats no frame. With
    `after_moves`, only up to the execution's end (frame j must differ from the earlier ones
    when step j-1 moved): every terminated frame is reached by such an execution, which then
    stays where it is."""
    out = []
    for j in range(1, k + 1):
        moved = enc.steps[j - 1].moved
        for i in range(j):
            d = different(enc, i, j)
            out.append(z3.Implies(moved, d) if after_moves else d)
    return out


__all__ = ["different", "loop_free", "unequal"]
