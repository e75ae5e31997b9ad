"""The Z3 engine on signals and process groups: the same verdicts and outcomes as BFS, traces that replay.

Each program is small (two processes, a few steps) so each answer takes about a second.
"""
from __future__ import annotations

import os

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.errors import UnsupportedError
from forkspec.frontend import parse_spec
from forkspec.session import run_z3
from forkspec.trace import rebuild

from z3check import FAST, assert_agree, assert_traces_replay, bfs_outcomes, both, verdicts_by_name, z3_outcomes

# a longer program (about ten seconds): run with FORKSPEC_Z3_SLOW=1
slow = pytest.mark.skipif(not os.environ.get("FORKSPEC_Z3_SLOW"), reason="slow: set FORKSPEC_Z3_SLOW=1")


KILL_RACE = """/*@forkspec
properties: all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int s;
    pid_t c = fork();
    if (c == 0) {
        write(1, "a", 1);
        write(1, "b", 1);
        _exit(3);
    }
    kill(c, SIGTERM);
    waitpid(c, &s, 0);
    if (s == SIGTERM)
        write(1, "[killed]", 8);
    if (s == 3 << 8)
        write(1, "[exited]", 8);
    return 0;
}
"""


def test_a_kill_races_the_child_and_its_default_action_gives_the_killed_status_word():
    z, b = both(KILL_RACE, z3_opts=FAST)
    assert_agree(z, b)
    got = {o.stdout for o in z3_outcomes(z)}
    # killed before, between or after its writes: status 15; or it exits first (3 << 8)
    assert got == {"[killed]", "a[killed]", "ab[killed]", "ab[exited]"}


STOP_REPORT = """/*@forkspec
properties: no-orphaned-stopped-group all-reaped
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int s;
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    waitpid(c, &s, WUNTRACED);
    if (s == 0x137f)
        write(1, "S", 1);
    kill(c, SIGCONT);
    waitpid(c, &s, WCONTINUED);
    if (s == 0xffff)
        write(1, "C", 1);
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    if (s == SIGKILL)
        write(1, "K", 1);
    return 0;
}
"""


@slow
def test_stop_and_continue_are_reported_to_waitpid_as_in_the_kernel():
    z, b = both(STOP_REPORT, z3_opts=FAST)
    assert set(assert_agree(z, b).values()) == {HOLDS}
    assert {o.stdout for o in z3_outcomes(z)} == {"SCK"}


ORPHANED_STOP = """/*@forkspec
properties: no-orphaned-stopped-group
*/
#include <signal.h>
#include <unistd.h>
int main(void) {
    if (fork() == 0) {
        setpgid(0, 0);
        raise(SIGSTOP);
        _exit(0);
    }
    return 0;
}
"""


def test_an_orphaned_stopped_group_is_found_by_the_solver_and_its_trace_replays():
    z, b = both(ORPHANED_STOP)
    verdicts = assert_agree(z, b)
    assert verdicts["no-orphaned-stopped-group"] == VIOLATED and verdicts["no-deadlock"] == VIOLATED


IGNORED_CHILD = """/*@forkspec
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int r;
    signal(SIGCHLD, SIG_IGN);
    if (fork() == 0)
        _exit(7);
    r = wait(NULL);
    printf("%d %d\\n", r, errno == ECHILD);
    return 0;
}
"""


def test_sigchld_ignored_makes_the_kernel_reap_the_child_so_wait_fails_with_echild():
    z, b = both(IGNORED_CHILD, z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in z3_outcomes(z)} == {"-1 1\n"}


BLOCKED = """/*@forkspec
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    sigset_t set;
    sigset_t pend;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGTERM);
    sigpending(&pend);
    printf("pending %d\\n", sigismember(&pend, SIGTERM));
    fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("not reached\\n");
    return 0;
}
"""


def test_a_blocked_signal_stays_pending_and_kills_as_soon_as_it_is_unblocked():
    z, b = both(BLOCKED, z3_opts=FAST)
    assert_agree(z, b)
    (o,) = z3_outcomes(z)
    assert o.stdout == "pending 1\n" and o.exit_status == 128 + 15


GROUPS = """/*@forkspec
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int s;
    pid_t a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    setpgid(a, a);
    if (getpgid(a) == a)
        write(1, "G", 1);
    kill(-a, SIGKILL);
    waitpid(a, &s, 0);
    if (s == SIGKILL)
        write(1, "K", 1);
    if (kill(-a, 0) == -1)
        write(1, "E", 1);
    return 0;
}
"""


def test_a_process_group_is_signalled_as_a_whole_and_an_emptied_group_gives_esrch():
    z, b = both(GROUPS, z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in z3_outcomes(z)} == {"GKE"}


def test_a_handler_that_is_also_called_directly_is_refused_by_name():
    src = """/*@forkspec
*/
#include <signal.h>
void on(int sig) { }
int main(void) { signal(SIGUSR1, on); on(0); raise(SIGUSR1); return 0; }
"""
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(src, "t.c"), "file", z3_opts=FAST)
    assert "a direct call of a function that may be a signal handler (on)" in e.value.message
    assert e.value.span.line == 5


def test_sleep_whose_result_is_used_is_refused_where_a_handler_may_cut_it_short():
    src = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
void on(int sig) { }
int main(void) { int r; signal(SIGUSR1, on); raise(SIGUSR1); r = sleep(2); return r; }
"""
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(src, "t.c"), "file", z3_opts=FAST)
    assert "the result of sleep() in a program with a signal handler" in e.value.message


UNSAFE_HANDLER = """/*@forkspec
properties: signal-safety
*/
#include <signal.h>
#include <stdio.h>
void on(int sig) { printf("h%d\\n", sig); }
int main(void) {
    signal(SIGUSR1, on);
    raise(SIGUSR1);
    return 0;
}
"""


def test_printf_in_a_handler_breaks_signal_safety_and_the_solvers_trace_replays():
    z, b = both(UNSAFE_HANDLER)
    assert assert_agree(z, b)["signal-safety"] == VIOLATED
    assert {o.stdout for o in z3_outcomes(z)} == {"h10\n"}


HANDLER_RACE = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
volatile sig_atomic_t n;
void on(int sig) { n = n + 1; write(1, "h", 1); }
int main(void) {
    pid_t parent = getpid();
    signal(SIGUSR1, on);
    if (fork() == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    write(1, "a", 1);
    wait(NULL);
    write(1, n ? "1" : "0", 1);
    return 0;
}
"""


@slow
def test_a_handler_runs_wherever_the_signal_finds_the_parent_with_the_outcomes_of_bfs():
    z, b = both(HANDLER_RACE, z3_opts=SymOptions(timeout_ms=600_000, max_bound=40))  # minutes
    assert verdicts_by_name(z) == verdicts_by_name(b) and all(v == HOLDS for v in verdicts_by_name(z).values())
    assert z3_outcomes(z) == bfs_outcomes(b)
    # before or after the parent's write; wait restarts (signal() sets SA_RESTART), so the handler
    # may also run after wait returned
    assert {o.stdout for o in z3_outcomes(z)} == {"ha1", "ah1"}


RESETHAND = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
void on(int sig) { write(1, "h", 1); }
int main(void) {
    struct sigaction sa;
    sa.sa_handler = on;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGTERM, &sa, NULL);
    raise(SIGTERM);
    write(1, "x", 1);
    raise(SIGTERM);
    write(1, "y", 1);
    return 0;
}
"""


@slow
def test_sa_resethand_runs_the_handler_once_and_the_second_signal_kills():
    z, b = both(RESETHAND, z3_opts=FAST)
    assert_agree(z, b)
    (o,) = z3_outcomes(z)
    assert o.stdout == "hx" and o.exit_status == 128 + 15


PAUSE_EINTR = """/*@forkspec
properties: no-deadlock
*/
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
void on(int sig) { }
int main(void) {
    pid_t parent = getpid();
    signal(SIGUSR1, on);
    if (fork() == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    if (pause() == -1 && errno == EINTR)
        write(1, "E", 1);
    wait(NULL);
    return 0;
}
"""


@slow
def test_pause_ends_with_eintr_or_misses_a_signal_that_came_first_and_blocks_for_ever():
    z, b = both(PAUSE_EINTR)  # the solver may give up on the other checks: this compares no-deadlock only
    assert verdicts_by_name(z)["no-deadlock"] == VIOLATED == verdicts_by_name(b)["no-deadlock"]
    assert_traces_replay(z)
    assert {o.stdout for o in bfs_outcomes(b)} == {"E"}


PAUSE_AFTER_RAISE = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
void on(int sig) { }
int main(void) {
    signal(SIGUSR1, on);
    raise(SIGUSR1);
    pause();
    return 0;
}
"""

PAUSE_RACE = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
void on(int sig) { }
int main(void) {
    pid_t c;
    signal(SIGUSR1, on);
    c = fork();
    if (c == 0) {
        pause();
        return 0;
    }
    kill(c, SIGUSR1);
    waitpid(c, 0, 0);
    return 0;
}
"""


def test_a_signal_taken_on_the_way_back_from_raise_does_not_interrupt_the_pause_after_it():
    z, b = both(PAUSE_AFTER_RAISE)
    assert assert_agree(z, b)["no-deadlock"] == VIOLATED
    assert bfs_outcomes(b) == set()


def test_a_child_signalled_at_pause_deadlocks_in_both_engines_and_the_trace_replays():
    z, b = both(PAUSE_RACE)  # the solver may give up on the other checks: this compares no-deadlock only
    assert verdicts_by_name(z)["no-deadlock"] == VIOLATED == verdicts_by_name(b)["no-deadlock"]
    assert_traces_replay(z)


PAUSE_AFTER_READY = """/*@forkspec
*/
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
void h(int sig) { }
int main(void)
{
    int p[2];
    char b[1];
    pid_t c;
    signal(SIGUSR1, h);
    pipe(p);
    c = fork();
    if (c == 0) {
        write(p[1], "r", 1);
        pause();
        return 0;
    }
    read(p[0], b, 1);
    kill(c, SIGUSR1);
    waitpid(c, 0, 0);
    return 0;
}
"""


@slow
def test_a_signal_step_at_pause_may_run_the_handler_before_pause_starts_and_the_replay_follows():
    """The child rests at pause() when the signal comes: only the step's `early` choice (the handler
    first, then pause waits for ever) deadlocks it. About three minutes."""
    spec = parse_spec(PAUSE_AFTER_READY, "t.c")
    z = run_z3(spec, "file", z3_opts=SymOptions(timeout_ms=60_000, max_bound=40, simulate=False))
    witness = next(x.witness for x in z.exploration.results if x.check.name == "no-deadlock")
    trace = rebuild(z.kernel, z.exploration, witness)
    assert any("before the call starts" in step.action.text for step in trace.steps)


BAD_WAITPID = """/*@forkspec
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int s;
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    printf("%d %d ", waitpid(-1, &s, WNOWAIT), errno == EINVAL);
    printf("%d %d ", waitpid(INT_MIN, &s, 0), errno == ESRCH);
    printf("%d\\n", waitpid(c, &s, 0) == c);
    return 0;
}
"""


def test_waitpid_refuses_wnowait_with_einval_and_int_min_with_esrch_at_once():
    """wait4 takes no WNOWAIT (waitid's), and pid INT_MIN is no group: both fail before any child is looked at."""
    z, b = both(BAD_WAITPID, z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in z3_outcomes(z)} == {"-1 1 -1 1 1\n"}
