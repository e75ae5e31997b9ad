"""The Z3 engine: the kernel's rules encoded symbolically over a fixed number of process slots.

Modules in reading order: `program` (locations: call stacks inlined; boundaries),
`expr` (IR expressions over ints or Z3 terms), `block` (one slot's step, the kernel's
rules over Z3 terms), `unroll` (frames and the transition relation), `replay` (a
model as a schedule, followed in the concrete kernel), `bmc` (bounded model checking,
the completeness threshold, outcomes by blocking clauses).
"""
from forkspec.engines.symbolic.bmc import Figures, Options, explore, precheck
from forkspec.engines.symbolic.program import SUPPORTED, NotEncoded

__all__ = ["explore", "precheck", "Options", "Figures", "NotEncoded", "SUPPORTED"]
