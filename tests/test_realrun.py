"""Tests for forkspec.realrun: compiling specs and running them on the real kernel.

Every assertion holds for every interleaving the kernel may choose: where a program
races, the test checks that the outcome is one of the possible ones, never that a
particular (or a rare) one shows up.
"""
from __future__ import annotations

import itertools
import os
import re
import textwrap
from pathlib import Path

import pytest

from forkspec import realrun
from forkspec.errors import RealRunError
from forkspec.realrun import Observation, compile_spec, pid_map, rename_pids, run_many, run_once

needs_cc = pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc/clang) on PATH")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    # One directory for the whole module, so the launcher is compiled once.
    return tmp_path_factory.mktemp("realrun")


_serial = itertools.count()


@pytest.fixture
def build(workdir):
    def _build(body: str, name: str = "spec") -> Path:
        src = workdir / f"{name}_{next(_serial)}.c"
        src.write_text(textwrap.dedent(body))
        return compile_spec(src, workdir)

    return _build


# ----------------------------------------------------------------------------- pure helpers


def test_rename_pids_whole_numbers_only():
    mapping = {4242: 1000, 4243: 1001, 7: 1}
    text = "pid 4242, child=4243 x4242 42424 14242 4242\n7 77 ppid=7\n"
    assert rename_pids(text, mapping) == "pid 1000, child=1001 x1000 42424 14242 1000\n1 77 ppid=1\n"


def test_rename_pids_leaves_hex_literals_alone():
    # %p output may contain a run of digits that spells a pid.
    assert rename_pids("0x5597f1176058 5597 0X5597", {5597: 1000}) == "0x5597f1176058 1000 0X5597"


def test_rename_pids_is_a_single_pass():
    # 1000 is a real pid renamed to 1001, and 1001 a real pid renamed to 1002:
    # the result must not be renamed twice.
    assert rename_pids("1000 1001", {1000: 1001, 1001: 1002}) == "1001 1002"


def test_pid_map_orders_children_by_allocation_with_wraparound():
    m = pid_map(500, 32760, {32765, 3, 32762, 301}, pid_max=32768)
    assert m == {500: 1, 32760: 1000, 32762: 1001, 32765: 1002, 3: 1003, 301: 1004}
    assert pid_map(10, 20, [25, 21, 22])[21] == 1001


def test_bad_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError):
        run_once(tmp_path / "nothing", "socket")


def test_no_compiler_raises(monkeypatch, tmp_path):
    monkeypatch.setattr(realrun, "compiler", lambda: None)
    src = tmp_path / "x.c"
    src.write_text("int main(void) { return 0; }\n")
    with pytest.raises(RealRunError, match="no C compiler"):
        compile_spec(src, tmp_path)


# ----------------------------------------------------------------------------- real runs

HELLO_BYE = """
    /*@forkspec
      outcome stdout file: "hello\\nbye\\nhello\\nbye\\n"
    */
    int main(void) {
        printf("hello\\n");
        fork();
        printf("bye\\n");
        return 0;
    }
"""


@needs_cc
def test_buffered_stdout_is_duplicated_by_fork_in_file_and_pipe_modes(build):
    exe = build(HELLO_BYE)
    for mode in ("file", "pipe"):
        obs = run_once(exe, mode)
        assert obs.stdout == "hello\nbye\nhello\nbye\n", mode
        assert obs.exit_status == 0
        assert obs.processes == 2
        assert not obs.timed_out


@needs_cc
def test_tty_is_line_buffered_and_has_no_crlf(build):
    obs = run_once(build(HELLO_BYE), "tty")
    assert obs.stdout == "hello\nbye\nbye\n"
    assert "\r" not in obs.raw_stdout
    assert obs.processes == 2


@needs_cc
def test_pids_are_renamed_to_model_numbering(build):
    exe = build("""
        int main(void) {
            pid_t c = fork();
            if (c == 0) {
                printf("child pid=%d ppid=%d\\n", getpid(), getppid());
                return 0;
            }
            waitpid(c, NULL, 0);
            printf("parent pid=%d ppid=%d child=%d\\n", getpid(), getppid(), c);
            return 0;
        }
    """)
    for mode in ("file", "pipe", "tty"):
        obs = run_once(exe, mode)
        assert obs.stdout == "child pid=1001 ppid=1000\nparent pid=1000 ppid=1 child=1001\n", mode
        assert set(re.findall(r"\d+", obs.stdout)) <= {"1", "1000", "1001"}
        assert obs.raw_stdout != obs.stdout  # the launcher's real pid is never 1
        assert obs.processes == 2


@needs_cc
def test_orphan_is_adopted_by_pid_1_and_awaited(build):
    exe = build("""
        int main(void) {
            if (fork() == 0) {
                usleep(200000);
                printf("orphan pid=%d ppid=%d\\n", getpid(), getppid());
                return 0;
            }
            return 0;
        }
    """)
    obs = run_once(exe, "pipe")
    assert obs.stdout == "orphan pid=1001 ppid=1\n"
    assert obs.exit_status == 0
    assert obs.processes == 2


@needs_cc
def test_exit_status_is_truncated_to_a_byte(build):
    assert run_once(build("int main(void) { exit(300); }"), "file").exit_status == 44


@needs_cc
def test_killed_by_signal_gives_128_plus_signal(build):
    assert run_once(build("int main(void) { raise(SIGTERM); return 0; }"), "file").exit_status == 143


@needs_cc
def test_parent_sees_child_killed_by_sigkill(build):
    exe = build("""
        int main(void) {
            pid_t c = fork();
            if (c == 0) { for (;;) pause(); }
            kill(c, SIGKILL);
            int st;
            waitpid(c, &st, 0);
            printf("%d signaled=%d sig=%d\\n", c, WIFSIGNALED(st), WTERMSIG(st));
            return 3;
        }
    """)
    obs = run_once(exe, "file")
    assert obs.stdout == "1001 signaled=1 sig=9\n"
    assert obs.exit_status == 3


@needs_cc
def test_process_count_and_racing_output(build):
    exe = build("""
        int main(void) {
            fork();
            fork();
            printf("x\\n");
            return 0;
        }
    """)
    obs = run_once(exe, "pipe")
    assert obs.processes == 4
    assert obs.stdout == "x\n" * 4


@needs_cc
def test_run_many_outcomes_are_among_the_possible_ones(build):
    exe = build("""
        int main(void) {
            fork();
            printf("%d\\n", getpid());
            return 0;
        }
    """)
    runs = run_many(exe, "pipe", 5)
    assert len(runs) == 5
    for obs in runs:
        assert isinstance(obs, Observation)
        assert obs.stdout in {"1000\n1001\n", "1001\n1000\n"}
        assert obs.processes == 2


@needs_cc
def test_vfork_is_logged_and_renamed(build):
    exe = build("""
        int main(void) {
            int st;
            pid_t c = vfork();
            if (c == 0)
                _exit(7);
            waitpid(c, &st, 0);
            printf("%d %d\\n", c, WEXITSTATUS(st));
            return 0;
        }
    """)
    obs = run_once(exe, "file")
    assert obs.stdout == "1001 7\n"
    assert obs.processes == 2


@needs_cc
def test_stderr_is_captured_separately_and_renamed(build):
    exe = build("""
        int main(void) {
            fprintf(stderr, "err %d\\n", getpid());
            printf("out\\n");
            return 0;
        }
    """)
    for mode in ("file", "tty"):
        obs = run_once(exe, mode)
        assert obs.stdout == "out\n"
        assert obs.stderr == "err 1000\n"


@needs_cc
def test_timeout_kills_every_process_of_the_run(build):
    # The child escapes into a new session and would run forever.  P0 waits until the
    # child has printed its pid, so the output is there whatever the scheduling.
    exe = build("""
        int main(void) {
            int p[2];
            char c;
            pipe(p);
            if (fork() == 0) {
                setsid();
                printf("%d\\n", getpid());
                fflush(stdout);
                write(p[1], "x", 1);
                for (;;) pause();
            }
            read(p[0], &c, 1);
            return 0;
        }
    """)
    obs = run_once(exe, "pipe", timeout=1.0)
    assert obs.timed_out
    assert obs.exit_status == 0  # P0 itself finished normally
    assert obs.stdout == "1001\n"
    real_child = int(obs.raw_stdout)
    with pytest.raises(ProcessLookupError):
        os.kill(real_child, 0)


@needs_cc
def test_spec_signalling_its_parent_does_not_break_the_run(build):
    # getppid() of P0 is the launcher, playing init: like init it shrugs off signals.
    exe = build("""
        int main(void) {
            kill(getppid(), SIGTERM);
            kill(0, SIGTERM);
            printf("never\\n");
            return 0;
        }
    """)
    obs = run_once(exe, "file")
    assert obs.exit_status == 128 + 15
    assert obs.stdout == ""
    assert not obs.timed_out


@needs_cc
def test_compile_error_names_the_file(workdir):
    src = workdir / "broken_spec.c"
    src.write_text("int main(void) {\n    return 0 +;\n}\n")
    with pytest.raises(RealRunError) as info:
        compile_spec(src, workdir)
    assert "broken_spec.c" in info.value.message
    assert "error" in info.value.message
    assert info.value.span is not None and info.value.span.line == 2
