"""The Z3 engine: the kernel's rules encoded symbolically over a fixed number of process slots.

Modules in reading order: `program` (locations: call stacks inlined; boundaries;
whether children can fork), `expr` (IR expressions over ints or Z3 terms), `block`
(one slot's step, the kernel's rules over Z3 terms), `stdio` (glibc's libio write
path over Z3 terms, for programs that call setvbuf or setbuf), `fds` (fd tables, descriptions,
pipes and named files; `locks`: fcntl record locks), `exec` (exec's images folded into the
layout, a slot's image replaced), `chars` (char arrays and contents as bit-vectors), `threads` (pthreads
and pthread_atfork: a slot's threads, mixed into `block.Step`), `unroll` (frames, the
transition relation, the canonical order of commuting steps), `commute` (steps that
commute in the state at hand though their footprints meet), `guess` (random runs at the
encoding's granularity: where the completeness threshold probably is), `condition` (an
expectation as a Z3 formula), `replay` (a model as a schedule, followed in the
concrete kernel), `induction` (k-induction, for programs with no longest execution),
`bmc` (random concrete runs, then bounded model checking, the completeness threshold,
k-induction, outcomes by blocking schedules).
"""
from forkspec.engines.symbolic.bmc import Figures, Options, explore, precheck
from forkspec.engines.symbolic.program import SUPPORTED, NotEncoded

__all__ = ["explore", "precheck", "Options", "Figures", "NotEncoded", "SUPPORTED"]
