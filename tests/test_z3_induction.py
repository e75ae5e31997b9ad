"""k-induction in the Z3 engine: proofs for programs with no longest execution, and never a
`holds` for a check some execution violates (`forkspec.engines.symbolic.induction`).
`FORKSPEC_INDUCTION_EXAMPLES=N` raises the number of generated spin loops."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forkspec.cli import render_run, run_json
from forkspec.engines.result import HOLDS, INCONCLUSIVE, VIOLATED
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.frontend import load_spec, parse_spec
from forkspec.session import Options, run, run_z3

from z3check import both, spin_program, verdicts_by_name

ROOT = Path(__file__).resolve().parent.parent


def early(bound: int) -> SymOptions:
    """Step cases from the first depth on (k = depth + 1), without random runs: a short
    bound leaves the base case short of deep violations. No recurrence diameter: it would
    settle some of these programs first (`test_z3_diameter`)."""
    return SymOptions(timeout_ms=10_000, max_bound=bound, simulate=False, induction_from=0, recurrence=False)
EXAMPLES = int(os.environ.get("FORKSPEC_INDUCTION_EXAMPLES", "3"))  # generated spin loops (more: slower, wider)

@pytest.fixture(scope="module")
def spin_run():
    return run_z3(load_spec(ROOT / "specs/symbolic/spin_on_shared_flag.c"), "file", z3_opts=early(30))


def test_spin_on_a_shared_flag_is_proved_by_induction_without_a_threshold(spin_run):
    figures = spin_run.exploration.stats.solver
    assert figures.threshold is None and figures.proof == "k-induction"
    assert verdicts_by_name(spin_run) == {"assert": HOLDS, "all-reaped": HOLDS, "no-deadlock": HOLDS}
    assert all(x.reason.endswith("-inductive") for x in spin_run.exploration.results)
    assert set(figures.induction) == {"assert", "all-reaped", "no-deadlock"}


def test_the_report_names_the_induction_proof_in_text_and_json(spin_run):
    text = render_run(spin_run)
    assert "holds (1-inductive)" in text and "proved by k-induction" in text
    z = run_json(spin_run)["z3"]
    assert z["proved_by"] == "k-induction" and z["threshold"] is None and z["proof"] is True
    assert {x["check"] for x in z["induction"]} == {"assert", "all-reaped", "no-deadlock"}
    assert all(x["proof"] == "k-induction" and x["k"] >= 1 for x in z["induction"])


def test_without_induction_the_same_spin_stays_inconclusive_at_the_bound():
    spec = load_spec(ROOT / "specs/symbolic/spin_on_shared_flag.c")
    r = run_z3(spec, "file", z3_opts=SymOptions(timeout_ms=10_000, max_bound=6, induction=0, recurrence=False))
    assert set(verdicts_by_name(r).values()) == {INCONCLUSIVE}
    assert "bound 6 reached" in r.exploration.results[0].reason


def test_a_violation_deeper_than_the_bound_is_never_proved_by_induction():
    # the child's third write makes the assert fail, several steps after the loop can end
    spec = parse_spec(spin_program([1, 2, 3], 0, "flag", "*flag != 3"), "deep.c")
    assert verdicts_by_name(run(spec, "file", Options()))["assert"] == VIOLATED
    for bound in (1,):
        r = run_z3(spec, "file", z3_opts=early(bound))
        assert verdicts_by_name(r)["assert"] in (INCONCLUSIVE, VIOLATED), bound
        assert "assert" not in r.exploration.stats.solver.induction


def test_outcome_expectations_stay_inconclusive_without_a_threshold():
    source = spin_program([1], 0, "flag", "*flag == 1").replace(
        "properties:", 'forall exit_status == 0\nproperties:')
    r = run_z3(parse_spec(source, "spin.c"), "file", z3_opts=early(4))
    v = verdicts_by_name(r)
    assert v["forall exit_status == 0"] == INCONCLUSIVE and v["assert"] == HOLDS
    assert r.exploration.stats.solver.proof != "k-induction"  # not every check is proved


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(writes=st.lists(st.integers(0, 3), min_size=1, max_size=3), code=st.integers(0, 3),
       loop=st.sampled_from(["flag", "poll"]), bad=st.integers(0, 3), bound=st.integers(0, 3),
       on_status=st.booleans())
def test_induction_never_contradicts_bfs_on_generated_spin_loops(writes, code, loop, bad, bound, on_status):
    """Unbounded loops (a spin on a shared flag, a WNOHANG poll) with a check after them; a
    small bound leaves the base case short of deep violations: Z3 may say inconclusive,
    never a verdict BFS does not give."""
    cond = f"WEXITSTATUS(status) != {bad}" if on_status and loop == "poll" else f"*flag != {bad}"
    z, b = both(spin_program(writes, code, loop, cond), path="gen.c", z3_opts=early(bound), outcomes=False)
    bfs = verdicts_by_name(b)
    for name, verdict in verdicts_by_name(z).items():
        assert verdict in (INCONCLUSIVE, bfs[name]), (name, verdict, bfs[name], z.spec.program.source)
