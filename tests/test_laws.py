"""Laws every exploration obeys, on random small forking programs.

Programs come from a grammar: up to 3 forks (bare, or `if (fork() == 0) { ... }`
with a child block that may end in exit/_exit/return or fall through), printf / puts /
putchar with and without a newline, write(1, ...), fflush(stdout), a global counter,
atexit handlers that print, wait / waitpid with and without WNOHANG (some with their
results printed), getppid(), and `while (wait(NULL) > 0);`. The laws:

* exploring twice gives the same distinct-state count and the same outcome set;
* every outcome's witness trace (rebuilt from its final state id) replays, step by
  step through the model's successors, to a state with that outcome;
* the reductions (merged local steps, eager reaping by init) change no verdict of
  any check and no outcome;
* BFS traces are shortest: with max_depth = len(trace) - 1 the violation is not found.
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forkspec.engines.result import VIOLATED, Witness
from forkspec.frontend import parse_spec
from forkspec.kernel import Kernel
from forkspec.session import Options, run
from forkspec.trace import rebuild

CORE = ("no-shared-writable-page", "cow-isolation", "pid-unique", "orphans-reparented", "all-reaped",
        "atexit-reverse-order")
MAX_STATES = 4000  # programs whose reduced state space is bigger are skipped (assume), keeping the file fast
LAWS = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# --------------------------------------------------------------------------- the grammar

WORDS = ("a", "b", "c", "d")

simple_statement = st.one_of(
    st.sampled_from(WORDS).map(lambda w: f'printf("{w}\\n");'),
    st.sampled_from(WORDS).map(lambda w: f'printf("{w}");'),
    st.sampled_from(WORDS).map(lambda w: f'puts("{w}");'),
    st.sampled_from(WORDS).map(lambda w: f"putchar('{w}');"),
    st.just("putchar('\\n');"),
    st.sampled_from(WORDS).map(lambda w: f'write(1, "{w.upper()}", 1);'),
    st.just("fflush(stdout);"),
    st.just("g++;"),
    st.just('printf("g%d\\n", g);'),
    st.sampled_from(("h0", "h1")).map(lambda h: f"atexit({h});"),
    st.just("wait(NULL);"),
    st.just("waitpid(-1, NULL, 0);"),
    st.just("waitpid(-1, NULL, WNOHANG);"),
    st.just('printf("w%d\\n", waitpid(-1, NULL, WNOHANG) > 0);'),
    st.just("while (wait(NULL) > 0)\n    ;"),
    st.just('printf("w%d\\n", wait(NULL));'),
    st.just('printf("pp%d\\n", getppid());'),
)

ending = st.one_of(
    st.just(""),  # fall through (out of a child block: the child runs on; out of main: return 0)
    st.integers(0, 3).map(lambda k: f"exit({k});"),
    st.integers(0, 3).map(lambda k: f"_exit({k});"),
    st.integers(0, 3).map(lambda k: f"return {k};"),
)


@st.composite
def block(draw, forks: list, depth: int, max_len: int) -> list[str]:
    """A statement list; `forks` is a one-element list holding the forks still allowed."""
    out: list[str] = []
    for _ in range(draw(st.integers(0, max_len))):
        kind = draw(st.sampled_from(("simple", "simple", "simple", "fork", "forkif")))
        if kind != "simple" and forks[0] > 0:
            forks[0] -= 1
            if kind == "fork" or depth >= 1:
                out.append("fork();")
            else:
                inner = draw(block(forks, depth + 1, 3))
                end = draw(ending)
                body = inner + ([end] if end else [])
                out.append("if (fork() == 0) {")
                out.extend("    " + line for stmt in body for line in stmt.split("\n"))
                out.append("}")
        else:
            out.append(draw(simple_statement))
    return out


@st.composite
def programs(draw) -> str:
    budget = draw(st.integers(1, 3))
    forks = [budget]
    body = draw(block(forks, 0, 6))
    if forks[0] == budget:  # every program forks at least once
        body.insert(draw(st.integers(0, len(body))), "fork();")
    if draw(st.booleans()):
        body.append("while (wait(NULL) > 0)\n    ;")
    end = draw(ending)
    if end:
        body.append(end)
    h0 = draw(st.sampled_from(('printf("H0\\n");', 'printf("H0");', 'write(1, "H0", 2);')))
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "#include <unistd.h>",
        "#include <sys/wait.h>",
        "int g = 0;",
        f"void h0(void) {{ {h0} }}",
        'void h1(void) { printf("H1\\n"); }',
        "int main(void)",
        "{",
        *("    " + line for stmt in body for line in stmt.split("\n")),
        "}",
    ]
    return "\n".join(lines) + "\n"


modes = st.sampled_from(("file", "tty"))


# --------------------------------------------------------------------------- helpers


def explore(src: str, mode: str, **options):
    spec = parse_spec(src, "law.c")
    return run(spec, mode, Options(**options))


def small(src: str, mode: str, **options):
    """The run, or reject the example when its state space is too big to be quick."""
    r = explore(src, mode, max_states=MAX_STATES, **options)
    assume(r.exploration.stats.complete)
    return r


def outcome_set(r) -> set:
    return {r.kernel.outcome(r.exploration.states[sid]) for sid in r.exploration.finals}


def verdict_map(r) -> dict:
    return {x.check.name: x.verdict for x in r.exploration.results}


# --------------------------------------------------------------------------- laws


@settings(LAWS, max_examples=100)
@given(programs(), modes)
def test_exploring_twice_gives_the_same_states_and_outcomes(src, mode):
    a = small(src, mode)
    b = explore(src, mode, max_states=MAX_STATES)
    assert b.exploration.stats.complete
    assert a.exploration.stats.distinct == b.exploration.stats.distinct
    assert a.exploration.stats.terminated == b.exploration.stats.terminated
    assert outcome_set(a) == outcome_set(b)
    assert verdict_map(a) == verdict_map(b)


@settings(LAWS, max_examples=100)
@given(programs(), modes)
def test_every_outcome_witness_replays_to_that_outcome(src, mode):
    r = small(src, mode)
    ex = r.exploration
    fresh = Kernel(r.kernel.program, r.kernel.config)  # replay on a model that has seen nothing
    assert fresh.initial_state() == ex.states[0]
    for sid in ex.finals:
        expected = r.kernel.outcome(ex.states[sid])
        trace = rebuild(r.kernel, ex, Witness(sid))
        state = fresh.initial_state()
        assert trace.initial == state
        for step in trace.steps:
            assert any(action == step.action and nxt == step.state for action, nxt in fresh.successors(state))
            state = step.state
        assert fresh.is_terminated(state)
        assert fresh.outcome(state) == expected
        assert state == ex.states[sid]


@settings(LAWS, max_examples=60)
@given(programs(), modes)
def test_reductions_change_no_verdict_and_no_outcome(src, mode):
    reduced = small(src, mode, properties=CORE)
    full = explore(src, mode, properties=CORE, merge_local=False, eager_reap=False, max_states=4 * MAX_STATES)
    assume(full.exploration.stats.complete)
    assert verdict_map(full) == verdict_map(reduced)
    assert outcome_set(full) == outcome_set(reduced)
    assert full.exploration.stats.distinct >= reduced.exploration.stats.distinct


# Extra properties so that most random programs violate something, for the minimality law.
EXTRA_PROPERTIES = """
[at-most-two-processes]
description = "never more than two processes in the table"
kind = "invariant"
holds = "len(processes) <= 2"

[short-stdout]
description = "stdout stays under three bytes"
kind = "invariant"
holds = "len(stdout) < 3"

[no-zombie]
description = "no process is ever a zombie"
kind = "invariant"
holds = "all(p.state != 'zombie' for p in processes)"

[no-cow-copy]
description = "no step makes a copy-on-write copy"
kind = "step"
holds = "not any(e.kind == 'cow_copy' for e in events)"

[no-write-to-stdout]
description = "no step writes to stdout"
kind = "step"
holds = "not any(e.kind == 'write' and e.fd == 1 for e in events)"
"""
EXTRA_NAMES = ("at-most-two-processes", "short-stdout", "no-zombie", "no-cow-copy", "no-write-to-stdout")


@settings(LAWS, max_examples=60)
@given(programs(), modes)
def test_bfs_traces_are_shortest(tmp_path_factory, src, mode):
    props_file = Path(tmp_path_factory.getbasetemp()) / "law_props.toml"
    if not props_file.exists():
        props_file.write_text(EXTRA_PROPERTIES)
    names = CORE + EXTRA_NAMES
    r = small(src, mode, properties=names, property_files=(props_file,))
    checked = 0
    for x in r.exploration.results:
        if x.verdict != VIOLATED or x.witness is None:
            continue
        trace = rebuild(r.kernel, r.exploration, x.witness)
        assert len(trace) >= 1
        if len(trace) == 1:
            continue
        bounded = explore(src, mode, properties=names, property_files=(props_file,), max_depth=len(trace) - 1)
        again = {y.check.name: y for y in bounded.exploration.results}[x.check.name]
        assert again.verdict != VIOLATED, (x.check.name, len(trace))
        # and with exactly that depth it is found again, with a trace of the same length
        exact = explore(src, mode, properties=names, property_files=(props_file,), max_depth=len(trace))
        found = {y.check.name: y for y in exact.exploration.results}[x.check.name]
        assert found.verdict == VIOLATED
        assert len(rebuild(exact.kernel, exact.exploration, found.witness)) == len(trace)
        checked += 1
    assume(checked > 0)


# --------------------------------------------------------------------------- the generator itself


def test_the_grammar_renders_parseable_c():
    # a few fixed draws: every rendered program parses and explores
    @settings(derandomize=True, max_examples=25, deadline=None, database=None)
    @given(programs())
    def parses(src):
        spec = parse_spec(src, "law.c")
        assert spec.program.functions

    parses()
