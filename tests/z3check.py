"""Shared by the Z3 tests: one program under both engines, and their agreement."""
from __future__ import annotations

from forkspec.engines.result import INCONCLUSIVE
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.frontend import parse_spec
from forkspec.session import Options, run, run_z3
from forkspec.trace import rebuild

SOLVER_ONLY = SymOptions(timeout_ms=20_000, max_bound=40, simulate=False)  # every trace from a model


def both(source: str):
    """(z3 run, bfs run) of one program, stdout to a file."""
    spec = parse_spec(source, "t.c")
    return run_z3(spec, "file", z3_opts=SOLVER_ONLY, outcomes=True), run(spec, "file", Options())


def assert_agree(z, b) -> dict:
    """Same verdicts and outcome set; every Z3 trace replays. Returns Z3's verdicts by check."""
    out = {}
    for x, y in zip(b.exploration.results, z.exploration.results):
        assert y.verdict != INCONCLUSIVE, (y.check.name, y.reason)
        assert x.verdict == y.verdict, (y.check.name, x.verdict, y.verdict)
        if y.witness is not None:
            assert rebuild(z.kernel, z.exploration, y.witness).steps, y.check.name
        out[y.check.name] = y.verdict
    assert set(z.exploration.stats.solver.outcome_set) == \
        {b.kernel.outcome(b.exploration.states[i]) for i in b.exploration.finals}
    return out
