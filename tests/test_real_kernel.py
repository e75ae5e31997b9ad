"""The model against the real kernel: what a compiled spec really prints must be allowed.

Every spec (except those run on a deliberately broken kernel, those whose model
says they never terminate, and those whose forks may fail and that call kill, whose
model signals "-1") is compiled with the machine's `cc` and run repeatedly
with stdout to a file, a terminal and a pipe, each run perturbed (pauses at fork,
output, exit and wait points; one CPU or all); each observed outcome must be in
`forkspec outcomes`. The test asserts only that what ran is allowed, never that a
rare interleaving shows up.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from forkspec import conform, realrun
from forkspec.frontend import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").rglob("*.c"))
RUNS = {"file": 8, "tty": 8, "pipe": 4}  # a pipe is buffered as a file is: fewer runs

pytestmark = pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc) on this machine")


def runnable(path: Path) -> bool:
    """Not on a broken kernel, not a program that never ends, not a process limit the real run
    does not have (RLIMIT_NPROC does not bind root), not a kill of fork's unchecked -1."""
    spec = load_spec(path)
    h = spec.header
    return (not h.inject and "no-deadlock" not in h.violates and h.max_procs is None
            and not (h.fork_can_fail and _signals(spec.program)))


def _signals(program) -> bool:
    """Does the program call kill()? With fork-can-fail its model kills "-1", which a real run must not try."""
    return any(getattr(ins, "name", None) == "kill" for f in program.functions for ins in f.body)


CASES = [p for p in SPECS if runnable(p)]


@pytest.fixture(scope="module")
def executable(tmp_path_factory):
    """Each spec compiled once for all three modes."""
    built: dict = {}

    def get(path: Path) -> Path:
        if path not in built:
            built[path] = realrun.compile_spec(path, tmp_path_factory.mktemp(path.stem))
        return built[path]

    return get


@pytest.mark.parametrize("path", CASES, ids=[p.relative_to(ROOT).as_posix() for p in CASES])
@pytest.mark.parametrize("mode", ["file", "tty", "pipe"])
def test_every_real_outcome_is_allowed_by_the_model(path, mode, executable):
    spec = load_spec(path)
    report = conform.conform(spec, mode, RUNS[mode], exe=executable(path))
    assert report.model_complete
    assert report.timed_out == 0
    assert not report.forbidden, conform.render(report)
    assert sum(report.observed.values()) == RUNS[mode]
