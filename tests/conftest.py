"""Shared helpers: run a tiny C program through the model and look at what it can do.

    outcomes_of(src, mode="file", **options)  -> set of Outcome
    stdouts_of(src, mode="file", **options)   -> set of stdout strings
    verdicts(src, mode="file", **options)     -> {check name: verdict}
    explore(src, mode="file", **options)      -> session.Run
    witness_trace(run, check name)            -> trace.Trace for that check's witness

`options` are the fields of `forkspec.session.Options` (max_procs=2, fork_can_fail=True,
properties=("all-reaped",), ...). A program without an `int main` is wrapped in one,
with the usual headers, so a test can be just the body of main.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from forkspec.engines.result import Witness
from forkspec.frontend import parse_spec
from forkspec.kernel import Outcome
from forkspec.session import Options, Run, run
from forkspec.trace import Trace, rebuild

REPO = Path(__file__).resolve().parent.parent
FIRST, CHILD1, CHILD2, CHILD3, CHILD4 = 1000, 1001, 1002, 1003, 1004
INIT = 1

HEADERS = """\
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
"""


def program(src: str) -> str:
    """`src` as a whole C file: used as is if it defines main, else wrapped in `int main(void)`."""
    src = textwrap.dedent(src).strip("\n")
    if re.search(r"\bmain\s*\(", src):
        return src + "\n"
    body = textwrap.indent(src, "    ")
    return f"{HEADERS}\nint main(void)\n{{\n{body}\n}}\n"


def explore(src: str, mode: str = "file", path: str = "test.c", **options) -> Run:
    spec = parse_spec(program(src), path)
    return run(spec, mode, Options(**options))


def outcomes_of(src: str, mode: str = "file", **options) -> set[Outcome]:
    """Every reachable final outcome; fails the test if the search was cut short."""
    r = explore(src, mode, **options)
    assert r.exploration.stats.complete, r.exploration.stats.cut
    return {r.kernel.outcome(r.exploration.states[sid]) for sid in r.exploration.finals}


def stdouts_of(src: str, mode: str = "file", **options) -> set[str]:
    return {o.stdout for o in outcomes_of(src, mode, **options)}


def verdicts(src: str, mode: str = "file", **options) -> dict[str, str]:
    r = explore(src, mode, **options)
    return {x.check.name: x.verdict for x in r.exploration.results}


def result_of(r: Run, name: str):
    for x in r.exploration.results:
        if x.check.name == name:
            return x
    raise KeyError(f"no check {name!r}; checks: {[x.check.name for x in r.exploration.results]}")


def witness_trace(r: Run, name: str) -> Trace:
    x = result_of(r, name)
    assert x.witness is not None, f"{name}: {x.verdict} without a witness"
    return rebuild(r.kernel, r.exploration, x.witness)


def final_traces(r: Run):
    """(outcome, trace) for one witness state per distinct final state."""
    for sid in r.exploration.finals:
        yield r.kernel.outcome(r.exploration.states[sid]), rebuild(r.kernel, r.exploration, Witness(sid))


def events_of(trace: Trace, kind: str | None = None) -> list:
    return [e for step in trace.steps for e in step.action.events if kind is None or e.kind == kind]


def O(stdout: str, exit_status: int = 0, processes: int = 1, stderr: str = "") -> Outcome:  # noqa: E743
    """An expected outcome, with the common defaults."""
    return Outcome(stdout, stderr, exit_status, processes)


def forkspec_cli(*args: str, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `python -m forkspec ARGS` as a user would."""
    env = dict(os.environ)
    env.pop("FORKSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "forkspec", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=env, timeout=timeout)


@pytest.fixture
def spec_file(tmp_path):
    """Write a spec to a temp file and return its path: spec_file(src, name="prog.c")."""

    def write(src: str, name: str = "prog.c") -> Path:
        p = tmp_path / name
        p.write_text(program(src), encoding="utf-8")
        return p

    return write
