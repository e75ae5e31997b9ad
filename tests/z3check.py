"""Shared by the Z3 tests: one program under both engines, and their agreement."""
from __future__ import annotations

from forkspec.engines.result import INCONCLUSIVE
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.frontend import parse_spec
from forkspec.session import Options, run, run_z3
from forkspec.trace import rebuild

FAST = SymOptions(timeout_ms=20_000, max_bound=40)  # random runs first, then the solver
SOLVER_ONLY = SymOptions(timeout_ms=20_000, max_bound=40, simulate=False)  # every trace from a model


def both(program, *, path: str = "t.c", mode: str = "file", z3_opts: SymOptions = SOLVER_ONLY,
         outcomes: bool = True):
    """(z3 run, bfs run) of one program: its source text (read as `path`) or a parsed spec.
    `outcomes=False` spares Z3 enumerating the outcomes when a test compares only verdicts."""
    spec = parse_spec(program, path) if isinstance(program, str) else program
    return run_z3(spec, mode, z3_opts=z3_opts, outcomes=outcomes), run(spec, mode, Options())


def verdicts_by_name(r) -> dict:
    """{check name: verdict} of one run, either engine's."""
    return {x.check.name: x.verdict for x in r.exploration.results}


def bfs_outcomes(b) -> set:
    """The outcomes of BFS's final states."""
    return {b.kernel.outcome(b.exploration.states[i]) for i in b.exploration.finals}


def z3_outcomes(z) -> set:
    """The outcomes Z3 enumerated (a run with `outcomes=True`)."""
    return set(z.exploration.stats.solver.outcome_set)


def assert_traces_replay(z) -> None:
    """Every witness Z3 gives replays step by step in the kernel and ends in its state."""
    for x in z.exploration.results:
        if x.witness is not None:
            trace = rebuild(z.kernel, z.exploration, x.witness)
            assert trace.steps, x.check.name
            assert trace.final == z.exploration.states[x.witness.state] or x.witness.successor is not None, \
                x.check.name


def assert_agree(z, b, *, outcomes: bool = True) -> dict:
    """The same checks with the same verdicts, none inconclusive; every Z3 trace replays
    (`assert_traces_replay`); and, unless `outcomes=False`, the same outcome set.
    Returns Z3's verdicts by check."""
    assert [x.check.name for x in z.exploration.results] == [x.check.name for x in b.exploration.results]
    for x, y in zip(b.exploration.results, z.exploration.results):
        assert y.verdict != INCONCLUSIVE, (y.check.name, y.reason)
        assert x.verdict == y.verdict, (y.check.name, x.verdict, y.verdict)
    assert_traces_replay(z)
    if outcomes:
        assert z3_outcomes(z) == bfs_outcomes(b)
    return verdicts_by_name(z)


SPIN = """/*@forkspec
description: generated spin
properties: all-reaped no-deadlock
*/
#include <assert.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{{
    int status = 0;
    int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *flag = 0;
    pid_t pid = fork();
    if (pid == 0) {{
{writes}
        _exit({code});
    }}
    {loop}
    assert({cond});
    waitpid(pid, &status, 0);
    return 0;
}}
"""


def spin_program(writes, code, loop, cond) -> str:
    """A parent that spins until its child has written a shared flag (`loop` "flag") or exited
    (`loop` "poll": waitpid with WNOHANG), then asserts `cond`: executions of every length."""
    body = "\n".join(f"        *flag = {v};" for v in writes)
    loops = {"flag": "while (*flag == 0)\n        ;", "poll": "while (waitpid(pid, &status, WNOHANG) == 0)\n        ;"}
    return SPIN.format(writes=body, code=code, loop=loops[loop], cond=cond)
