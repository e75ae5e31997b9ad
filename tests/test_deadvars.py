"""The dead-variable reset: the same verdicts, outcomes and path counts, with fewer states where a
variable's old value is all that tells two states apart — and never a value something still reads."""
from __future__ import annotations

from collections import Counter

import pytest

from forkspec import gen
from forkspec.engines import deadvars
from forkspec.frontend import parse_spec
from forkspec.session import Options, run


def spec_of(body: str, header: str = "") -> object:
    text = ("/*@forkspec\ndescription: t\n" + header + "*/\n#include <stdio.h>\n#include <stdlib.h>\n"
            "#include <unistd.h>\n#include <sys/wait.h>\nint main(void)\n{\n" + body + "\n}\n")
    return parse_spec(text, "t.c")


def both(spec, **kw):
    on = run(spec, "file", Options(**kw))
    off = run(spec, "file", Options(dead_vars=False, **kw))
    return on, off


def verdicts(r) -> dict:
    return {x.check.name: x.verdict for x in r.exploration.results}


def outcome_paths(r) -> Counter:
    ex = r.exploration
    counts: Counter = Counter()
    for sid in ex.finals:
        counts[r.kernel.outcome(ex.states[sid])] += ex.paths[sid] if ex.paths else 1
    return counts


REAP = """int i, status, sum = 0;
for (i = 0; i < 4; i++)
    if (fork() == 0)
        exit(i);
for (i = 0; i < 4; i++) {
    waitpid(-1, &status, 0);
    sum += WEXITSTATUS(status);
}
printf("%d\\n", sum);
return 0;"""


def test_the_last_reaped_status_no_longer_tells_states_apart():
    on, off = both(spec_of(REAP))
    assert "dead variables reset" in on.exploration.reductions
    assert verdicts(on) == verdicts(off)
    assert set(outcome_paths(on)) == set(outcome_paths(off)) == {outcome for outcome in outcome_paths(off)}
    assert {o.stdout for o in outcome_paths(on)} == {"6\n"}
    assert on.exploration.stats.distinct < off.exploration.stats.distinct


def test_a_wait_that_may_find_no_child_keeps_the_status_it_would_leave_alone():
    """The second wait has no child left: it fails with ECHILD and `status` keeps the first child's.
    (Without merged steps, so that a state stops at that wait.)"""
    body = """int status = 7;
if (fork() == 0) exit(3);
wait(&status);
wait(&status);
printf("%d\\n", WEXITSTATUS(status));
return 0;"""
    on, off = both(spec_of(body), merge_local=False)
    assert {o.stdout for o in outcome_paths(on)} == {o.stdout for o in outcome_paths(off)} == {"3\n"}


def test_a_frame_still_shared_with_a_process_that_reads_the_cell_keeps_it():
    """After fork the parent overwrites x before reading it (dead there), but the child, sharing the
    frame copy-on-write, still prints it after a visible step: the value must survive in the shared frame."""
    body = """int x = 5;
if (fork() == 0) {
    write(1, "child ", 6);
    printf("%d\\n", x);
    return 0;
}
wait(NULL);
x = 1;
printf("parent %d\\n", x);
return 0;"""
    on, off = both(spec_of(body))
    outs = {o.stdout for o in outcome_paths(on)}
    assert outs == {o.stdout for o in outcome_paths(off)} == {"child 5\nparent 1\n"}


def test_liveness_kills_at_a_store_and_ends_at_exit():
    spec = spec_of("""int a = 1, b;
b = a + 1;
a = 2;
printf("%d %d\\n", a, b);
exit(0);""")
    program = spec.program
    live = deadvars.Liveness(program)
    main = program.functions[program.main]
    stores = [pc for pc, ins in enumerate(main.body) if type(ins).__name__ == "Store"]
    a, b = main.body[stores[0]].target.slot, main.body[stores[1]].target.slot
    reads_a = stores[0] + 1  # `b = a + 1` reads a first
    assert a not in live.dead(program.main, reads_a) and b in live.dead(program.main, reads_a)
    # before `a = 2`: a is dead (overwritten before the printf reads it), b is live
    assert a in live.dead(program.main, stores[2]) and b not in live.dead(program.main, stores[2])
    exit_call = next(pc for pc, ins in enumerate(main.body)
                     if type(ins).__name__ == "Call" and ins.func == program.exit_routine)
    assert live.dead(program.main, exit_call + 1, caller=True) >= {a, b}  # a caller in exit(): nothing is read again


def test_a_function_that_takes_a_locals_address_is_left_alone():
    spec = spec_of("""int x = 1, *p = &x;
*p = 2;
printf("%d\\n", x);
return 0;""")
    program = spec.program
    live = deadvars.Liveness(program)
    assert all(not live.dead(program.main, pc) for pc in range(len(program.functions[program.main].body)))


@pytest.mark.parametrize("body,why", [
    ("signal(SIGINT, SIG_IGN); return 0;", "signal()"),
    ("if (vfork() == 0) _exit(0); return 0;", "vfork()"),
])
def test_the_reset_says_why_it_is_off(body, why):
    text = spec_of(body).program.source.replace("#include <stdio.h>", "#include <stdio.h>\n#include <signal.h>")
    r = run(parse_spec(text, "t.c"), "file", Options())
    note = next(n for n in r.exploration.reductions if n.startswith("dead-variable reset"))
    assert note.startswith("dead-variable reset off") and why in note


@pytest.mark.parametrize("seed", range(40))
def test_dead_variable_reset_keeps_verdicts_outcomes_and_path_counts_on_generated_programs(seed):
    spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
    on, off = both(spec, count_paths=True, max_states=20_000)
    if not off.exploration.stats.complete:
        pytest.skip("too big to compare quickly")
    assert verdicts(on) == verdicts(off)
    assert outcome_paths(on) == outcome_paths(off)
    assert on.exploration.stats.deadlocks == off.exploration.stats.deadlocks
    assert on.exploration.stats.distinct <= off.exploration.stats.distinct


# Programs whose variables are overwritten and re-read around forks, waits and visible writes:
# the shapes where a dead value could be reset, and where a wrong reset would change an output.
STATEMENTS = [
    "x = {k};", "x = y + {k};", "y = x * 2 + {k};", "y += x;",
    "if (x > {k}) y = 1; else x = 2;",
    "write(1, \"w\", 1);",
    "printf(\"%d\\n\", x);", "printf(\"%d %d\\n\", x, y);",
    "for (i = 0; i < 2; i++) {{ x = x + i; putchar('a' + (x & 3)); }}",
    "waitpid(-1, &status, 0); y += WEXITSTATUS(status);",
    "if (wait(&status) > 0) x = WEXITSTATUS(status);",
]
FORK = "x = x + 1; if (fork() == 0) {{ {child} exit(x & 7); }}"
CHILD_STATEMENTS = [0, 1, 2, 5, 6, 7]


def program_text(parts: list) -> str:
    """Three children, each forked after some statements (a child runs a few, then exits with x & 7),
    then more statements (waits among them), then every child reaped into y."""
    body = ["int i, x = 1, y = 2, status = 5;"]
    for n, (kind, k, child) in enumerate(parts):
        if n in (1, 2, 3):
            body.append(FORK.format(child=" ".join(STATEMENTS[c].format(k=k) for c in child)))
        body.append(STATEMENTS[kind].format(k=k))
    body.append("while (wait(&status) > 0) y += WEXITSTATUS(status);")
    body.append("printf(\"%d %d\\n\", x, y);")
    body.append("return (x + y) & 7;")
    return "\n".join(body)


def parts_strategy():
    from hypothesis import strategies as st

    child = st.lists(st.sampled_from(CHILD_STATEMENTS), max_size=2)
    part = st.tuples(st.integers(0, len(STATEMENTS) - 1), st.integers(0, 3), child)
    return st.lists(part, min_size=4, max_size=6)


def random_parts(seed: int) -> list:
    import random

    rnd = random.Random(seed)
    return [(rnd.randrange(len(STATEMENTS)), rnd.randrange(4),
             [rnd.choice(CHILD_STATEMENTS) for _ in range(rnd.randrange(3))]) for _ in range(5)]


def _agree(text: str) -> tuple[int, int]:
    spec = spec_of(text)
    on, off = both(spec, count_paths=True, max_states=20_000)
    if not off.exploration.stats.complete:
        return 0, 0
    assert "dead variables reset" in on.exploration.reductions
    assert verdicts(on) == verdicts(off), text
    assert outcome_paths(on) == outcome_paths(off), text
    assert on.exploration.stats.deadlocks == off.exploration.stats.deadlocks, text
    return on.exploration.stats.distinct, off.exploration.stats.distinct


def test_dead_variable_reset_keeps_verdicts_and_outcome_path_counts_on_programs_with_variables():
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(parts_strategy())
    def check(parts):
        _agree(program_text(parts))

    check()


def test_the_programs_with_variables_do_get_reduced():
    """The agreement above is not vacuous: these shapes have dead values the reset merges."""
    reduced = 0
    for seed in range(12):
        on, off = _agree(program_text(random_parts(seed)))
        reduced += on < off
    assert reduced >= 3
