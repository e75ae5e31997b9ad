"""Steps that commute in the state at hand (`symbolic.commute`) and the first question's depth
(`symbolic.guess`): fewer schedules, the same executions' outcomes, the same threshold."""
from __future__ import annotations

import z3

from forkspec.engines.symbolic import Options as SymOptions
from forkspec.engines.symbolic.guess import longest_run
from forkspec.engines.symbolic.unroll import Encoder
from forkspec.frontend import parse_spec
from forkspec.kernel import Kernel
from forkspec.session import Options, _z3_setup, modes_for, run, run_z3
from forkspec.props import library
from z3check import bfs_outcomes, z3_outcomes

REAP = """/*@forkspec
description: child i exits with status i; the parent's exit status says in which order it reaped them
*/
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int i, s, order = 0;
    for (i = 0; i < 3; i++)
        if (fork() == 0)
            _exit(i);
    for (i = 0; i < 3; i++) {
        waitpid(-1, &s, 0);
        order = order * 4 + WEXITSTATUS(s);
    }
    return order;
}
"""


def encoder(source: str, slots: int):
    spec = parse_spec(source, "reap.c")
    kernel, _ = _z3_setup(spec, modes_for(spec, None)[0], Options(), library(Options().property_files))
    return kernel, Encoder(kernel.program, kernel.config, slots)


def schedules(enc: Encoder, depth: int) -> int:
    """How many schedules of `depth` steps end with every process gone."""
    s = z3.SolverFor("QF_BV")
    for _ in range(depth + 1):
        s.add(*enc.unroll())
    s.add(enc.terminated(depth))
    whos = [st.who for st in enc.steps[:depth]]
    n = 0
    while s.check() == z3.sat:
        m = s.model()
        s.add(z3.Or([w != m.eval(w, model_completion=True) for w in whos]))
        n += 1
    return n


def test_a_wait_and_the_exit_of_a_child_it_does_not_reap_are_taken_in_one_order_only():
    # 3 children: which child exits before each wait, the wait reaping it (3! = 6 reaping orders);
    # with footprints alone, every placement of an exit before some wait was a schedule of its own
    # (16 here; a wait that writes output is not swapped: strings are not compared)
    kernel, enc = encoder(REAP, 4)
    assert enc.semantic_order
    assert schedules(enc, 13) == 6


def test_the_reduced_schedules_still_reach_every_reaping_order():
    z = run_z3(parse_spec(REAP, "reap.c"), "file", z3_opts=SymOptions(timeout_ms=20_000, max_bound=40),
               outcomes=True)
    b = run(parse_spec(REAP, "reap.c"), "file", Options())
    bfs = bfs_outcomes(b)
    assert z3_outcomes(z) == bfs
    orders = ("012", "021", "102", "120", "201", "210")
    assert {o.exit_status for o in bfs} == {int(x, 4) for x in orders}


def test_the_longest_random_run_is_a_real_execution_of_the_unrolling():
    kernel, enc = encoder(REAP, 4)
    replay_kernel = Kernel(kernel.program, kernel.config._replace(merge_local=False))
    n = longest_run(replay_kernel, enc.layout.boundaries)
    z = run_z3(parse_spec(REAP, "reap.c"), "file", z3_opts=SymOptions(timeout_ms=20_000, max_bound=40))
    assert n is not None and z.exploration.stats.solver.threshold == n == 12  # 1 + 3 forks + 3 waits + 2 to exit + 3 exits


def test_a_program_that_runs_for_ever_gives_no_guess():
    spin = """/*@forkspec
description: spins
*/
int main(void) { while (1) ; return 0; }
"""
    kernel, enc = encoder(spin, 1)
    replay_kernel = Kernel(kernel.program, kernel.config._replace(merge_local=False))
    assert longest_run(replay_kernel, enc.layout.boundaries, moves=50) is None
