"""Exit codes, exactly as DESIGN.md promises them, for every command run as a user runs it.

check / outcomes: 0 all hold · 1 a violation · 2 bad input · 3 inconclusive (a limit or Ctrl-C)
trace: 0 a counterexample found · 1 none · 2 bad input · 3 none found in an incomplete search
replay: 0 the trace replays · 1 it does not · 2 bad input
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

HOLDS = "if (fork() == 0)\n    _exit(0);\nwait(NULL);\nreturn 0;"
VIOLATES = "/*@forkspec\nproperties: all-reaped\n*/\nif (fork() == 0)\n    _exit(0);\nreturn 0;"
BUSY = "fork();\nfork();\nprintf(\"x\\n\");\nwhile (wait(NULL) > 0)\n    ;\nreturn 0;"
BAD_C = "int main(void) { fork( ; }\n"


def forkspec(*args, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("FORKSPEC_DEBUG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "forkspec", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def code(*args, **kw) -> int:
    done = forkspec(*args, **kw)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


@pytest.fixture
def files(spec_file):
    return {"holds": spec_file(HOLDS, "holds.c"), "violates": spec_file(VIOLATES, "violates.c"),
            "busy": spec_file(BUSY, "busy.c"), "bad": spec_file(BAD_C, "bad.c")}


def test_check(files, tmp_path):
    assert code("check", files["holds"]) == 0
    assert code("check", files["violates"]) == 1
    assert code("check", files["bad"]) == 2
    assert code("check", tmp_path / "missing.c") == 2
    assert code("check", files["holds"], "--property", "no-such-property") == 2
    assert code("check", files["busy"], "--max-states", "5") == 3
    assert code("check", files["busy"], files["violates"], "--max-states", "5") == 1  # a violation wins
    assert code("check", files["holds"], "--junit-xml", tmp_path / "no" / "dir" / "j.xml") == 2


def test_check_of_specs_that_expect_their_violations_is_0():
    assert code("check", REPO / "specs" / "violations") == 0


def test_outcomes(files):
    assert code("outcomes", files["holds"]) == 0
    assert code("outcomes", files["violates"]) == 0  # outcomes lists; it does not judge properties
    assert code("outcomes", files["bad"]) == 2
    assert code("outcomes", files["holds"], "--witness", "7") == 2
    assert code("outcomes", files["busy"], "--max-states", "5") == 3


def test_trace(files):
    assert code("trace", files["violates"]) == 0
    assert code("trace", files["violates"], "--property", "all-reaped", "--format", "json") == 0
    assert code("trace", files["violates"], "--format", "dot") == 0
    assert code("trace", files["holds"]) == 1
    assert code("trace", files["holds"], "--property", "all-reaped") == 1
    assert code("trace", files["bad"]) == 2
    assert code("trace", files["holds"], "--property", "nope") == 2
    assert code("trace", files["busy"], "--property", "all-reaped", "--max-states", "5") == 3


def test_trace_formats_that_cannot_be_made_are_bad_input(files):
    inject = REPO / "specs" / "violations" / "pid_unique_injected_reuse.c"
    assert code("trace", inject, "--format", "c") == 2
    # No Graphviz on the PATH: --format svg says so and exits 2.
    done = forkspec("trace", files["violates"], "--format", "svg", env_extra={"PATH": "/nonexistent"})
    assert done.returncode == 2 and "Graphviz" in done.stderr and done.stdout == ""


def test_replay(files, tmp_path):
    saved = tmp_path / "t.itf.json"
    assert code("trace", files["violates"], "--format", "json", "-o", saved) == 0
    assert code("replay", saved, files["violates"]) == 0
    assert code("replay", saved, files["holds"]) == 1
    assert code("replay", tmp_path / "missing.itf.json", files["violates"]) == 2
    assert code("replay", saved, files["bad"]) == 2


def test_properties():
    assert code("properties") == 0
