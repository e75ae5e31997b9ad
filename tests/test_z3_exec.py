"""exec under the Z3 engine: the kernel's rules (`kernel/exec.py`) over Z3 terms, checked
against BFS on verdicts and outcome sets, with every Z3 trace replayed in the kernel."""
from __future__ import annotations

from pathlib import Path

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.errors import UnsupportedError
from forkspec.frontend import load_spec, parse_spec
from forkspec.session import run_z3
from forkspec.trace import rebuild

from z3check import FAST, assert_agree, bfs_outcomes, both

ROOT = Path(__file__).resolve().parent.parent
HEADER = "#include <stdio.h>\n#include <errno.h>\n#include <unistd.h>\n#include <fcntl.h>\n#include <sys/wait.h>\n"


def test_echo_after_a_fork_gives_the_outcomes_bfs_gives_and_a_wrong_order_is_a_replayed_violation():
    source = """/*@forkspec
forall stdout == "parent\\nhi there\\n"
*/
""" + HEADER + """
int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        printf("lost");
        execl("/bin/echo", "echo", "hi", "there", NULL);
        _exit(127);
    }
    write(1, "parent\\n", 7);
    waitpid(pid, NULL, 0);
    return 0;
}
"""
    z, b = both(source, path="echo.c")
    assert_agree(z, b)
    assert {o.stdout for o in bfs_outcomes(b)} == {"parent\nhi there\n", "hi there\nparent\n"}
    bad = z.exploration.results[1]
    assert bad.verdict == VIOLATED == b.exploration.results[1].verdict
    trace = rebuild(z.kernel, z.exploration, bad.witness)  # the exec and the echo replay in the kernel
    assert trace.final.stdout == "hi there\nparent\n"


def test_a_failed_exec_returns_minus_one_with_enoent_and_the_process_goes_on():
    source = """/*@forkspec
forall stdout == "r -1 enoent 1\\n"
*/
""" + HEADER + """
int main(void) {
    int r = execlp("no_such_program", "no_such_program", NULL);
    printf("r %d enoent %d\\n", r, errno == ENOENT);
    return 0;
}
"""
    z, b = both(source, path="enoent.c", z3_opts=FAST)
    assert_agree(z, b)
    assert z.exploration.results[1].verdict == HOLDS


def test_exec_closes_only_cloexec_fds_so_echo_fails_on_a_closed_stdout_with_status_1():
    """item 24 (its other modes are in the engine-agreement run, FORKSPEC_Z3_SPECS=exec)."""
    spec = load_spec(ROOT / "specs/exec/item24_cloexec_closed_only_by_exec.c")
    z, b = both(spec, z3_opts=FAST)
    assert set(assert_agree(z, b).values()) == {HOLDS}


def test_a_spec_file_image_runs_with_the_same_pid_and_a_fresh_stdio_buffer():
    spec = load_spec(ROOT / "specs/exec/fork_exec_spec_chain.c")
    z, b = both(spec, z3_opts=FAST)
    assert set(assert_agree(z, b).values()) == {HOLDS}
    assert {o.stdout for o in bfs_outcomes(b)} == {"image: pid 1001 parent 1000\npending child 1001 exited 3\n"}


def test_the_exit_status_of_an_image_reaches_the_parents_wait():
    source = """/*@forkspec
exists stdout == "status 1\\n"
forall stdout == "status 0\\n"
*/
""" + HEADER + """
int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/false", "false", NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("status %d\\n", WEXITSTATUS(status));
    return 0;
}
"""
    z, b = both(source, path="false.c")
    assert list(assert_agree(z, b).values()) == [HOLDS, HOLDS, VIOLATED, HOLDS]
    bad = z.exploration.results[2]
    assert rebuild(z.kernel, z.exploration, bad.witness).final.stdout == "status 1\n"


@pytest.mark.parametrize("call, named", [
    ('char *argv[] = {"echo", "hi", NULL}; execv("/bin/echo", argv);', "execv() of /bin/echo with an argv array"),
    ('char *p = "/bin/true"; execl(p, "true", NULL);', "a path for execl() that is not a constant string"),
    ('struct flock l = {F_WRLCK, SEEK_SET, 0, 0}; fcntl(open("f", O_RDWR | O_CREAT, 0644), F_SETLK, &l); '
     'execl("/bin/true", "true", NULL);', "an exec in a program that uses fcntl() record locks"),
])
def test_what_the_exec_encoding_lacks_is_refused_by_name(call, named):
    source = "/*@forkspec\nforall processes == 1\n*/\n" + HEADER + "int main(void) {\n    " + call + "\n    return 0;\n}\n"
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(source, "refused.c"), "file", z3_opts=FAST)
    assert named in e.value.message and "--engine bfs" in e.value.render()
