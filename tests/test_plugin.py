"""The pytest plugin: specs under a `specs` folder (or named on the command line) become
test items, one per check and stdout mode; a failing one shows the shortest trace."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from conftest import REPO

pytest_plugins = ["pytester"]

PASSES = """
/*@forkspec
modes: file tty
forall processes == 2 and exit_status == 0
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0)
        _exit(0);
    wait(NULL);
    printf("done\\n");
    return 0;
}
"""

FAILS = """
/*@forkspec
forall stdout == "child\\nparent\\n"
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
int main(void) {
    if (fork() == 0) {
        printf("child\\n");
        return 0;
    }
    printf("parent\\n");
    return 0;
}
"""

EXPECTED_VIOLATION = """
/*@forkspec
violates: assert
*/
#include <assert.h>
#include <unistd.h>
int main(void) {
    pid_t p = fork();
    assert(p != 0);
    return 0;
}
"""


def run(pytester, *args):
    extra = ["-p", "forkspec.pytest_plugin"] if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else []
    return pytester.runpytest("-p", "no:cacheprovider", *extra, *args)


def write(pytester, path: str, text: str):
    p = pytester.path / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip())
    return p


def test_each_check_of_each_spec_under_specs_is_an_item(pytester):
    write(pytester, "specs/ok.c", PASSES)
    write(pytester, "specs/deep/er/expected.c", EXPECTED_VIOLATION)
    result = run(pytester, "specs", "-v")
    result.assert_outcomes(passed=4 * 2 + 2)
    result.stdout.fnmatch_lines([
        "specs/deep/er/expected.c::assert[[]file[]] PASSED*",
        "specs/ok.c::assert[[]file[]] PASSED*",
        "specs/ok.c::forall processes == 2 and exit_status == 0[[]tty[]] PASSED*",
        "specs/ok.c::all-reaped[[]tty[]] PASSED*",
    ])


def test_a_failing_check_fails_with_the_shortest_trace(pytester):
    write(pytester, "specs/bad.c", FAILS)
    result = run(pytester, "specs")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        '*specs/bad.c [[]stdout=file[]]: forall stdout == "child\\nparent\\n": VIOLATED',
        '*stdout: "parent\\nchild\\n"',
        "*_ all-reaped [[]file[]] _*",
        "specs/bad.c [[]stdout=file[]]: all-reaped: VIOLATED",
        "*shortest counterexample (3 steps):",
        "*1  P0 [[]1000[]]  line 8  if (fork() == 0) {  fork() = 1001: new process P0.1 [[]1001[]]",
        "*=> the last step violates all-reaped*",
    ])
    assert result.ret == 1


def test_only_c_files_under_a_specs_folder_or_named_explicitly(pytester):
    write(pytester, "src/prog.c", FAILS)  # not under specs/: ignored unless named
    write(pytester, "specs/notes.c", "int helper(void) { return 1; }\n")  # no /*@forkspec block: ignored
    write(pytester, "test_plain.py", "def test_plain():\n    assert True\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result = run(pytester, "src/prog.c")
    result.assert_outcomes(passed=2, failed=2)
    result = run(pytester, "src/prog.c::all-reaped[file]")
    result.assert_outcomes(failed=1)


def test_silent_in_a_project_without_specs(pytester):
    write(pytester, "test_x.py", "def test_x():\n    assert 1 + 1 == 2\n")
    write(pytester, "lib/code.c", "int main(void) { return 0; }\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "forkspec" not in result.stdout.str().replace("plugins:", "").split("collected")[1]


def test_options_pick_the_stdout_mode_and_bound_the_search(pytester):
    write(pytester, "specs/ok.c", PASSES)
    run(pytester, "specs", "--forkspec-stdout", "tty").assert_outcomes(passed=4)
    result = run(pytester, "specs", "--forkspec-stdout", "file", "--forkspec-max-states", "2")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*inconclusive (state limit 2 reached)*"])


def test_a_spec_that_does_not_parse_is_a_collection_error_with_its_position(pytester):
    write(pytester, "specs/broken.c", "/*@forkspec\n*/\nint main(void) { fork( ; }\n")
    result = run(pytester, "specs")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*forkspec: specs/broken.c:3:*"])
    assert "Traceback" not in result.stdout.str()


def test_the_repositorys_own_test_run_collects_no_spec():
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/test_printf.py"], cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ".c::" not in done.stdout
