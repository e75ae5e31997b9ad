"""BFS and Z3 agree: the same verdict for every check both decide, the same outcome set.

Disagreement is a bug in one engine. Programs come from `forkspec.gen` (the
conformance generator), kept to two or three processes so the Z3 engine answers in
seconds; a bound it reaches must come out inconclusive, never a different verdict,
and a construct it lacks must be an error that names it. `FORKSPEC_Z3_EXAMPLES=N`
raises the number of generated programs, and `FORKSPEC_Z3_SPECS=all` checks every
spec in specs/ (slow) instead of the quick ones; any other value checks the specs whose
source contains it (`FORKSPEC_Z3_SPECS=setvbuf`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from forkspec import gen
from forkspec.engines.result import INCONCLUSIVE
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.errors import UnsupportedError
from forkspec.frontend import load_spec, parse_spec
from forkspec.session import Options, modes_for, run, run_z3
from forkspec.trace import rebuild
from z3check import bfs_outcomes, z3_outcomes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FORKSPEC_Z3_EXAMPLES", "6"))
Z3 = SymOptions(timeout_ms=5_000, max_bound=40)
SOLVER_ONLY = SymOptions(timeout_ms=5_000, max_bound=40, simulate=False)  # every violation's trace from a model
QUICK_SPECS = ["specs/symbolic/exists_output.c", "specs/symbolic/tty_line_buffered.c",
               "specs/puzzles/item03_child_copy.c", "specs/puzzles/hello_bye.c",
               "specs/violations/all_reaped_parent_never_waits.c",
               "specs/regressions/line_buffered_small_buffer_writes_through.c",
               "specs/violations/no_deadlock_pipe_own_writer.c", "specs/violations/orphaned_stopped_group.c",
               "specs/symbolic/wnohang_poll_loop.c"]


def compare(spec, mode: str, outcomes: bool = False, z3_opts=Z3) -> tuple[int, int]:
    """Assert agreement; return (checks Z3 decided, checks in all)."""
    try:
        z = run_z3(spec, mode, z3_opts=z3_opts, outcomes=outcomes)
    except UnsupportedError as e:
        assert_names_the_construct(spec, e)
        return 0, 0
    b = run(spec, mode, Options())
    decided = 0
    for x, y in zip(b.exploration.results, z.exploration.results):
        assert x.check.name == y.check.name
        if y.verdict == INCONCLUSIVE or x.verdict == INCONCLUSIVE:
            continue
        decided += 1
        assert x.verdict == y.verdict, (f"{spec.path} [{mode}] {x.check.name}: bfs {x.verdict}, z3 {y.verdict}\n"
                                        + spec.program.source)
        if y.witness is not None:  # every Z3 trace replays step by step in the kernel
            trace = rebuild(z.kernel, z.exploration, y.witness)
            assert trace.final == z.exploration.states[y.witness.state] or y.witness.successor is not None
    if outcomes and z.exploration.stats.complete and b.exploration.stats.complete:
        assert z3_outcomes(z) == bfs_outcomes(b), spec.program.source
    return decided, len(z.exploration.results)


def assert_names_the_construct(spec, e: UnsupportedError) -> None:
    """What the Z3 engine refuses is named, with its place: a call's name is on the line given."""
    assert "is not encoded for --engine z3" in e.message and "use --engine bfs" in e.render()
    m = re.match(r"(\w+)\(\) is not encoded", e.message)
    if m:
        line = spec.program.source.splitlines()[e.span.line - 1]
        assert m.group(1) + "(" in line, (e.render(), line)
    else:
        assert e.message.startswith(("the property ", "a ", "an ", "the ", "stdout", "output", "wait", "atexit", "signals",
                                     "write", "printf", "fflush", "nondet_int", "memory", "putchar", "fputc",
                                     "putc", "puts", "fputs", "setvbuf", "setbuf")), e.message


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=gen.programs(max_processes=2, max_ops=4))
def test_generated_programs_get_the_same_verdicts_and_outcomes_from_both_engines(prog):
    header = "description: generated\nproperties: all-reaped pid-unique orphans-reparented atexit-reverse-order"
    spec = parse_spec(prog.source(header), "generated.c")
    compare(spec, "file", outcomes=True, z3_opts=SOLVER_ONLY)


def _specs():
    which = os.environ.get("FORKSPEC_Z3_SPECS", "")
    if not which:
        return QUICK_SPECS
    every = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.c"))
    return every if which == "all" else [p for p in every if which in (ROOT / p).read_text()]


@pytest.mark.parametrize("path", _specs())
def test_specs_get_the_same_verdicts_from_both_engines(path):
    spec = load_spec(ROOT / path)
    for mode in modes_for(spec, None):
        compare(spec, mode, outcomes=bool(os.environ.get("FORKSPEC_Z3_SPECS")))  # widened runs: outcome sets too


def test_the_quick_specs_are_decided_by_z3_not_only_left_inconclusive():
    decided, total = compare(load_spec(ROOT / "specs/symbolic/exists_output.c"), "file", outcomes=True)
    assert decided == total
