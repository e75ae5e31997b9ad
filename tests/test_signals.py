"""Signals, stops, process groups, subreapers: one test per rule (reference sections G, H, I).

Each test is a tiny C program with its exact outcome set (pids canonical: the first
process is 1000, its children 1001, 1002, ...); item numbers refer to the reference
checklist.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forkspec import realrun
from forkspec.errors import ForkspecError

from conftest import O, explore, forkspec_cli, outcomes_of, stdouts_of, verdicts

TERMINATE = (1, 2, 3, 6, 10, 12, 13, 14, 15)
STOP = (19, 20)


# --------------------------------------------------------------------------- default actions, status word (58)


@pytest.mark.parametrize("sig", TERMINATE + (9,))
def test_a_terminating_signal_is_the_status_word(sig):
    src = f"""
    int s;
    pid_t c = fork();
    if (c == 0) {{ for (;;) pause(); }}
    kill(c, {sig});
    waitpid(c, &s, 0);
    printf("raw=%d signaled=%d termsig=%d exited=%d\\n", s, WIFSIGNALED(s), WTERMSIG(s), WIFEXITED(s));
    return 0;
    """
    assert outcomes_of(src) == {O(f"raw={sig} signaled=1 termsig={sig} exited=0\n", processes=2)}


@pytest.mark.parametrize("sig", (17, 18, 23, 28))
def test_a_signal_whose_default_is_ignore_leaves_the_child_running(sig):
    src = f"""
    int s;
    pid_t c = fork();
    if (c == 0) {{ for (;;) pause(); }}
    kill(c, {sig});
    printf("nohang %d\\n", waitpid(c, &s, WNOHANG));
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    printf("termsig %d\\n", WTERMSIG(s));
    return 0;
    """
    assert stdouts_of(src) == {"nohang 0\ntermsig 9\n"}


@pytest.mark.parametrize("sig", STOP)
def test_a_stop_signal_is_reported_once_to_wuntraced_as_sig_shl_8_or_0x7f(sig):
    src = f"""
    int s;
    pid_t c = fork();
    if (c == 0) {{ for (;;) pause(); }}
    kill(c, {sig});
    waitpid(c, &s, WUNTRACED);
    printf("%#x stopped=%d stopsig=%d\\n", s, WIFSTOPPED(s), WSTOPSIG(s));
    printf("again %d\\n", waitpid(c, &s, WNOHANG | WUNTRACED));
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    return 0;
    """
    assert stdouts_of(src) == {f"{sig << 8 | 0x7f:#x} stopped=1 stopsig={sig}\nagain 0\n"}


def test_a_stops_sigchld_may_reach_the_parent_after_its_waitpid_has_seen_the_stop():
    """Linux sends a stop's SIGCHLD after the child stopped (do_notify_parent_cldstop, outside the
    siglock): waitpid(WUNTRACED) may return first. A blocked SIGCHLD shows it: pending or not yet."""
    src = """
    sigset_t block, pend;
    int s;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGSTOP);
    waitpid(c, &s, WUNTRACED);
    sigpending(&pend);
    printf("stopped %d pending %d\\n", WIFSTOPPED(s), sigismember(&pend, SIGCHLD));
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    sigpending(&pend);
    printf("after exit pending %d\\n", sigismember(&pend, SIGCHLD));
    return 0;
    """
    assert stdouts_of(src) == {"stopped 1 pending 0\nafter exit pending 1\n",
                               "stopped 1 pending 1\nafter exit pending 1\n"}


def test_a_stopped_child_runs_no_step_until_sigcont():
    src = """
    int s;
    pid_t c = fork();
    if (c == 0) { raise(SIGSTOP); printf("after stop\\n"); return 0; }
    waitpid(c, &s, WUNTRACED);
    printf("parent sees stop\\n");
    fflush(stdout);
    kill(c, SIGCONT);
    waitpid(c, &s, 0);
    return 0;
    """
    assert stdouts_of(src) == {"parent sees stop\nafter stop\n"}


def test_a_stop_discards_a_pending_sigcont_and_sigcont_discards_pending_stops():
    src = """
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGCONT);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGCONT);
    raise(SIGTSTP);
    sigpending(&pend);
    printf("cont %d tstp %d\\n", sigismember(&pend, SIGCONT), sigismember(&pend, SIGTSTP));
    raise(SIGCONT);
    sigpending(&pend);
    printf("cont %d tstp %d\\n", sigismember(&pend, SIGCONT), sigismember(&pend, SIGTSTP));
    return 0;
    """
    assert stdouts_of(src) == {"cont 0 tstp 1\ncont 1 tstp 0\n"}


def test_sigkill_ends_a_stopped_child():
    src = """
    int s;
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGSTOP);
    kill(c, SIGKILL);
    waitpid(c, &s, 0);
    printf("%d\\n", WTERMSIG(s));
    return 0;
    """
    assert stdouts_of(src) == {"9\n"}


# --------------------------------------------------------------------------- dispositions (71, 73)


@pytest.mark.parametrize("sig", (9, 19))
def test_sigkill_and_sigstop_cannot_be_caught_or_ignored(sig):
    src = f"""
    struct sigaction sa;
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    int r = sigaction({sig}, &sa, NULL);
    printf("%d %d %d\\n", r, errno == EINVAL, signal({sig}, SIG_IGN) == SIG_ERR);
    return 0;
    """
    assert stdouts_of(src) == {"-1 1 1\n"}


def test_signal_returns_the_previous_handler():
    src = """
    void h(int sig) { }
    int main(void)
    {
        printf("%d ", signal(SIGUSR1, h) == SIG_DFL);
        printf("%d ", signal(SIGUSR1, SIG_IGN) == h);
        printf("%d\\n", signal(SIGUSR1, SIG_DFL) == SIG_IGN);
        return 0;
    }
    """
    assert stdouts_of(src) == {"1 1 1\n"}


def test_an_ignored_signal_does_nothing():
    src = """
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("alive\\n");
    return 0;
    """
    assert outcomes_of(src) == {O("alive\n")}


def test_a_handler_may_run_between_any_two_instructions_of_its_target():
    src = """
    volatile int x;
    void h(int sig) { write(1, x == 0 ? "0" : x == 1 ? "1" : "2", 1); }
    int main(void)
    {
        signal(SIGUSR1, h);
        pid_t c = fork();
        if (c == 0) { x = 1; x = 2; for (;;) pause(); }
        kill(c, SIGUSR1);
        sleep(1);
        kill(c, SIGKILL);
        waitpid(c, NULL, 0);
        return 0;
    }
    """
    assert {"0", "1", "2"} <= stdouts_of(src)


PAUSE_AFTER_RAISE = """
volatile int handled;
void h(int sig) { handled = 1; }
int main(void)
{
    signal(SIGUSR1, h);
    raise(SIGUSR1);
    int r = pause();
    printf("pause %d handled %d\\n", r, handled);
    return 0;
}
"""


def test_a_signal_delivered_on_the_way_back_from_a_call_does_not_interrupt_the_next_one():
    """raise() runs the handler before it returns; the pause() after it has not started, so it waits."""
    assert outcomes_of(PAUSE_AFTER_RAISE) == set()
    assert verdicts(PAUSE_AFTER_RAISE)["no-deadlock"] == "violated"


@pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc) on this machine")
def test_real_linux_also_waits_in_the_pause_after_raise(tmp_path):
    """Deterministic on Linux: the handler runs inside raise(), and nothing wakes pause()."""
    src = tmp_path / "pause_after_raise.c"
    src.write_text("#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n" + PAUSE_AFTER_RAISE)
    seen = realrun.run_once(realrun.compile_spec(src, tmp_path, perturb=False), "file", timeout=1.0)
    assert seen.timed_out and seen.stdout == ""


def test_the_signal_is_blocked_while_its_handler_runs_and_unblocked_after():
    src = """
    volatile sig_atomic_t depth, deepest, calls;
    void h(int sig)
    {
        depth++;
        if (depth > deepest) deepest = depth;
        calls++;
        if (calls == 1) raise(SIGUSR1);
        depth--;
    }
    int main(void)
    {
        signal(SIGUSR1, h);
        raise(SIGUSR1);
        printf("calls %d deepest %d\\n", calls, deepest);
        return 0;
    }
    """
    assert stdouts_of(src) == {"calls 2 deepest 1\n"}


def test_a_handler_interrupting_sleep_makes_it_return_what_was_left():
    src = """
    void h(int sig) { }
    int main(void)
    {
        pid_t parent = getpid();
        signal(SIGUSR1, h);
        pid_t c = fork();
        if (c == 0) { kill(parent, SIGUSR1); _exit(0); }
        printf("%d\\n", sleep(2));
        waitpid(c, NULL, 0);
        return 0;
    }
    """
    assert stdouts_of(src) == {"0\n", "1\n", "2\n"}


# --------------------------------------------------------------------------- fork (69, 70, 71)


def test_dispositions_and_mask_are_inherited_and_pending_signals_are_not():
    src = """
    void h(int sig) { }
    int main(void)
    {
        sigset_t set, pend, cur;
        signal(SIGUSR2, h);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGUSR1);
        if (fork() == 0) {
            sigpending(&pend);
            sigprocmask(SIG_BLOCK, NULL, &cur);
            printf("pending %d blocked %d handler %d\\n", sigismember(&pend, SIGUSR1), sigismember(&cur, SIGUSR1),
                   signal(SIGUSR2, SIG_DFL) == h);
            return 0;
        }
        wait(NULL);
        return 0;
    }
    """
    assert stdouts_of(src) == {"pending 0 blocked 1 handler 1\n"}


def test_unblocking_a_pending_signal_delivers_it_before_sigprocmask_returns():
    src = """
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGTERM);
    printf("still here\\n");
    fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("never\\n");
    return 0;
    """
    assert outcomes_of(src) == {O("still here\n", exit_status=128 + 15)}


# --------------------------------------------------------------------------- SIGCHLD (62, 63, 64)


def test_sigchld_ignored_reaps_children_at_once_and_wait_gives_echild():
    src = """
    signal(SIGCHLD, SIG_IGN);
    if (fork() == 0) _exit(7);
    if (fork() == 0) _exit(8);
    int r = wait(NULL);
    printf("%d %d\\n", r, errno == ECHILD);
    return 0;
    """
    r = explore(src)
    assert {r.kernel.outcome(r.exploration.states[i]) for i in r.exploration.finals} == {O("-1 1\n", processes=3)}
    assert verdicts(src, properties=("all-reaped",)).get("all-reaped") == "holds"


def test_the_default_sigchld_leaves_a_zombie_to_wait_for():
    src = """
    signal(SIGCHLD, SIG_DFL);
    pid_t c = fork();
    if (c == 0) _exit(7);
    int s;
    printf("%d %d\\n", wait(&s) == c, WEXITSTATUS(s));
    return 0;
    """
    assert stdouts_of(src) == {"1 7\n"}


# --------------------------------------------------------------------------- process groups (9, 52)


def test_setpgid_of_a_process_that_is_not_a_child_is_esrch_and_setsid_of_a_leader_is_eperm():
    src = """
    int r1 = setpgid(1, 1);
    int e1 = errno;
    int r2 = setsid();
    int e2 = errno;
    printf("%d %d %d %d\\n", r1, e1 == ESRCH, r2, e2 == EPERM);
    return 0;
    """
    assert stdouts_of(src) == {"-1 1 -1 1\n"}


def test_setsid_in_a_child_makes_it_leader_of_a_new_group():
    src = """
    if (fork() == 0) {
        pid_t s = setsid();
        printf("%d %d\\n", s == getpid(), getpgrp() == getpid());
        return 0;
    }
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src) == {"1 1\n"}


def test_a_group_wait_is_never_run_early_when_children_can_change_group():
    """A child may join the waiter's group right after the waiter's last visible step:
    running the wait within that step (wait_is_settled) must not hide that outcome."""
    src = """
    pid_t pg = getpgrp();
    int s;
    pid_t z = fork();
    if (z == 0) { raise(SIGSTOP); setpgid(0, pg); _exit(3); }
    setpgid(z, z);
    waitpid(z, &s, WUNTRACED);
    kill(z, SIGCONT);
    pid_t r = waitpid(0, &s, WNOHANG);
    printf("%s\\n", r == -1 ? "echild" : r == 0 ? "running" : "exited");
    waitpid(z, &s, 0);
    return 0;
    """
    merged = outcomes_of(src)
    assert merged == outcomes_of(src, merge_local=False)
    assert {o.stdout for o in merged} == {"echild\n", "running\n", "exited\n"}


# --------------------------------------------------------------------------- kill targets, errors


def test_kill_minus_one_signals_every_other_process_but_not_the_caller():
    src = """
    pid_t a = fork();
    if (a == 0) { for (;;) pause(); }
    pid_t b = fork();
    if (b == 0) { for (;;) pause(); }
    int sa, sb;
    printf("%d\\n", kill(-1, SIGTERM));
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    printf("%d %d\\n", WTERMSIG(sa), WTERMSIG(sb));
    return 0;
    """
    assert stdouts_of(src) == {"0\n15 15\n"}


def test_kill_errors_esrch_einval_eperm():
    src = """
    pid_t c = fork();
    if (c == 0) _exit(0);
    waitpid(c, NULL, 0);
    int r1 = kill(c, SIGTERM);
    int e1 = errno;
    int r2 = kill(getpid(), 99 - 67);
    int e2 = errno;
    int r3 = kill(1, SIGTERM);
    int e3 = errno;
    int r4 = kill(getpid(), 0);
    printf("%d %d %d %d %d %d %d\\n", r1, e1 == ESRCH, r2, e2 == EINVAL, r3, e3 == EPERM, r4);
    return 0;
    """
    with pytest.raises(Exception):
        stdouts_of(src)  # 32 is a real-time signal: not modelled
    assert stdouts_of(src.replace("99 - 67", "65")) == {"-1 1 -1 1 -1 1 0\n"}


def test_waitpid_rejects_wnowait_with_einval_and_int_min_with_esrch():
    src = """
    pid_t c = fork();
    if (c == 0) _exit(0);
    int r1 = waitpid(-1, NULL, WNOWAIT);
    int e1 = errno;
    int r2 = waitpid(INT_MIN, NULL, 0);
    int e2 = errno;
    printf("%d %d %d %d %d\\n", r1, e1 == EINVAL, r2, e2 == ESRCH, waitpid(c, NULL, 0) == c);
    return 0;
    """
    assert stdouts_of(src) == {"-1 1 -1 1 1\n"}


# --------------------------------------------------------------------------- subreapers, pdeathsig (65, 66, 67)


def test_an_orphan_goes_to_the_nearest_living_subreaper_ancestor():
    src = """
    pid_t top = getpid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (fork() == 0) {
        pid_t mid = getpid();
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (fork() == 0) {
            if (fork() == 0) {
                while (getppid() != mid) sched_yield();
                printf("adopted by mid\\n");
                return 0;
            }
            return 0;
        }
        while (wait(NULL) > 0) ;
        return 0;
    }
    wait(NULL);
    return 0;
    """
    assert outcomes_of(src) == {O("adopted by mid\n", processes=4)}


def test_without_a_subreaper_an_orphan_goes_to_init():
    src = """
    if (fork() == 0) {
        if (fork() == 0) {
            while (getppid() != 1) sched_yield();
            printf("adopted by init\\n");
            return 0;
        }
        return 0;
    }
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src) == {"adopted by init\n"}


def test_fork_clears_the_subreaper_attribute_and_the_parent_death_signal():
    src = """
    int v = 7, w = 7;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (fork() == 0) {
        prctl(PR_GET_CHILD_SUBREAPER, &v);
        prctl(PR_GET_PDEATHSIG, &w);
        printf("%d %d\\n", v, w);
        return 0;
    }
    wait(NULL);
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    prctl(PR_GET_PDEATHSIG, &w);
    printf("%d %d\\n", v, w);
    return 0;
    """
    assert stdouts_of(src) == {"0 0\n1 15\n"}


# --------------------------------------------------------------------------- properties


def test_signal_safety_flags_printf_in_a_handler_and_not_write():
    bad = """
    void h(int sig) { printf("x\\n"); }
    int main(void) { signal(SIGUSR1, h); raise(SIGUSR1); return 0; }
    """
    good = bad.replace('printf("x\\n")', 'write(1, "x\\n", 2)')
    assert verdicts(bad, properties=("signal-safety",))["signal-safety"] == "violated"
    assert verdicts(good, properties=("signal-safety",))["signal-safety"] == "holds"


def test_calling_exit_in_a_handler_is_not_signal_safe():
    src = """
    void h(int sig) { exit(0); }
    int main(void) { signal(SIGUSR1, h); raise(SIGUSR1); return 0; }
    """
    assert verdicts(src, properties=("signal-safety",))["signal-safety"] == "violated"


def test_a_stopped_process_in_an_orphaned_group_breaks_no_orphaned_stopped_group():
    src = """
    if (fork() == 0) { setpgid(0, 0); raise(SIGSTOP); _exit(0); }
    return 0;
    """
    assert verdicts(src, properties=("no-orphaned-stopped-group",))["no-orphaned-stopped-group"] == "violated"
    kept = """
    int s;
    pid_t c = fork();
    if (c == 0) { setpgid(0, 0); raise(SIGSTOP); _exit(0); }
    waitpid(c, &s, WUNTRACED);
    kill(c, SIGCONT);
    waitpid(c, &s, 0);
    return 0;
    """
    assert verdicts(kept, properties=("no-orphaned-stopped-group",))["no-orphaned-stopped-group"] == "holds"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("body, words", [
    ("kill(getpid(), SIGFOO);", ("SIGFOO",)),
    ("struct sigaction sa;\n    sa.sa_restorer = 0;", ("sa_restorer", "sa_handler")),
    ("prctl(PR_SET_NAME, 0);", ("PR_SET_NAME",)),
    ("prctl(15, 0);", ("PR_SET_CHILD_SUBREAPER",)),
    ("raise(40);", ("real-time",)),
])
def test_bad_signal_input_is_one_located_error_with_exit_2(body, words):
    with pytest.raises(ForkspecError) as info:
        explore(body + "\n    return 0;")
    err = info.value
    assert err.exit_code == 2 and err.span is not None and err.span.line > 0
    text = err.render()
    assert text.startswith("test.c:")
    for w in words:
        assert w in text, text


def test_bad_signal_input_on_the_command_line_exits_2_without_a_traceback(spec_file):
    path = spec_file("kill(getpid(), SIGFOO);\n    return 0;")
    proc = forkspec_cli("check", str(path))
    assert proc.returncode == 2 and "SIGFOO" in proc.stderr and "Traceback" not in proc.stderr


def test_a_trace_with_a_signal_step_is_refused_as_a_c_reproducer(spec_file):
    path = spec_file("""
    void h(int sig) { printf("x\\n"); }
    int main(void) { signal(SIGUSR1, h); raise(SIGUSR1); return 0; }
    """)
    proc = forkspec_cli("trace", "--property", "signal-safety", "--format", "c", str(path))
    assert proc.returncode == 2
    assert "signal" in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- one process's signal state, at random

SIGS = (10, 12, 15, 17)
FATAL = {10, 12, 15}


def _reference(ops):
    """POSIX's rules for one process: (stdout, exit status)."""
    pending, mask, disp, count = set(), set(), {s: "dfl" for s in SIGS}, {s: 0 for s in SIGS}

    def ignored(s):
        return disp[s] == "ign" or (disp[s] == "dfl" and s not in FATAL)

    def deliver():
        ready = sorted(pending - mask)
        fatal = [s for s in ready if disp[s] == "dfl" and s in FATAL]
        if fatal:
            return fatal[0]
        for s in ready:
            count[s] += disp[s] == "handle"
        pending.difference_update(ready)
        return 0

    for op, s in ops:
        if op == "raise":
            if not (ignored(s) and s not in mask):
                pending.add(s)
        elif op == "block":
            mask.add(s)
        elif op == "unblock":
            mask.discard(s)
        else:
            disp[s] = op
            if ignored(s):
                pending.discard(s)
        died = deliver()
        if died:
            return "", 128 + died
    line = " ".join(f"c{s}={count[s]}" for s in SIGS) + " | " + " ".join(f"p{s}={int(s in pending)}" for s in SIGS)
    return line + "\n", 0


def _program(ops):
    calls = {
        "raise": "raise({s});",
        "block": "sigemptyset(&set); sigaddset(&set, {s}); sigprocmask(SIG_BLOCK, &set, NULL);",
        "unblock": "sigemptyset(&set); sigaddset(&set, {s}); sigprocmask(SIG_UNBLOCK, &set, NULL);",
        "ign": "signal({s}, SIG_IGN);",
        "dfl": "signal({s}, SIG_DFL);",
        "handle": "signal({s}, h);",
    }
    body = "\n        ".join(calls[op].format(s=s) for op, s in ops)
    fmt = " ".join(f"c{s}=%d" for s in SIGS) + " | " + " ".join(f"p{s}=%d" for s in SIGS)
    args = ", ".join([f"count[{s}]" for s in SIGS] + [f"sigismember(&pend, {s})" for s in SIGS])
    return f"""
    volatile int count[32];
    void h(int sig) {{ count[sig]++; }}
    int main(void)
    {{
        sigset_t set, pend;
        {body}
        sigpending(&pend);
        printf("{fmt}\\n", {args});
        return 0;
    }}
    """


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(("raise", "block", "unblock", "ign", "dfl", "handle")),
                          st.sampled_from(SIGS)), max_size=8))
def test_pending_mask_and_dispositions_of_one_process_follow_posix(ops):
    stdout, status = _reference(ops)
    assert outcomes_of(_program(ops)) == {O(stdout, exit_status=status)}


def test_a_terminating_default_signal_kills_a_stopped_process_without_sigcont():
    src = """
    int s;
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGSTOP);
    waitpid(c, &s, WUNTRACED);
    kill(c, SIGTERM);
    waitpid(c, &s, 0);
    printf("%d\\n", WTERMSIG(s));
    return 0;
    """
    assert stdouts_of(src) == {"15\n"}


def test_a_terminating_signal_is_taken_before_a_lower_caught_one():
    src = """
    void h(int sig) { write(1, "handler\\n", 8); }
    int main(void)
    {
        sigset_t set;
        signal(SIGUSR1, h);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGUSR1);
        raise(SIGTERM);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("", exit_status=128 + 15)}


def test_a_long_sleep_whose_result_is_unused_may_be_interrupted_by_a_handler():
    src = """
    volatile sig_atomic_t got;
    void h(int sig) { got = 1; }
    int main(void)
    {
        pid_t parent = getpid();
        signal(SIGUSR1, h);
        pid_t c = fork();
        if (c == 0) { kill(parent, SIGUSR1); _exit(0); }
        sleep(100);
        waitpid(c, NULL, 0);
        printf("%d\\n", got);
        return 0;
    }
    """
    assert stdouts_of(src) == {"1\n"}


# --------------------------------------------------------------------------- alarm (59, 72)


def test_an_alarm_that_expires_delivers_sigalrm_whose_default_action_terminates():
    src = """
    alarm(1);
    pause();
    printf("never\\n");
    return 0;
    """
    assert outcomes_of(src) == {O("", exit_status=128 + 14)}


def test_an_alarm_interrupts_a_blocking_wait_with_eintr_when_caught_without_sa_restart():
    src = """
    void h(int sig) { }
    int main(void)
    {
        struct sigaction sa;
        sa.sa_handler = h;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGALRM, &sa, NULL);
        pid_t c = fork();
        if (c == 0) { sleep(5); _exit(0); }
        alarm(1);
        int r = wait(NULL);
        printf("%d %d\\n", r == c, r == -1 && errno == EINTR);
        if (r == -1) wait(NULL);
        return 0;
    }
    """
    assert stdouts_of(src) == {"1 0\n", "0 1\n"}


def test_alarm_returns_what_is_left_of_the_previous_one_any_of_1_to_n():
    src = """
    signal(SIGALRM, SIG_IGN);
    alarm(3);
    printf("%d\\n", alarm(0));
    return 0;
    """
    assert stdouts_of(src) == {"0\n", "1\n", "2\n", "3\n"}


# --------------------------------------------------------------------------- EINTR from blocking fd calls (signal(7))

BLOCKED_CALL = """
void h(int sig) {{ }}
int main(void)
{{
    struct sigaction sa;
    struct flock lk;
    int fd[2], f, r;
    char b[2];
    pid_t parent = getpid();
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = {flags};
    sigaction(SIGUSR1, &sa, 0);
    lk.l_type = F_WRLCK; lk.l_whence = SEEK_SET; lk.l_start = 0; lk.l_len = 0;
    pipe(fd);
    if (fork() == 0) {{
        f = open("lockfile", O_RDWR | O_CREAT, 0644);
        {hold}
        kill(parent, SIGUSR1);
        _exit(0);
    }}
    close(fd[1]);
    {ready}
    r = {call};
    printf("%d %d\\n", r, r < 0 ? errno : 0);
    return 0;
}}
"""
BLOCKING_CALLS = {
    "read of an empty pipe": ("", "", "read(fd[0], b, 1)"),
    "flock": ("flock(f, LOCK_EX); write(fd[1], \"r\", 1);", "read(fd[0], b, 1); f = open(\"lockfile\", O_RDWR);",
              "flock(f, LOCK_EX)"),
    "fcntl F_SETLKW": ("fcntl(f, F_SETLKW, &lk); write(fd[1], \"r\", 1);",
                       "read(fd[0], b, 1); f = open(\"lockfile\", O_RDWR);", "fcntl(f, F_SETLKW, &lk)"),
}


@pytest.mark.parametrize("call", sorted(BLOCKING_CALLS))
def test_a_handler_without_sa_restart_ends_a_blocked_fd_call_with_eintr_and_with_it_the_call_restarts(call):
    """The child signals while the parent waits in the call (or is about to make it); it exits
    after, which ends the wait (EOF, the lock released). SA_RESTART hides the signal from the call."""
    hold, ready, expr = BLOCKING_CALLS[call]
    plain = BLOCKED_CALL.format(flags=0, hold=hold, ready=ready, call=expr)
    restart = BLOCKED_CALL.format(flags="SA_RESTART", hold=hold, ready=ready, call=expr)
    assert stdouts_of(plain) == {"0 0\n", "-1 4\n"}
    assert stdouts_of(restart) == {"0 0\n"}
