"""The Z3 engine on vfork beside fork, pthread_atfork and signals: the same verdicts and
outcomes as BFS, traces that replay, refusals that name the construct.

After a fork the first process's pages are copy-on-write: its vfork child's first write
into one copies it (the copy's only mapper in that step: no shared write), and leaves it
mapped writable by both (no-shared-writable-page); a write in a later step is a shared one.
"""
from __future__ import annotations

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.errors import UnsupportedError
from forkspec.frontend import parse_spec
from forkspec.session import run_z3

from z3check import SOLVER_ONLY, assert_agree, both


FORK_THEN_VFORK = """/*@forkspec
properties: cow-isolation no-shared-writable-page
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int x;
int main(void) {
    if (fork() == 0)
        _exit(0);
    if (vfork() == 0) {
CHILD        _exit(0);
    }
    wait(NULL);
    wait(NULL);
    printf("x=%d\\n", x);
    return 0;
}
"""


@pytest.mark.parametrize("child, shared_write, shared_frame", [
    ("", HOLDS, HOLDS),  # every page of the parent copy-on-write: nothing writable is shared
    ("        x = 1;\n        x = 2;\n", HOLDS, VIOLATED),  # one step: the first write copies the page
])
def test_a_vfork_childs_first_write_into_a_page_its_parent_forked_copy_on_write_copies_it(
        child, shared_write, shared_frame):
    z, b = both(FORK_THEN_VFORK.replace("CHILD", child))
    verdicts = assert_agree(z, b)
    assert (verdicts["cow-isolation"], verdicts["no-shared-writable-page"]) == (shared_write, shared_frame)


def test_vfork_runs_no_pthread_atfork_handler():
    src = """/*@forkspec
forall stdout == "parent\\n"
*/
#include <pthread.h>
#include <unistd.h>
void prepare(void) { write(1, "prepare\\n", 8); }
int main(void) {
    pthread_atfork(prepare, NULL, NULL);
    if (vfork() == 0)
        _exit(0);
    write(1, "parent\\n", 7);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts['forall stdout == "parent\\n"'] == HOLDS


def test_a_vfork_parent_suspended_is_killed_by_its_childs_sigkill_and_never_resumes():
    src = """/*@forkspec
forall exit_status == 137
forall stdout == "child\\n"
properties: vfork-safety
*/
#include <signal.h>
#include <unistd.h>
int main(void) {
    if (vfork() == 0) {
        kill(getppid(), SIGKILL);
        write(1, "child\\n", 6);
        _exit(0);
    }
    write(1, "parent\\n", 7);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts["forall exit_status == 137"] == HOLDS and verdicts["vfork-safety"] == VIOLATED


def test_a_signal_handler_in_a_program_that_calls_vfork_is_refused_by_name():
    src = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
void on(int sig) { }
int main(void) {
    signal(SIGUSR1, on);
    if (vfork() == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    return 0;
}
"""
    with pytest.raises(UnsupportedError, match="a signal handler in a program that calls vfork"):
        run_z3(parse_spec(src, "t.c"), "file", z3_opts=SOLVER_ONLY)
