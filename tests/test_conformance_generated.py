"""Standing conformance: random forking programs, the model against the real kernel.

Hypothesis draws programs from `forkspec.gen` (forks in branches and loops, every
stdio call and buffering mode, exit/_exit/return, atexit, wait/waitpid with and
without WNOHANG, orphans, vfork + _exit), deterministically (`derandomize`). Each is
compiled and run a few times with stdout to a file and to a terminal, each run
perturbed; every observed outcome must be one the model allows. A failure is a
model bug: Hypothesis shrinks the program, and the message shows it with the
litmus-style report (observed outcome, closest model outcome).

The generator itself is checked without a compiler: its programs stay within the
bounds that keep the model fast, and the model accepts every one of them.
"""
from __future__ import annotations

import itertools
import json
import os
import zlib

import pytest
from hypothesis import HealthCheck, given, settings

from forkspec import conform, gen, realrun
from forkspec.frontend import parse_spec
from forkspec.session import Options, run

RUNS = 4  # per program and mode
MODES = ("file", "tty")

needs_cc = pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc/clang) on PATH")
_names = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    # one directory for the module: the launcher is compiled once
    return tmp_path_factory.mktemp("generated")


@needs_cc
@settings(derandomize=True, max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=gen.programs())
def test_real_outcomes_of_generated_programs_are_allowed_by_the_model(prog, workdir):
    source = prog.source()
    seed = zlib.crc32(source.encode())
    name = f"gen{next(_names)}"
    reports = conform.conform_source(source, name, MODES, RUNS, workdir, timeout=10.0, seed=seed)
    for rep in reports:
        assert rep.model_complete, source
        assert rep.timed_out == 0, source
        assert not rep.forbidden, f"the real kernel did what the model forbids:\n{source}\n{conform.render(rep)}"
    for suffix in (".c", ""):
        (workdir / f"{name}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("first", range(0, 200, 50))
def test_generated_programs_stay_small_and_are_accepted_by_the_model(first):
    for seed in range(first, first + 50):
        prog = gen.from_seed(seed)
        assert gen.procs_bound(prog) <= gen.MAX_PROCESSES
        assert gen.ops_bound(prog) <= gen.MAX_OPS
        r = run(parse_spec(prog.source(), f"gen{seed}.c"), "file", Options(max_states=200_000))
        assert r.exploration.stats.complete, (seed, r.exploration.stats.cut)
        assert r.exploration.finals, seed


def test_the_same_seed_gives_the_same_program():
    assert gen.from_seed(7).source() == gen.from_seed(7).source()
    assert len({gen.from_seed(s).source() for s in range(40)}) == 40


def test_shrinking_keeps_the_failure_and_drops_the_rest():
    prog = next(p for p in map(gen.from_seed, range(100)) if "vfork" in p.source() and p.size() > 4)
    small = gen.shrink(prog, lambda p: "vfork" in p.source())
    assert "vfork" in small.source()
    assert small.size() == 1
    parse_spec(small.source(), "small.c")  # still a program the model accepts


# ----------------------------------------------------------------------------- the conform command and its report

DETERMINISTIC = """\
/*@forkspec
modes: file
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) { printf("a\\n"); fflush(stdout); if (fork() == 0) { printf("c\\n"); return 2; }
                 wait(NULL); printf("p\\n"); return 0; }
"""


def _cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    from forkspec import cli

    monkeypatch.setattr("sys.argv", ["forkspec", *args])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    out, err = capsys.readouterr()
    return stop.value.code, out, err


@needs_cc
def test_conform_command_agrees_and_reports_json(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "det.c"
    spec.write_text(DETERMINISTIC)
    code, out, _ = _cli(monkeypatch, capsys, "conform", str(spec), "--runs", "3", "--stdout", "file",
                        "--stdout", "pipe", "--json")
    assert code == 0
    data = json.loads(out)
    assert [r["mode"] for r in data["reports"]] == ["file", "pipe"]
    for r in data["reports"]:
        assert r["verdict"] == "agree" and r["counted"] == 3 and r["coverage"] == 1.0
        assert r["observed"] == [{"stdout": "a\nc\np\n", "exit_status": 0, "processes": 2, "count": 3, "allowed": True}]
    assert data["summary"]["disagreements"] == 0 and data["summary"]["runs"] == 6


@needs_cc
def test_an_observation_the_model_forbids_exits_1_and_names_the_closest_outcome(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "det.c"
    spec.write_text(DETERMINISTIC)
    wrong = {conform.key("a\nc\nc\np\n", 0, 2), conform.key("", 1, 1)}  # a model that is wrong about it
    monkeypatch.setattr(conform, "model_outcomes", lambda *a, **k: (wrong, True))
    code, out, _ = _cli(monkeypatch, capsys, "conform", str(spec), "--runs", "2", "--no-perturb")
    assert code == 1
    assert '2 !! stdout="a\\nc\\np\\n"; exit=0; processes=2;' in out
    assert "Negative: 1 observed outcome(s) the model forbids" in out
    assert 'closest model outcome (similarity 0.' in out and 'stdout="a\\nc\\nc\\np\\n"' in out
    assert "Positive: 2 model outcome(s) never observed" in out
    assert "DISAGREE" in out


def test_a_spec_the_compiler_rejects_is_bad_input(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "bad.c"
    spec.write_text(DETERMINISTIC)
    monkeypatch.setattr(realrun, "compile_spec", lambda *a, **k: (_ for _ in ()).throw(
        realrun.RealRunError("cannot compile bad.c: boom")))
    code, _, err = _cli(monkeypatch, capsys, "conform", str(spec), "--runs", "1")
    assert code == 2
    assert "cannot compile bad.c" in err


def test_perturbation_schedule_mixes_pauses_and_cpus():
    plans = [realrun.perturbation(i, seed=5) for i in range(6)]
    assert [p.seed is None for p in plans] == [False, False, True, False, False, True]
    assert len({p.seed for p in plans if p.seed is not None}) == 4
    if len(os.sched_getaffinity(0)) > 1:
        assert [p.cpus is None for p in plans] == [True, False] * 3
        assert all(len(p.cpus) == 1 for p in plans if p.cpus)
    assert realrun.perturbation(3, seed=5) == plans[3]  # reproducible
