"""The recurrence diameter in the Z3 engine: outcome expectations proved for programs whose
executions need not end, and never from a loop that writes output
(`forkspec.engines.symbolic.diameter`)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from forkspec.cli import render_run, run_json
from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.frontend import load_spec, parse_spec
from forkspec.session import Options, run, run_z3

from z3check import assert_agree, both, spin_program, verdicts_by_name

ROOT = Path(__file__).resolve().parent.parent
DEEP = SymOptions(timeout_ms=60_000, max_bound=40, simulate=False)

DOTS = """/*@forkspec
description: a poll that writes a dot each time round
forall stdout == "done\\n"
*/
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, NULL, WNOHANG) == 0)
        write(1, ".", 1);
    write(1, "done\\n", 5);
    return 0;
}
"""
EXPECT = 'forall stdout == "done\\n"'


def test_a_spin_until_adopted_is_decided_with_every_outcome_of_bfs():
    z, b = both(load_spec(ROOT / "specs/signals/item65_subreaper_adopts_orphan.c"), z3_opts=DEEP)
    figures = z.exploration.stats.solver
    assert figures.proof == "recurrence" and figures.threshold is not None
    assert set(assert_agree(z, b).values()) == {HOLDS}
    assert len(figures.outcome_set) == 1


def test_the_report_names_the_recurrence_diameter_in_text_and_json():
    z = run_z3(load_spec(ROOT / "specs/signals/item65_subreaper_adopts_orphan.c"), "file", z3_opts=DEEP)
    k = z.exploration.stats.solver.threshold
    assert f"every state is reached within {k - 1} steps" in render_run(z)
    report = run_json(z)["z3"]
    assert report["proved_by"] == "recurrence" and report["proof"] is True and report["threshold"] == k


def test_a_loop_that_writes_is_never_cut_out():
    """Each time round the poll prints a dot and comes back to the same variables: were the
    output left out of "the same frame", the executions without a repeated frame would
    print no dot and the expectation would wrongly hold."""
    spec = parse_spec(DOTS, "dots.c")
    bfs = run(spec, "file", Options(max_states=2000))  # (the dots make the state space infinite)
    assert verdicts_by_name(bfs)[EXPECT] == VIOLATED
    z = run_z3(spec, "file", z3_opts=SymOptions(timeout_ms=20_000, max_bound=14, simulate=False))
    assert verdicts_by_name(z)[EXPECT] != HOLDS
    assert z.exploration.stats.solver.proof != "recurrence"


@settings(max_examples=3, deadline=None, derandomize=True, database=None)
@given(writes=st.lists(st.integers(0, 3), min_size=1, max_size=2), code=st.integers(0, 3),
       loop=st.sampled_from(["flag", "poll"]), bad=st.integers(0, 3))
def test_generated_spin_loops_get_the_outcomes_and_verdicts_of_bfs(writes, code, loop, bad):
    """A spin on a shared flag or a WNOHANG poll, then an assert and the child's exit status as
    the outcome: every check decided as BFS decides it, with the same outcomes."""
    source = spin_program(writes, code, loop, f"*flag != {bad}").replace(
        "properties:", f"forall exit_status == {code}\nproperties:")
    z, b = both(parse_spec(source, "spin.c"), z3_opts=DEEP)
    assert_agree(z, b)
