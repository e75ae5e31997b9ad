"""Every reduction is harmless: with and without it, the same verdicts and outcome sets.

Checked on every bundled spec (in its first mode), one reduction at a time and all
off together, and on generated programs. Runs without reductions are bounded; a
run that hits the bound is reported, never silently passed.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from forkspec import gen
from forkspec.engines import por, symmetry, visited
from forkspec.frontend import load_spec, parse_spec
from forkspec.kernel.state import FIRST_PID, Proc, State
from forkspec.kernel import Kernel
from forkspec.session import Options, build_checks, config_for, replace, run

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").rglob("*.c"))
VARIANTS = {
    "no-merge": Options(merge_local=False),
    "no-eager-reap": Options(eager_reap=False),
    "no-symmetry": Options(symmetry=False),
    "no-por": Options(por=False),
    "no-dead-vars": Options(dead_vars=False),
    "no-merge-woken": Options(merge_woken=False),
    "no-sleep-sets": Options(sleep_sets=False),
    "none": Options(merge_local=False, eager_reap=False, symmetry=False, por=False, dead_vars=False,
                    merge_woken=False, sleep_sets=False),
}
SAME_GRAPH = {  # storage and parallelism: the very same states, however they are kept or shared out
    "fingerprints": Options(fingerprints=True),
    "workers": Options(workers=2),  # the same states only without partial-order reduction (its proviso differs)
}
LIMIT = 60_000


def summary(spec, mode, opts):
    r = run(spec, mode, opts)
    ex = r.exploration
    verdicts = {x.check.name: x.verdict for x in ex.results}
    outcomes = {r.kernel.outcome(ex.states[i]) for i in ex.finals}
    return verdicts, outcomes, ex.stats


PARTS_OF_POR = ("no-merge-woken", "no-sleep-sets")  # in force only with partial-order reduction


def por_applies(spec, mode) -> bool:
    kernel = Kernel(spec.program, config_for(spec, mode, Options()))
    return not por.refusal(kernel.program, build_checks(spec, mode, Options()), kernel.config)


def with_limit(opts: Options) -> Options:
    return Options(merge_local=opts.merge_local, eager_reap=opts.eager_reap, symmetry=opts.symmetry,
                   fingerprints=opts.fingerprints, workers=opts.workers, por=opts.por, dead_vars=opts.dead_vars,
                   merge_woken=opts.merge_woken, sleep_sets=opts.sleep_sets, max_states=LIMIT)


@pytest.mark.parametrize("path", SPECS, ids=[p.relative_to(ROOT).as_posix() for p in SPECS])
@pytest.mark.parametrize("variant", list(VARIANTS) + list(SAME_GRAPH))
def test_reduction_changes_no_verdict_and_no_outcome(path, variant):
    spec = load_spec(path)
    mode = spec.header.modes[0]
    if variant in PARTS_OF_POR and not por_applies(spec, mode):
        pytest.skip("partial-order reduction does not apply here, nor its parts")
    base_v, base_o, base_s = summary(spec, mode, Options())
    v, o, s = summary(spec, mode, with_limit({**VARIANTS, **SAME_GRAPH}[variant]))
    if not s.complete:
        pytest.skip(f"without reduction the search exceeds {LIMIT} states ({s.cut})")
    assert v == base_v
    assert o == base_o
    if variant == "workers":
        pass  # the shards' cycle proviso is their own (see forkspec.engines.parallel)
    elif variant in SAME_GRAPH:
        assert s.distinct == base_s.distinct
    else:
        assert s.distinct >= base_s.distinct


@pytest.mark.parametrize("seed", range(60))
def test_partial_order_reduction_keeps_verdicts_and_outcomes_on_generated_programs(seed):
    spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
    on = summary(spec, "file", Options(max_states=20_000))
    off = summary(spec, "file", Options(por=False, max_states=20_000))
    if not off[2].complete:
        pytest.skip("too big to compare quickly")
    assert on[0] == off[0]
    assert on[1] == off[1]
    assert on[2].deadlocks == off[2].deadlocks and on[2].distinct <= off[2].distinct


def test_partial_order_reduction_applies_to_generated_programs():
    """The agreement above is not vacuous: the reduction is in force, and prunes, on many generated programs."""
    pruned = 0
    for seed in range(60):
        r = run(parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c"), "file", Options(max_states=20_000))
        note = next(n for n in r.exploration.reductions if n.startswith("partial-order reduction"))
        pruned += note.startswith("partial-order reduction (") and not note.startswith("partial-order reduction (0 ")
    assert pruned >= 30


REAP = """/*@forkspec
description: t
max-procs: 5
*/
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void)
{
    int i, status, sum = 0;
    for (i = 0; i < 3; i++)
        if (fork() == 0)
            exit(i);
    for (i = 0; i < 3; i++) {
        waitpid(-1, &status, 0);
        sum += WEXITSTATUS(status);
    }
    return sum;
}
"""


def test_the_youngest_childs_exit_alone_is_persistent_while_the_parent_waits_with_no_zombie():
    r = run(parse_spec(REAP, "reap.c"), "file", Options(merge_woken=False))
    kernel = r.kernel
    reduction = por.Reduction(kernel, forks_commute=True)
    blocked = [s for s in r.exploration.states
               if len(s.procs) == 4 and all(p.state == "running" for p in s.procs)
               and reduction.kind(s.procs[0])[0] == por.WAIT]
    assert blocked
    for s in blocked:
        assert reduction.choose(s) == (max(p.pid for p in s.procs),)


def test_a_wait_with_a_zombie_and_older_running_children_is_not_reduced_past_them():
    r = run(parse_spec(REAP, "reap.c"), "file", Options(merge_woken=False))
    reduction = por.Reduction(r.kernel, forks_commute=True)
    for s in r.exploration.states:
        kids = s.procs[1:]
        zombies = [p.pid for p in kids if p.state == "zombie"]
        older = [p.pid for p in kids if p.state == "running" and zombies and p.pid < min(zombies)]
        if older and reduction.kind(s.procs[0])[0] == por.WAIT:
            chosen = reduction.choose(s)
            assert chosen is None or set(older) | {s.procs[0].pid} <= set(chosen)


def _parent_at_settled_wait(r) -> int:
    """Stored states whose first process is at a wait its oldest child, a zombie, settles."""
    from forkspec.kernel.step import Exec

    n = 0
    for s in r.exploration.states:
        if s.procs and s.procs[0].stack:
            x = Exec(r.kernel.program, r.kernel.config, s, s.procs[0].pid)
            ins = x.instr()
            n += getattr(ins, "name", "") == "waitpid" and x.enabled() and x.wait_is_settled(ins)
    return n


def test_a_wait_an_exit_settles_runs_within_the_exit_so_no_state_waits_at_it():
    off = run(parse_spec(REAP, "reap.c"), "file", Options(merge_woken=False))
    on = run(parse_spec(REAP, "reap.c"), "file", Options())
    assert _parent_at_settled_wait(off) > 0 and _parent_at_settled_wait(on) == 0
    assert on.exploration.stats.distinct < off.exploration.stats.distinct
    assert "a wait an exit settles runs within the exit's step" in on.exploration.reductions
    merged = [a for s in on.exploration.states for a, _ in on.kernel.successors(s)
              if a.pid != 1000 and [e.kind for e in a.events][:2] == ["exit", "reap"]]  # (not init's reaping)
    assert merged and all(a.events[1].pid == 1000 and a.events[1].child == a.pid for a in merged)


def test_merging_settled_waits_keeps_verdicts_outcomes_and_deadlocks_on_generated_programs():
    """Over generated programs (every one with forks and waits), on and off give the same verdicts,
    outcome sets and deadlock counts, never more states; and the merge does happen on some of them."""
    merged = 0
    for seed in range(40):
        spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
        on = summary(spec, "file", Options(max_states=20_000))
        off = summary(spec, "file", Options(merge_woken=False, max_states=20_000))
        if not off[2].complete:
            continue
        assert on[0] == off[0] and on[1] == off[1]
        assert on[2].deadlocks == off[2].deadlocks and on[2].distinct <= off[2].distinct
        merged += on[2].distinct < off[2].distinct
    assert merged >= 5


def test_sleep_sets_keep_verdicts_outcomes_and_deadlocks_on_generated_programs():
    """Over generated programs, sleep sets on and off give the same verdicts, outcome sets and deadlock
    counts, and take fewer steps on some of them."""
    pruned = 0
    for seed in range(40, 80):
        spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
        on = summary(spec, "file", Options(max_states=20_000))
        off = summary(spec, "file", Options(sleep_sets=False, max_states=20_000))
        if not off[2].complete:
            continue
        assert on[0] == off[0] and on[1] == off[1]
        assert on[2].deadlocks == off[2].deadlocks
        pruned += on[2].generated < off[2].generated
    assert pruned >= 5


def test_sibling_exits_sleep_but_an_exit_that_changes_the_next_reap_wakes_the_wait():
    r = run(parse_spec(REAP, "reap.c"), "file", Options(sleep_sets=False))
    reduction = por.Reduction(r.kernel, forks_commute=True)
    # every child forked, none exited: the parent is blocked in its first wait
    s = next(s for s in r.exploration.states if len(s.procs) == 4 and all(p.state == "running" for p in s.procs)
             and reduction.kind(s.procs[0])[0] == por.WAIT)
    parent, c1, c2, c3 = (p.pid for p in s.procs)
    after_c3 = next(n for a, n in r.kernel.successors(s) if a.pid == c3)
    assert reduction.still_asleep(s, after_c3, frozenset({c1, c2}), c3) == {c1, c2}  # exits of siblings commute
    # now c3 is a zombie: the parent's wait would reap it, unless the older c1 exits first
    after_c1 = next(n for a, n in r.kernel.successors(after_c3) if a.pid == c1)
    assert reduction.still_asleep(after_c3, after_c1, frozenset({parent, c2}), c1) == {c2}
    after_wait = next(n for a, n in r.kernel.successors(after_c3) if a.pid == parent)
    assert reduction.still_asleep(after_c3, after_wait, frozenset({c1}), parent) == frozenset()


def test_sleep_sets_take_fewer_steps_on_reap_and_keep_its_outcome():
    spec = parse_spec(REAP, "reap.c")
    on, off = summary(spec, "file", Options()), summary(spec, "file", Options(sleep_sets=False))
    assert on[0] == off[0] and on[1] == off[1]
    assert on[2].generated < off[2].generated


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_sharded_search_keeps_verdicts_and_outcomes_and_without_reduction_the_very_states(seed):
    spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
    for opts in (Options(max_states=20_000), Options(por=False, max_states=20_000)):
        one = summary(spec, "file", opts)
        two = summary(spec, "file", replace(opts, workers=2))
        if not one[2].complete:
            continue
        assert two[0] == one[0] and two[1] == one[1] and two[2].deadlocks == one[2].deadlocks
        if not opts.por:
            assert two[2].distinct == one[2].distinct


def test_sharded_search_uses_the_reduction_and_its_sleep_sets_on_reap():
    spec = parse_spec(REAP, "reap.c")
    r = run(spec, "file", Options(workers=2))
    assert "2 workers" in r.exploration.reductions
    assert any(n.startswith("partial-order reduction (") for n in r.exploration.reductions)
    full = run(spec, "file", Options(workers=2, por=False))
    awake = run(spec, "file", Options(workers=2, sleep_sets=False))
    assert r.exploration.stats.generated < awake.exploration.stats.generated < full.exploration.stats.generated


def test_partial_order_reduction_says_why_it_is_off():
    signals = "#include <signal.h>\n"
    spec = parse_spec(src("signal(SIGUSR1, SIG_IGN); if (fork() == 0) return 0; wait(NULL); return 0;",
                          signals), "t.c")
    assert "signal()" in run(spec, "file", Options()).exploration.reductions[-1]
    spec = parse_spec(src("if (fork() == 0) return 0; wait(NULL); return 0;"), "t.c")
    assert "off: counting paths" in run(spec, "file", Options(count_paths=True)).exploration.reductions[-1]


def test_reaching_the_process_limit_searches_again_without_partial_order_reduction():
    text = src("fork(); fork(); fork(); while (wait(NULL) > 0) ; return 0;").replace(
        "description: t", "description: t\nmax-procs: 6\nforall processes == 6")
    spec = parse_spec(text, "t.c")
    on, off = run(spec, "file", Options()), run(spec, "file", Options(por=False))
    assert "process limit" in on.exploration.reductions[-1]
    assert [x.verdict for x in on.exploration.results] == [x.verdict for x in off.exploration.results]
    assert on.exploration.stats.distinct == off.exploration.stats.distinct


def outcome_paths(r) -> Counter:
    ex = r.exploration
    counts: Counter = Counter()
    for sid in ex.finals:
        counts[r.kernel.outcome(ex.states[sid])] += ex.paths[sid]
    return counts


@pytest.mark.parametrize("seed", range(40))
def test_pid_symmetry_keeps_verdicts_outcomes_and_path_counts_on_generated_programs(seed):
    spec = parse_spec(gen.from_seed(seed).source(), f"seed{seed}.c")
    on = run(spec, "file", Options(count_paths=True, max_states=20_000))
    off = run(spec, "file", Options(count_paths=True, symmetry=False, max_states=20_000))
    if not off.exploration.stats.complete:
        pytest.skip("too big to compare quickly")
    assert {x.check.name: x.verdict for x in on.exploration.results} == \
        {x.check.name: x.verdict for x in off.exploration.results}
    assert outcome_paths(on) == outcome_paths(off)  # exact under symmetry: same outcomes, same path counts
    assert on.exploration.stats.distinct <= off.exploration.stats.distinct


def src(body: str, decls: str = "") -> str:
    return ("/*@forkspec\ndescription: t\n*/\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/wait.h>\n"
            f"{decls}\nint main(void)\n{{\n{body}\n}}\n")


def refusal(body: str) -> str:
    return symmetry.program_refusal(parse_spec(src(body), "t.c").program)


def test_symmetry_allows_pids_compared_with_zero():
    assert refusal("pid_t p = fork(); if (p == 0) { putchar('c'); return 0; } if (p > 0) wait(NULL); return 0;") == ""
    assert refusal("if (fork() == 0) return 1; while (wait(NULL) > 0) ; return 0;") == ""


def test_symmetry_refused_when_a_pid_is_printed():
    assert "printf" in refusal('pid_t p = fork(); printf("%d", p); return 0;')
    assert "printf" in refusal('printf("%d", getpid()); return 0;')


def test_symmetry_refused_when_a_pid_is_waited_for_by_value():
    assert "waitpid" in refusal("pid_t p = fork(); if (p == 0) return 0; waitpid(p, NULL, 0); return 0;")


def test_symmetry_refused_when_a_pid_is_computed_with():
    assert refusal("pid_t p = fork(); int x = p + 1; if (x == 1) return 1; return 0;") != ""
    assert refusal("pid_t p = fork(); if (p == 1001) return 1; return 0;") != ""


def test_symmetry_refused_for_checks_that_look_at_pids():
    assert symmetry.property_sees_pids("mine", "all(p.pid < 1005 for p in processes)")
    assert not symmetry.property_sees_pids("pid-unique", "len(set(p.pid for p in processes)) == len(processes)")
    assert not symmetry.property_sees_pids("all-reaped", "not any(e.kind == 'reparent' and e.parent == 1 for e in events)")
    assert symmetry.property_sees_pids("mine", "any(e.parent == 1003 for e in events)")
    spec = parse_spec(src("if (fork() == 0) return 0; wait(NULL); return 0;"), "t.c")
    notes = run(spec, "file", Options()).exploration.reductions
    assert any(n.startswith("pid symmetry") and "off" not in n for n in notes)
    assert symmetry.refusal(spec.program, True, frozenset(), {"mine": "all(p.ppid != 1003 for p in processes)"}) \
        == "property mine looks at pids"
    assert symmetry.refusal(spec.program, False, frozenset(), {}) != ""  # init's reaping must be immediate


def proc(pid: int, ppid: int, **kw) -> Proc:
    base = dict(pgid=FIRST_PID, state="running", status=0, stack=(), ptes=(), out=None, err=None, atexit=(),
                exit_plan=None, pending=(), vfork_child=0, vfork_parent=0, mmap_next=0)
    base.update(kw)
    return Proc(pid, ppid, **base)


def test_canonical_numbering_follows_the_process_tree_and_keeps_sibling_order():
    # 1000 has children 1001 and 1003; 1001 has child 1002 — against 1000 {1001 {1003}, 1002}: one orbit
    a = State((proc(1000, 1), proc(1001, 1000), proc(1002, 1001), proc(1003, 1000, status=7)), (), "", "", 1004, -1)
    b = State((proc(1000, 1), proc(1001, 1000), proc(1002, 1000, status=7), proc(1003, 1001)), (), "", "", 1004, -1)
    sym = symmetry.PidSymmetry()
    assert sym(a) == sym(b)
    ca = sym(a)
    assert [(p.pid, p.ppid) for p in ca.procs] == [(1000, 1), (1001, 1000), (1002, 1001), (1003, 1000)]
    assert ca.procs[3].status == 7  # the second child of 1000 stays after the first
    swapped = State((proc(1000, 1), proc(1001, 1000, status=7), proc(1002, 1000)), (), "", "", 1003, -1)
    assert sym(swapped) == swapped  # siblings are never reordered: wait reaps the oldest first


class ProcPlus(NamedTuple):  # a process record with a field added later by another feature
    pid: int
    ppid: int
    pgid: int
    signal_from: int


def test_symmetry_leaves_a_state_alone_when_an_unknown_field_holds_a_pid():
    sym = symmetry.PidSymmetry(proc_type=ProcPlus)
    assert sym.unknown_proc == ("signal_from",)
    holds_pid = State((ProcPlus(1000, 1, FIRST_PID, 0), ProcPlus(1001, 1000, FIRST_PID, 1003),
                       ProcPlus(1003, 1000, FIRST_PID, 0)), (), "", "", 1004, -1)
    assert sym.mapping(holds_pid) is None and sym.refused == 1
    clear = holds_pid._replace(procs=tuple(p._replace(signal_from=0) for p in holds_pid.procs))
    assert sym.mapping(clear) == {1000: 1000, 1001: 1001, 1003: 1002}


def test_fingerprint_storage_rebuilds_every_state_by_replay():
    spec = load_spec(ROOT / "specs" / "puzzles" / "dash_loop.c")
    exact = run(spec, "file", Options()).exploration
    fp = run(spec, "file", Options(fingerprints=True)).exploration
    assert len(fp.states) == len(exact.states)
    assert list(fp.states) == list(exact.states)
    assert fp.stats.fingerprint_collision == visited.collision_probability(len(exact.states))


def test_collision_probability_is_the_birthday_bound():
    assert visited.collision_probability(1) == 0
    assert visited.collision_probability(2 ** 16) == pytest.approx(2 ** 31 / 2 ** 64, rel=1e-3)


def test_compact_storage_rebuilds_states_and_shares_equal_records():
    table = visited.CompactTable(State)
    a = State((proc(1000, 1, stack=((1, 2),)),), ((1, 2),), "x", "", 1001, -1)
    b = State((proc(1000, 1, stack=((1, 2),)),), ((1, 2),), "x", "", 1001, -1)
    c = a._replace(stdout="xx")
    for s in (a, c):
        table.add(s)
    assert table.key(b) == table.key(a) != table.key(c)
    assert list(table) == [a, c] and table[0].procs[0] is table[1].procs[0]


def test_interchangeable_siblings_merge_states_that_differ_in_which_look_alike_child_is_ahead():
    # 1000's two children: one has exited (status 3, which no one can read), the other still runs
    first_done = State((proc(1000, 1), proc(1001, 1000, state="zombie", status=3), proc(1002, 1000)), (), "", "",
                       1003, -1)
    second_done = State((proc(1000, 1), proc(1001, 1000), proc(1002, 1000, state="zombie", status=5)), (), "", "",
                        1003, -1)
    free = symmetry.PidSymmetry(interchangeable_siblings=True)
    assert free(first_done) == free(second_done)
    assert all(p.status == 0 for p in free(first_done).procs)
    ordered = symmetry.PidSymmetry()
    assert ordered(first_done) != ordered(second_done)  # wait reaps the oldest zombie: here the order matters


def test_siblings_are_interchangeable_only_when_no_status_is_read():
    blind = parse_spec(src("if (fork() == 0) return 1; while (wait(NULL) > 0) ; return 0;"), "t.c").program
    reads = parse_spec(src("int s; if (fork() == 0) return 1; wait(&s); return WEXITSTATUS(s);"), "t.c").program
    assert symmetry.siblings_interchangeable(blind, {})
    assert not symmetry.siblings_interchangeable(reads, {})
    assert not symmetry.siblings_interchangeable(blind, {"mine": "all(p.status == 0 for p in processes)"})


TREE_WRONG_COUNT = """/*@forkspec
description: t
modes: file
forall stdout == "xxxxxxx"
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void)
{
    int i;
    for (i = 0; i < 3; i++)
        fork();
    putchar('x');
    while (wait(NULL) > 0)
        ;
    return 0;
}
"""


def _violation_and_trace(opts):
    from forkspec.cli import trace_for

    r = run(parse_spec(TREE_WRONG_COUNT, "tree.c"), "file", opts)
    (x,) = [x for x in r.exploration.results if x.check.kind == "forall"]
    return r, x, trace_for(r, x)


def test_a_violation_found_under_partial_order_reduction_gets_the_shortest_trace(monkeypatch):
    from forkspec import session

    monkeypatch.setattr(session, "SHORTEST_TRACE_SECONDS", 120.0)  # a loaded machine must not cut the search short
    r, x, t = _violation_and_trace(Options())
    _, x_off, t_off = _violation_and_trace(Options(por=False))
    assert x.verdict == x_off.verdict == "violated"
    assert len(t) == len(t_off)
    assert any(n.startswith("a search without partial-order reduction") for n in r.exploration.reductions)


def test_when_the_search_for_the_shortest_trace_runs_out_of_time_the_reduced_violation_stands(monkeypatch):
    from forkspec import session
    from forkspec.cli import maybe_not_shortest

    monkeypatch.setattr(session, "SHORTEST_TRACE_SECONDS", 0.0)
    monkeypatch.setattr(session.bfs, "PROGRESS_EVERY", 1)
    r, x, t = _violation_and_trace(Options())
    assert x.verdict == "violated"  # never inconclusive: the reduced search's path is real
    assert len(t) and r.kernel.outcome(t.final).stdout == "x" * 8
    assert "perhaps not the shortest" in maybe_not_shortest(r)


@pytest.mark.parametrize("seed", range(12))
def test_a_persistent_set_remembered_per_view_is_the_one_computed_afresh(seed):
    """`choose` answers from what it read of an earlier state with the same view; in every stored
    state of a generated program that answer is what `persistent` computes for that very state."""
    spec = parse_spec(gen.from_seed(seed).source() if seed else REAP, f"seed{seed}.c")
    r = run(spec, "file", Options(max_states=5_000))
    remembered = por.Reduction(r.kernel, forks_commute=True)
    fresh = por.Reduction(r.kernel, forks_commute=True)
    states = [s for s in r.exploration.states if s.next_pid - FIRST_PID < remembered.limit]
    assert states
    for s in states:
        assert remembered.choose(s) == fresh.persistent(s)
    if seed == 0:  # reap: states differing only in memory and statuses share a view, so the memo is exercised
        assert len(remembered.chosen) < len(states)
