"""What the unrolling knows each variable can hold (`Encoder.might_be`, `Step.decide`): the
blocks and splits it leaves out are only sound if every value a variable takes in some
execution is among the constants it lists. The solver checks that over every execution of
a few steps; a handler set by sigaction() shows that the values follow copies (through the
struct's memory cell) and 64-bit constants (the handler's address)."""
from __future__ import annotations

import z3
from hypothesis import HealthCheck, given, settings

from forkspec import gen, ir
from forkspec.frontend import parse_spec
from forkspec.kernel import signals as ks
from forkspec.props import library
from forkspec.session import Options, _z3_setup, modes_for
from forkspec.engines.symbolic.unroll import Encoder

HANDLER = """/*@forkspec
description: a handler installed with sigaction, a signal sent to self and to a child
*/
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
void on_usr1(int sig) { write(1, "h\\n", 2); }
int main(void) {
    struct sigaction sa;
    pid_t child;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    child = fork();
    if (child == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    raise(SIGUSR1);
    wait(NULL);
    return 0;
}
"""


def unrolled(source: str, steps: int, slots: int = 3):
    spec = parse_spec(source, "t.c")
    kernel, _ = _z3_setup(spec, modes_for(spec, None)[0], Options(), library(Options().property_files))
    enc = Encoder(kernel.program, kernel.config, slots)
    constraints = [c for _ in range(steps) for c in enc.unroll()]
    return enc, constraints


def escapes(enc: Encoder) -> list:
    """For each frame and variable with known values: the variable holds none of them."""
    out = []
    for t, (frame, values) in enumerate(zip(enc.frames, enc.values)):
        for name, known in values.items():
            v = frame[name]
            if known is None or not isinstance(v, z3.BitVecRef):
                continue
            out.append(z3.And([v != z3.BitVecVal(c, v.size()) for c in sorted(known)]))
    return out


def assert_no_value_escapes(source: str, steps: int) -> None:
    enc, constraints = unrolled(source, steps)
    s = z3.Solver()
    s.set("timeout", 60_000)
    s.add(*constraints)
    s.add(z3.Or(escapes(enc)))
    assert s.check() == z3.unsat, "some execution gives a variable a value its known set lacks"


def test_every_value_a_handler_program_gives_a_variable_is_among_those_the_unrolling_lists():
    assert_no_value_escapes(HANDLER, 8)


def test_the_handler_a_sigaction_installs_is_known_by_value_through_the_structs_memory():
    enc, _ = unrolled(HANDLER, 8)
    index = [f.name for f in enc.layout.program.functions].index("on_usr1")
    assert enc.values[-1][("sh", 0, ks.SIGUSR1)] == {ks.SIG_DFL, ir.FUNC_BASE + index * ir.FUNC_STRIDE}


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=gen.programs(max_processes=2, max_ops=4))
def test_every_value_a_generated_program_gives_a_variable_is_among_those_the_unrolling_lists(prog):
    assert_no_value_escapes(prog.source("description: generated"), 8)
