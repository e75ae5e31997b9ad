"""The Z3 engine: its verdicts, its proofs and their limits, and its traces replayed in the kernel.

Programs here are small (two or three processes) so that each answer takes a fraction
of a second; `tests/test_engine_agreement.py` compares the two engines at large.
"""
from __future__ import annotations

import json
import re

import pytest
import z3
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forkspec import ir
from forkspec.engines.result import HOLDS, INCONCLUSIVE, VIOLATED, Witness
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.engines.symbolic.expr import Evaluator
from forkspec.errors import UnsupportedError
from forkspec.frontend import parse_spec
from forkspec.kernel.evaluate import compiled
from forkspec.session import Options, run, run_z3
from forkspec.trace import rebuild

from z3check import assert_agree, bfs_outcomes, both

FAST = SymOptions(timeout_ms=20_000, max_bound=60)
SOLVER_ONLY = SymOptions(timeout_ms=20_000, max_bound=60, simulate=False)  # violations found by BMC, not random runs

WAIT_FOR_CHILD = """/*@forkspec
forall stdout == "child\\nparent\\n"
exists stdout == "child\\nparent\\n"
~exists processes == 1
properties: all-reaped
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0) { printf("child\\n"); exit(0); }
    wait(NULL);
    printf("parent\\n");
    return 0;
}
"""


def z3_results(source: str, path: str = "t.c", **kw) -> tuple[dict, object]:
    """({check name: result}, run) of the Z3 engine alone on one program; `kw` goes to run_z3."""
    r = run_z3(parse_spec(source, path), "file", z3_opts=kw.pop("z3_opts", FAST), **kw)
    return {x.check.name: x for x in r.exploration.results}, r


def test_a_bound_covering_every_execution_proves_the_checks_hold():
    results, r = z3_results(WAIT_FOR_CHILD)
    assert {n: x.verdict for n, x in results.items()} == {
        "assert": HOLDS, 'forall stdout == "child\\nparent\\n"': HOLDS, 'exists stdout == "child\\nparent\\n"': HOLDS,
        "~exists processes == 1": HOLDS, "all-reaped": HOLDS, "no-deadlock": HOLDS}
    f = r.exploration.stats.solver
    assert r.exploration.stats.complete and f.threshold is not None and f.outcomes == 1


def test_a_violated_expectation_comes_with_a_trace_that_replays_in_the_kernel():
    source = WAIT_FOR_CHILD.replace('forall stdout == "child\\nparent\\n"', 'forall stdout == "parent\\nchild\\n"')
    results, r = z3_results(source)
    bad = results['forall stdout == "parent\\nchild\\n"']
    assert bad.verdict == VIOLATED
    trace = rebuild(r.kernel, r.exploration, bad.witness)  # replays every step in the concrete kernel
    assert r.kernel.is_terminated(trace.final) and trace.final.stdout == "child\nparent\n"


@pytest.mark.parametrize("opts", [FAST, SOLVER_ONLY], ids=["random-runs", "bmc"])
def test_a_failing_assert_is_found_and_its_step_replays(opts):
    source = """/*@forkspec
violates: assert
*/
#include <assert.h>
#include <unistd.h>
#include <sys/wait.h>
int g = 0;
int main(void) {
    if (fork() == 0) { g = 1; _exit(0); }
    wait(NULL);
    assert(g == 1);
    return 0;
}
"""
    results, r = z3_results(source, z3_opts=opts)
    a = results["assert"]
    assert a.verdict == VIOLATED and a.passed
    assert ("assert" in r.exploration.stats.solver.statistics["found_by_random_run"]) == opts.simulate
    trace = rebuild(r.kernel, r.exploration, a.witness)
    assert any(e.kind == "assert_failed" for e in trace.steps[-1].action.events)


def test_a_parent_that_never_waits_violates_all_reaped():
    source = """/*@forkspec
violates: all-reaped
*/
#include <unistd.h>
int main(void) {
    fork();
    return 0;
}
"""
    results, r = z3_results(source, z3_opts=SOLVER_ONLY)
    x = results["all-reaped"]
    assert x.verdict == VIOLATED
    trace = rebuild(r.kernel, r.exploration, x.witness)
    assert any(e.kind == "reparent" for e in trace.steps[-1].action.events)


def test_a_stuck_process_is_a_deadlock_whose_state_replays():
    source = """/*@forkspec
violates: no-deadlock
*/
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0) pause();
    wait(NULL);
    return 0;
}
"""
    results, r = z3_results(source, z3_opts=SOLVER_ONLY)
    x = results["no-deadlock"]
    assert x.verdict == VIOLATED
    trace = rebuild(r.kernel, r.exploration, x.witness)
    assert r.kernel.successors(trace.final) == [] and not r.kernel.is_terminated(trace.final)


UNENCODED = """/*@forkspec
forall stdout == "x"
*/
#include <stdio.h>
int main(void) {
    fork() || vfork() || _exit(0);
    printf("x");
    return 0;
}
"""


def test_a_construct_the_encoding_lacks_is_an_error_naming_it_and_where_never_a_verdict():
    with pytest.raises(UnsupportedError) as e:
        z3_results(UNENCODED)
    text = e.value.render()
    assert text.startswith("t.c:6:15: unsupported: a vfork() in a program whose children may fork or vfork "
                           "is not encoded for --engine z3; supported: fork")
    assert "use --engine bfs" in text


def test_a_property_from_a_property_file_is_an_error_for_z3(tmp_path):
    props = tmp_path / "mine.toml"
    props.write_text('[one-process]\ndescription = "at most one process"\nkind = "invariant"\n'
                     'holds = "len(processes) <= 1"\n')
    spec = parse_spec(WAIT_FOR_CHILD, "t.c")
    with pytest.raises(UnsupportedError, match="the property one-process .from a property file. is not encoded"):
        run_z3(spec, "file", Options(properties=("one-process",), property_files=(props,)), z3_opts=FAST)


def test_unsupported_specs_exit_2_with_both_engines_and_over_a_directory(tmp_path):
    from conftest import forkspec_cli

    (tmp_path / "bad.c").write_text(UNENCODED)
    (tmp_path / "good.c").write_text(WAIT_FOR_CHILD)
    done = forkspec_cli("check", str(tmp_path / "bad.c"), "--engine", "both")
    assert done.returncode == 2
    assert "bad.c:6:15: unsupported: a vfork()" in done.stderr and "holds" not in done.stdout  # nothing half-written
    done = forkspec_cli("check", str(tmp_path), "--engine", "z3")
    assert done.returncode == 2
    assert "bad.c:6:15: unsupported: a vfork()" in done.stderr and "good.c [stdout=file] (engine z3)" in done.stdout


def test_a_terminal_stdout_is_line_buffered_as_in_the_kernel():
    source = """/*@forkspec
modes: tty file
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int n = 7;
    printf("a%d\\nb", n);
    if (fork() == 0) { puts("c"); return 0; }
    wait(NULL);
    putchar('\\n');
    return 0;
}
"""
    for mode in ("tty", "file"):
        z, b = both(source, mode=mode, z3_opts=FAST)
        assert_agree(z, b)
    assert {o.stdout for o in z.exploration.stats.solver.outcome_set} == {"a7\nbc\na7\nb\n"}  # file: copied buffer


def test_commuting_steps_in_canonical_order_keep_every_outcome():
    source = """/*@forkspec
exists stdout == "bpa"
*/
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0) { write(1, "a", 1); _exit(0); }
    if (fork() == 0) { write(1, "b", 1); _exit(0); }
    write(1, "p", 1);
    while (wait(NULL) > 0)
        ;
    return 0;
}
"""
    results, r = z3_results(source, outcomes=True)
    assert results['exists stdout == "bpa"'].verdict == HOLDS
    assert {o.stdout for o in r.exploration.stats.solver.outcome_set} == {"abp", "apb", "bap", "bpa", "pab", "pba"}


def test_an_execution_longer_than_the_bound_leaves_holds_inconclusive():
    source = """/*@forkspec
forall exit_status == 0
*/
#include <stdio.h>
int main(void) {
    int i;
    for (i = 0; i < 30; i++)
        fflush(stdout);
    return 0;
}
"""
    results, r = z3_results(source, z3_opts=SymOptions(max_bound=5))
    assert {x.verdict for x in results.values()} == {INCONCLUSIVE}
    assert "bound 5 reached" in results["forall exit_status == 0"].reason
    assert not r.exploration.stats.complete


def test_more_processes_than_slots_is_never_a_proof():
    source = """/*@forkspec
forall processes == 4
*/
#include <unistd.h>
int main(void) {
    fork(); fork();
    return 0;
}
"""
    results, r = z3_results(source, z3_opts=SymOptions(slots=2))
    assert results["forall processes == 4"].verdict == INCONCLUSIVE
    assert "beyond the encoding" in results["forall processes == 4"].reason


def test_a_solver_that_gives_up_makes_the_verdict_inconclusive(monkeypatch):
    from forkspec.engines.symbolic import bmc

    def give_up(self, *goal, limit_ms=None):
        raise bmc.Unknown("timeout")

    monkeypatch.setattr(bmc._Search, "find", give_up)
    results, _ = z3_results(WAIT_FOR_CHILD)
    assert {x.verdict for x in results.values()} == {INCONCLUSIVE}
    assert "unknown (timeout)" in results["no-deadlock"].reason


def test_fork_failure_at_every_fork_without_enumeration():
    source = """/*@forkspec
fork-can-fail: yes
exists stdout == "fail\\n"
forall processes <= 2
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    pid_t p = fork();
    if (p < 0) { printf("fail\\n"); return 1; }
    if (p == 0) _exit(0);
    wait(NULL);
    return 0;
}
"""
    results, _ = z3_results(source)
    assert results['exists stdout == "fail\\n"'].verdict == HOLDS
    assert results["forall processes <= 2"].verdict == HOLDS


def test_an_input_range_is_one_symbolic_value_and_the_largest_process_count_is_optimised():
    source = """/*@forkspec
input: 0..2
forall processes <= 3 and exit_status == 0
exists processes == 3
~exists processes == 4
*/
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int i, n = nondet_int();
    for (i = 0; i < n; i++)
        if (fork() == 0)
            _exit(i);
    for (i = 0; i < n; i++)
        wait(NULL);
    return 0;
}
"""
    spec = parse_spec(source, "t.c")
    r = run_z3(spec, "file", z3_opts=FAST, max_alive=True)
    assert [x.verdict for x in r.exploration.results] == [HOLDS] * 5
    assert r.exploration.stats.solver.statistics["max_alive"] == 3
    bfs = run(spec, "file", Options())
    assert [x.verdict for x in bfs.exploration.results] == [HOLDS] * 5


def test_outcomes_enumerated_by_blocking_clauses_are_the_kernels():
    source = """/*@forkspec
*/
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
int main(void) {
    if (fork() == 0) { write(1, "a", 1); exit(2); }
    write(1, "b", 1);
    return 1;
}
"""
    z, b = both(source, z3_opts=FAST)
    assert_agree(z, b)
    assert len(bfs_outcomes(b)) == 2


# ------------------------------------------------------------------ one meaning of expressions

_OPS = ["+", "-", "*", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "/", "%"]


def _exprs():
    leaf = st.one_of(st.integers(-300, 300).map(ir.Const), st.integers(0, 2).map(ir.Temp))
    return st.recursive(leaf, lambda sub: st.one_of(
        st.tuples(st.sampled_from(_OPS), sub, sub).map(lambda t: ir.BinOp(*t)),
        st.tuples(st.sampled_from(["-", "!", "~", "!!"]), sub).map(lambda t: ir.UnOp(*t)),
        st.tuples(sub, sub, sub).map(lambda t: ir.Cond(*t)),
        st.tuples(st.sampled_from([8, 16, 32]), st.booleans(), sub).map(lambda t: ir.Wrap(*t)),
        st.tuples(sub, st.sampled_from([255, 127, 8, 3])).map(lambda t: ir.BinOp("&", t[0], ir.Const(t[1]))),
        st.tuples(sub, st.sampled_from([1, 8])).map(lambda t: ir.BinOp(">>", t[0], ir.Const(t[1]))),
    ), max_leaves=6)


class _Temps:
    def __init__(self, values):
        self.temps = values

    def temp(self, i):
        return self.temps[i]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(e=_exprs(), values=st.lists(st.integers(-1000, 1000), min_size=3, max_size=3))
def test_symbolic_expressions_mean_what_the_kernel_computes(e, values):
    """The Z3 evaluator, on known values and on Z3 variables fixed to them, agrees with the kernel's closures."""
    try:
        expected = compiled(e)(_Temps(values))
    except ZeroDivisionError:
        return
    from forkspec.engines.symbolic.program import NotEncoded

    assert Evaluator(_Temps(values)).eval(e) == expected
    xs = [z3.BitVec(f"x{i}", 64) for i in range(3)]
    try:
        term = Evaluator(_Temps(xs)).eval(e)
    except NotEncoded:
        return  # refused (a division by a symbolic value): never a wrong value
    if isinstance(term, int):
        assert term == expected
        return
    s = z3.Solver()
    s.add(*[x == v for x, v in zip(xs, values)])
    s.check()
    got = s.model().eval(term if not isinstance(term, z3.BoolRef) else z3.If(term, 1, 0), model_completion=True)
    assert (got.as_signed_long() if z3.is_bv_value(got) else got.as_long()) == expected


# ------------------------------------------------------------------ the command line


def test_check_with_both_engines_prints_both_verdicts_and_their_times():
    from conftest import forkspec_cli

    done = forkspec_cli("check", "specs/symbolic/exists_output.c", "--engine", "both")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(engine z3)" in done.stdout and "longest execution 7 steps" in done.stdout
    assert re.search(r"engines: bfs [0-9.]+ s, z3 [0-9.]+ s; agree", done.stdout)


def test_check_json_says_which_engine_the_bound_and_whether_it_is_a_proof():
    from conftest import forkspec_cli

    done = forkspec_cli("check", "specs/symbolic/exists_output.c", "--engine", "z3", "--json", "--max-alive")
    run_ = json.loads(done.stdout)["runs"][0]
    assert run_["engine"] == "z3"
    z = run_["z3"]
    assert z["proof"] is True and z["proved_by"] == "threshold" and z["bound"] == z["threshold"] == 7
    assert z["max_alive"] == 2
    assert z["statistics"]["queries"] > 0


def test_a_violation_found_by_z3_exits_1_with_a_trace(spec_file):
    from conftest import forkspec_cli

    path = spec_file(WAIT_FOR_CHILD.replace('forall stdout == "child\\nparent\\n"', 'forall stdout == "x"'))
    done = forkspec_cli("check", str(path), "--engine", "z3")
    assert done.returncode == 1
    assert 'counterexample to forall stdout == "x"' in done.stdout


STREAM_OPS = st.one_of(
    st.tuples(st.just("put"), st.text("ab\n", min_size=1, max_size=6)),
    st.tuples(st.just("putc"), st.sampled_from("a\n")),
    st.tuples(st.just("puts"), st.text("ab\n", max_size=4)),
    st.tuples(st.just("flush"), st.none()),
    st.tuples(st.just("number"), st.integers(-120, 12345)),
    st.tuples(st.just("setvbuf"), st.tuples(st.booleans(), st.sampled_from([0, 1, 2]), st.sampled_from([0, 3, 200]))))


@settings(max_examples=50, deadline=None)
@given(kind=st.sampled_from([(0, 4096), (1, 1024), (2, 1), (0, 3), (1, 4), (0, 200)]), area=st.sampled_from([0, 1, 2]),
       fill=st.integers(0, 200), ops=st.lists(STREAM_OPS, min_size=1, max_size=3))
def test_the_symbolic_stdio_transcription_takes_exactly_the_kernels_path(kind, area, fill, ops):
    """Over a buffer of unknown length, each run of the libio transcription is one path; for
    any actual length exactly one path's guard holds, and it issues the kernel's writes
    and leaves the kernel's stream."""
    from forkspec.engines.symbolic import stdio as sio
    from forkspec.engines.symbolic.block import _decimal_length
    from forkspec.kernel import stdio as kio
    from forkspec.kernel.state import Stream

    assume(sum(op == "number" for op, _ in ops) <= 1)  # each number splits over its 20 lengths where cut
    mode, size = kind
    n = 0 if area == 0 or mode == 2 else fill % (size + 1)  # nothing buffered before the first output
    buf, blen = z3.String("buf"), z3.BitVec("blen", 64)

    numbers = {j: z3.BitVec(f"v{j}", 64) for j, (op, _) in enumerate(ops) if op == "number"}

    def number(j):  # printf's %d of an unknown value (its text and length as Step.text makes them)
        v = numbers[j]
        iv = z3.BV2Int(v, is_signed=True)
        return [(z3.If(iv >= 0, z3.IntToStr(iv), z3.Concat(z3.StringVal("-"), z3.IntToStr(-iv))), _decimal_length(v), None)]

    def run_ops(f):
        for j, (op, arg) in enumerate(ops):
            {"put": lambda: f.put(sio.known(arg)), "number": lambda: f.printf(number(j)),
             "putc": lambda: f.putc(sio.known(arg)),
             "puts": lambda: f.puts(arg), "flush": f.flush, "setvbuf": lambda: f.setvbuf(*arg)}[op]()
        return f

    stream, writes = Stream("y" * n, mode, size, area), []
    for op, arg in ops:
        if op == "puts":
            stream, w1 = kio.put(stream, arg)
            stream, w2 = kio.putc(stream, "\n")
            w = w1 + w2
        elif op == "number":
            stream, w = kio.put(stream, str(arg))
        elif op == "setvbuf":
            stream, w = kio.setvbuf(stream, *arg) if arg[1] in (0, 1, 2) else (stream, [])
        else:
            stream, w = {"put": kio.put, "putc": kio.putc, "flush": lambda s, _: kio.flush(s)}[op](stream, arg)
        writes += w
    fact = [(buf, z3.StringVal("y" * n)), (blen, z3.BitVecVal(n, 64))] + [
        (numbers[j], z3.BitVecVal(arg, 64)) for j, (op, arg) in enumerate(ops) if op == "number"]
    taken = [f for guard, f in sio.paths(lambda o: run_ops(sio.SymFile(o, buf, blen, mode, size, area)))
             if z3.is_true(z3.simplify(z3.substitute(z3.And(*guard) if guard else z3.BoolVal(True), *fact)))]
    assert len(taken) == 1
    f = taken[0]

    def concrete(t):
        return z3.simplify(z3.substitute(t, *fact)) if isinstance(t, z3.ExprRef) else t

    assert [concrete(w).as_string() for w in f.writes] == writes
    assert concrete(f.buf).as_string() == stream.buf
    blen_now = concrete(f.blen)
    assert (blen_now if isinstance(blen_now, int) else blen_now.as_signed_long()) == len(stream.buf)
    assert (f.mode, f.size, f.area) == (stream.mode, stream.size, stream.area)


def test_an_unbuffered_puts_is_two_writes_another_process_can_come_between():
    """setvbuf(_IONBF): puts is write(2) of the text, then of the newline, each a step; Z3's
    outcomes are the kernel's, the interleaved ones included, and each replays."""
    from forkspec.frontend import load_spec

    z, b = both(load_spec("specs/regressions/printf_newline_unbuffered_is_puts.c"), mode="pipe", z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in bfs_outcomes(b)} >= {"ab\n\n", "ba\n\n"}
    for i in z.exploration.finals:
        assert z.kernel.is_terminated(rebuild(z.kernel, z.exploration, Witness(i)).final)
