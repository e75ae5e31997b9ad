"""One test per rule of fork() semantics, each a tiny C program with its exact outcome set.

The rules and the expected outputs come from the reference checklist (real Linux
runs); item numbers refer to it. Pids are canonical: the first process is 1000, its
children 1001, 1002, ... in creation order, and init is 1.
"""
from __future__ import annotations

import itertools

import pytest

from conftest import (
    CHILD1, CHILD2, CHILD3, FIRST, INIT, O, events_of, explore, final_traces, outcomes_of, program, result_of,
    stdouts_of, verdicts, witness_trace,
)

MODES = ("tty", "file", "pipe")
REDIRECTED = ("file", "pipe")


# --------------------------------------------------------------------------- A. creation, return values


def test_fork_returns_zero_in_child_and_child_pid_in_parent():
    src = """
    pid_t p = fork();
    if (p == 0) {
        printf("child p=%d me=%d parent=%d\\n", p, getpid(), getppid());
        fflush(stdout);
        _exit(0);
    }
    printf("parent p=%d me=%d\\n", p, getpid());
    fflush(stdout);
    wait(NULL);
    return 0;
    """
    child = "child p=0 me=1001 parent=1000\n"
    parent = "parent p=1001 me=1000\n"
    for mode in MODES:
        assert outcomes_of(src, mode) == {O(child + parent, processes=2), O(parent + child, processes=2)}, mode


def test_both_processes_continue_from_the_return_of_fork():
    src = """
    printf("once\\n");
    fflush(stdout);
    fork();
    printf("twice\\n");
    fflush(stdout);
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    assert outcomes_of(src) == {O("once\ntwice\ntwice\n", processes=2)}


def test_child_inherits_a_copy_of_globals_and_locals():
    src = """
    int g = 5;
    static int s = 6;
    int main(void)
    {
        int x = 7;
        int a[3] = {1, 2, 3};
        g = 50; x = 70; a[2] = 30;      /* changes made before fork are inherited */
        if (fork() == 0) {
            printf("%d %d %d %d\\n", g, s, x, a[2]);
            exit(0);
        }
        wait(NULL);
        return 0;
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("50 6 70 30\n", processes=2)}


def test_write_after_fork_is_not_seen_by_the_other_process():
    # item 11: globals, stack and the parent's own writes after fork stay private
    src = """
    static int g = 1;
    int main(void)
    {
        int l = 1;
        if (fork() == 0) {
            g = 2; l = 2;
            printf("child %d %d\\n", g, l);
            exit(0);
        }
        wait(NULL);
        printf("parent %d %d\\n", g, l);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("child 2 2\nparent 1 1\n", processes=2)}
    src_parent_writes = """
    int g = 1;
    int main(void)
    {
        pid_t p = fork();
        if (p > 0) {
            g = 3;
            printf("parent %d\\n", g);
            fflush(stdout);
            wait(NULL);
            return 0;
        }
        printf("child %d\\n", g);
        fflush(stdout);
        return 0;
    }
    """
    assert outcomes_of(src_parent_writes) == {
        O("parent 3\nchild 1\n", processes=2), O("child 1\nparent 3\n", processes=2)}


def test_percent_p_prints_the_same_address_in_parent_and_child():
    # item 12: virtual addresses are the same in both processes, even after a COW copy
    src = """
    int g = 1;
    int main(void)
    {
        int l = 2;
        pid_t p = fork();
        if (p == 0) { g = 10; l = 20; }
        printf("%p %p\\n", &g, &l);
        if (p > 0)
            wait(NULL);
        return 0;
    }
    """
    for mode in MODES:
        outs = stdouts_of(src, mode)
        assert len(outs) == 1, outs
        (out,) = outs
        lines = out.splitlines()
        assert len(lines) == 2 and lines[0] == lines[1], out
        gaddr, laddr = lines[0].split()
        assert gaddr.startswith("0x") and laddr.startswith("0x") and gaddr != laddr


# --------------------------------------------------------------------------- E. stdio buffering


HELLO_BYE = """
printf("hello\\n");
fork();
printf("bye\\n");
while (wait(NULL) > 0)
    ;
return 0;
"""


def test_stdout_to_a_file_is_fully_buffered_and_fork_duplicates_the_buffer():
    # item 34 / P4
    for mode in REDIRECTED:
        assert outcomes_of(HELLO_BYE, mode) == {O("hello\nbye\nhello\nbye\n", processes=2)}, mode
    assert outcomes_of(HELLO_BYE, "tty") == {O("hello\nbye\nbye\n", processes=2)}


def test_fflush_before_fork_prevents_the_duplicate():
    # item 35
    src = HELLO_BYE.replace("fork();", "fflush(stdout);\nfork();", 1)
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("hello\nbye\nbye\n", processes=2)}, mode


def test_setvbuf_ionbf_before_fork_prevents_the_duplicate():
    # items 35 and 39
    src = "setvbuf(stdout, NULL, _IONBF, 0);\n" + HELLO_BYE
    # gcc compiles printf("bye\n") as puts("bye"): on an unbuffered stream that is two
    # write(2)s, so the two processes' "bye" and "\n" can interleave (found on the real kernel)
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("hello\nbye\nbye\n", processes=2),
                                          O("hello\nbyebye\n\n", processes=2)}, mode
    no_newline = """
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("x");
    fork();
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(no_newline, mode) == {O("x", processes=2)}, mode


def test_setbuf_null_is_unbuffered():
    src = "setbuf(stdout, NULL);\n" + HELLO_BYE
    # unbuffered: no duplicate; puts("bye") (gcc's form of printf("bye\n")) is two writes
    assert outcomes_of(src, "file") == {O("hello\nbye\nbye\n", processes=2), O("hello\nbyebye\n\n", processes=2)}


def test_setvbuf_iolbf_makes_a_file_line_buffered():
    src = "setvbuf(stdout, NULL, _IOLBF, 0);\n" + HELLO_BYE
    assert outcomes_of(src, "file") == {O("hello\nbye\nbye\n", processes=2)}


def test_setvbuf_iofbf_makes_a_tty_fully_buffered():
    src = "setvbuf(stdout, NULL, _IOFBF, 0);\n" + HELLO_BYE
    assert outcomes_of(src, "tty") == {O("hello\nbye\nhello\nbye\n", processes=2)}


def putchars(n: int) -> str:
    return f"""
    int i;
    for (i = 0; i < {n}; i++)
        putchar('x');
    _exit(0);
    """


@pytest.mark.parametrize("mode,n,written", [
    # item 32: a full buffer is flushed when the next character arrives, not when it fills
    ("file", 4096, 0), ("file", 4097, 4096), ("pipe", 4096, 0), ("pipe", 4097, 4096),
    ("tty", 1024, 0), ("tty", 1025, 1024),
    # item 31: st_blksize buffers: 4096 for a file or pipe, 1024 for a pty
    ("file", 5000, 4096), ("tty", 5000, 4096), ("file", 9000, 8192), ("tty", 8191, 7168),
])
def test_full_buffer_flushes_when_the_next_character_arrives(mode, n, written):
    assert outcomes_of(putchars(n), mode) == {O("x" * written)}


def test_each_flush_of_a_full_buffer_is_one_write():
    r = explore(putchars(8193), "file")
    ((_, t),) = list(final_traces(r))
    assert [len(e.data) for e in events_of(t, "write")] == [4096, 4096]
    grew, before = [], t.initial.stdout
    for step in t.steps:
        if step.state.stdout != before:
            grew.append(len(step.state.stdout) - len(before))
            before = step.state.stdout
    assert grew == [4096, 4096]


def test_a_write_event_carries_the_bytes_written():
    r = explore('write(1, "hi\\n", 3); return 0;')
    ((_, t),) = list(final_traces(r))
    (e,) = events_of(t, "write")
    assert e.fd == 1
    assert e.data == "hi\n"


def test_line_buffered_tty_flushes_at_newline():
    # item 33
    assert outcomes_of('printf("a\\n"); _exit(0);', "tty") == {O("a\n")}
    assert outcomes_of('printf("a\\nb"); _exit(0);', "tty") == {O("a\n")}
    assert outcomes_of('printf("a"); _exit(0);', "tty") == {O("")}
    for mode in REDIRECTED:
        assert outcomes_of('printf("a\\n"); _exit(0);', mode) == {O("")}
    # puts and putchar('\n') flush a line too
    assert outcomes_of('puts("p"); putchar(\'q\'); putchar(\'\\n\'); _exit(0);', "tty") == {O("p\nq\n")}


def test_one_printf_of_two_lines_on_a_tty_is_two_writes():
    assert outcomes_of('printf("a\\nb\\n"); return 0;', "tty") == {O("a\nb\n")}


def test_puts_on_an_unbuffered_stream_writes_the_string_then_the_newline():
    src = """
    setvbuf(stdout, NULL, _IONBF, 0);
    if (fork() == 0) {
        puts("c");
        exit(0);
    }
    puts("p");
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src, "file") == {"c\np\n", "p\nc\n", "cp\n\n", "pc\n\n"}


def test_line_buffered_output_of_two_processes_interleaves_by_line():
    src = """
    if (fork() == 0) {
        printf("c1\\nc2\\n");
        exit(0);
    }
    printf("p1\\n");
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src, "tty") == {"c1\nc2\np1\n", "c1\np1\nc2\n", "p1\nc1\nc2\n"}
    assert stdouts_of(src, "file") == {"c1\nc2\np1\n"}


def test_stderr_is_unbuffered():
    # item 30
    src = """
    fprintf(stderr, "e1");
    printf("o1");
    fork();
    fputs("e2", stderr);
    _exit(0);
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("", stderr="e1e2e2", processes=2)}, mode


def test_write_is_unbuffered_and_appears_before_buffered_printf():
    src = """
    printf("printf\\n");
    write(1, "write\\n", 6);
    return 0;
    """
    for mode in REDIRECTED:
        assert outcomes_of(src, mode) == {O("write\nprintf\n")}
    assert outcomes_of(src, "tty") == {O("printf\nwrite\n")}


def test_write_before_fork_appears_once():
    src = """
    write(1, "w\\n", 2);
    fork();
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("w\n", processes=2)}


# --------------------------------------------------------------------------- F. exit, _exit, atexit

ATEXIT_PRELUDE = """
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
void A(void) { printf("A\\n"); }
void B(void) { printf("B\\n"); }
void C(void) { printf("C\\n"); }
"""


def test_exit_runs_atexit_handlers_in_reverse_order_then_flushes():
    # items 40 and 43
    src = ATEXIT_PRELUDE + """
    int main(void)
    {
        atexit(A); atexit(B); atexit(C);
        printf("main\\n");
        exit(0);
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("main\nC\nB\nA\n")}
    flush_after = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    void H(void) { write(1, "H\\n", 2); }
    int main(void)
    {
        atexit(H);
        printf("main-buffered ");
        exit(0);
    }
    """
    assert outcomes_of(flush_after, "pipe") == {O("H\nmain-buffered ")}
    assert verdicts(src, properties=("atexit-reverse-order",))["atexit-reverse-order"] == "holds"


def test_handler_registered_twice_runs_twice():
    # item 42
    src = ATEXIT_PRELUDE + "int main(void) { atexit(A); atexit(A); exit(0); }"
    assert outcomes_of(src) == {O("A\nA\n")}


def test_handler_registered_during_exit_runs_next():
    # item 41
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    void A(void) { printf("A\\n"); }
    void C(void) { printf("C\\n"); }
    void B(void) { printf("B\\n"); atexit(C); }
    int main(void)
    {
        atexit(A);
        atexit(B);
        exit(0);
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("B\nC\nA\n")}


def test_handler_calling__exit_skips_the_rest_and_the_flush():
    # item 44
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    void A(void) { write(1, "A\\n", 2); }
    void X(void) { _exit(0); }
    int main(void)
    {
        printf("lost");
        atexit(A);
        atexit(X);
        exit(0);
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("")}
    assert verdicts(src, properties=("atexit-reverse-order",))["atexit-reverse-order"] == "violated"


def test__exit_does_not_flush_stdio():
    # items 37 and 47
    src = ATEXIT_PRELUDE + """
    int main(void)
    {
        atexit(A);
        printf("x");
        _exit(0);
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("")}
    assert outcomes_of(src.replace("_exit(0)", "_Exit(0)")) == {O("")}


def test__exit_in_the_child_throws_away_the_inherited_buffer():
    # item 37
    src = ATEXIT_PRELUDE + """
    int main(void)
    {
        atexit(A);
        printf("buffered ");
        if (fork() == 0)
            _exit(0);
        wait(NULL);
        return 0;
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("buffered A\n", processes=2)}


def test_fork_child_inherits_the_atexit_registrations():
    # item 49, exact output on a tty and a pipe
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void A(void) { printf("A\\n"); fflush(stdout); }
    int main(void)
    {
        atexit(A);
        printf("buffered ");
        if (!fork())
            _exit(0);
        wait(NULL);
        if (!fork())
            exit(0);
        wait(NULL);
        printf("|parent\\n");
        fflush(stdout);
        exit(0);
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("buffered A\nbuffered |parent\nA\n", processes=3)}, mode


def test_return_from_main_is_exit():
    # item 46: handlers run, streams are flushed, status is n & 0xff
    src = ATEXIT_PRELUDE + """
    int main(void)
    {
        atexit(A);
        printf("x ");
        return 300;
    }
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("x A\n", exit_status=44)}


def test_falling_off_the_end_of_main_exits_0_and_flushes():
    src = """
    #include <stdio.h>
    int main(void)
    {
        printf("x");
    }
    """
    assert outcomes_of(src) == {O("x", exit_status=0)}


@pytest.mark.parametrize("value,status", [(0, 0), (1, 1), (255, 255), (256, 0), (257, 1), (-1, 255), (300, 44),
                                          (511, 255)])
def test_exit_status_is_masked_to_8_bits(value, status):
    # item 48, seen by the shell and by the parent through wait
    assert outcomes_of(f"exit({value});") == {O("", exit_status=status)}
    assert outcomes_of(f"_exit({value});") == {O("", exit_status=status)}
    assert outcomes_of(f"return {value};") == {O("", exit_status=status)}
    src = f"""
    int s;
    if (fork() == 0)
        exit({value});
    wait(&s);
    printf("%d %d %#x\\n", WIFEXITED(s), WEXITSTATUS(s), s);
    return 0;
    """
    raw = f"{status << 8:#x}" if status else "0"
    assert outcomes_of(src) == {O(f"1 {status} {raw}\n", processes=2)}


# --------------------------------------------------------------------------- G. wait / waitpid


def test_wait_reaps_each_child_once_then_echild():
    # items 51 and 54
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    #include <errno.h>
    #include <sys/wait.h>
    int main(void)
    {
        int s1, s2, s3 = 77;
        if (fork() == 0) _exit(1);
        if (fork() == 0) _exit(2);
        pid_t a = wait(&s1);
        pid_t b = wait(&s2);
        pid_t c = wait(&s3);
        printf("%d:%d %d:%d %d %d %d\\n", a, WEXITSTATUS(s1), b, WEXITSTATUS(s2), c, errno == ECHILD, s3);
        return 0;
    }
    """
    assert outcomes_of(src) == {
        O("1001:1 1002:2 -1 1 77\n", processes=3),
        O("1002:2 1001:1 -1 1 77\n", processes=3),
    }


def test_wait_with_no_children_fails_with_echild_at_once():
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <sys/wait.h>
    int main(void)
    {
        int r = wait(NULL);
        printf("%d %d\\n", r, errno == ECHILD);
        r = waitpid(-1, NULL, WNOHANG);
        printf("%d %d\\n", r, errno == ECHILD);
        r = waitpid(1, NULL, 0);
        printf("%d %d\\n", r, errno == ECHILD);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("-1 1\n-1 1\n-1 1\n")}


def test_waitpid_for_a_reaped_child_fails_with_echild():
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        pid_t c = fork();
        if (c == 0) _exit(0);
        printf("%d ", waitpid(c, NULL, 0));
        printf("%d %d\\n", waitpid(c, NULL, 0), errno == ECHILD);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("1001 -1 1\n", processes=2)}


def test_waitpid_wnohang_returns_0_while_child_runs():
    # item 53
    src = """
    pid_t c = fork();
    if (c == 0) {
        sleep(1);
        _exit(3);
    }
    int s;
    pid_t r = waitpid(c, &s, WNOHANG);
    printf("%d\\n", r);
    if (r == 0)
        r = waitpid(c, &s, 0);
    printf("%d %d\\n", r, WEXITSTATUS(s));
    return 0;
    """
    outs = outcomes_of(src)
    assert any(o.stdout.startswith("0\n") for o in outs)  # the child is still running
    assert any(o.stdout.startswith("1001\n") for o in outs)  # the child has already exited
    assert outs == {O("0\n1001 3\n", processes=2), O("1001\n1001 3\n", processes=2)}
    # the same, as the spec's own expectations
    spec = ("/*@forkspec\n"
            "exists stdout.startswith(\"0\\n\")\n"
            "exists stdout.startswith(\"1001\\n\")\n"
            "~exists stdout.startswith(\"-1\")\n"
            "forall stdout.endswith(\"1001 3\\n\")\n"
            "*/\n") + program(src)
    assert verdicts(spec) == {
        "assert": "holds",
        'exists stdout.startswith("0\\n")': "holds",
        'exists stdout.startswith("1001\\n")': "holds",
        '~exists stdout.startswith("-1")': "holds",
        'forall stdout.endswith("1001 3\\n")': "holds",
        "no-deadlock": "holds",
    }


def test_waitpid_wnohang_never_blocks():
    # with a child that never exits, WNOHANG still returns (0) and the program ends
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        if (fork() == 0) {
            pause();
        }
        printf("%d\\n", waitpid(-1, NULL, WNOHANG));
        fflush(stdout);
        _exit(0);
    }
    """
    r = explore(src)
    # the paused child never ends, so no execution terminates; the parent is never stuck in waitpid
    assert r.exploration.stats.complete
    stuck = [s for s in r.exploration.states if not r.kernel.successors(s) and not r.kernel.is_terminated(s)]
    assert {s.stdout for s in stuck} == {"0\n"}


OLDER_CHILD_EXITS_LATE = """
if (fork() == 0) {                 /* c1 = 1001 */
    write(1, "1", 1);
    _exit(0);
}
if (fork() == 0) {                 /* c2 = 1002 */
    if (fork() == 0) {             /* g = 1003: sees ppid 1 once c2 has exited */
        printf("g%d ", getppid());
        fflush(stdout);
        _exit(0);
    }
    _exit(0);
}
write(1, "P", 1);
printf(" %d\\n", wait(NULL));
while (wait(NULL) > 0)
    ;
return 0;
"""


def test_wait_reaps_the_oldest_zombie_child_first():
    src = """
    if (fork() == 0) _exit(1);
    if (fork() == 0) _exit(2);
    sleep(1);
    int s;
    pid_t r = wait(&s);
    printf("%d:%d\\n", r, WEXITSTATUS(s));
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    # either child may be the only zombie when wait runs; when both are, the older one (1001) comes first
    assert stdouts_of(src) == {"1001:1\n", "1002:2\n"}


def test_a_wait_is_not_settled_while_an_older_child_may_still_exit():
    full = outcomes_of(OLDER_CHILD_EXITS_LATE, merge_local=False, eager_reap=False)
    assert O("g1 P1 1001\n", processes=4) in full
    assert outcomes_of(OLDER_CHILD_EXITS_LATE) == full
    spec = "/*@forkspec\n~exists stdout == \"g1 P1 1001\\n\"\n*/\n" + program(OLDER_CHILD_EXITS_LATE)
    assert verdicts(spec)['~exists stdout == "g1 P1 1001\\n"'] == "violated"


def test_waitpid_specific_pid():
    # item 52, pid > 0: that child and no other, whatever order they exit in
    src = """
    pid_t c1 = fork();
    if (c1 == 0) _exit(1);
    pid_t c2 = fork();
    if (c2 == 0) _exit(2);
    int s;
    pid_t r = waitpid(c2, &s, 0);
    printf("%d:%d ", r, WEXITSTATUS(s));
    r = waitpid(c1, &s, 0);
    printf("%d:%d\\n", r, WEXITSTATUS(s));
    return 0;
    """
    assert outcomes_of(src) == {O("1002:2 1001:1\n", processes=3)}


def test_waitpid_for_a_non_child_fails_with_echild():
    # a grandchild is not the caller's child
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        if (fork() == 0) {
            if (fork() == 0) {
                sleep(1);
                _exit(0);
            }
            wait(NULL);
            _exit(0);
        }
        int r = waitpid(1002, NULL, WNOHANG);
        printf("%d %d\\n", r, errno == ECHILD);
        wait(NULL);
        return 0;
    }
    """
    assert stdouts_of(src) == {"-1 1\n"}


def test_waitpid_pid_zero_and_negative_pgid():
    # item 52: every child is in the parent's process group 1000 here
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        int s;
        if (fork() == 0) _exit(1);
        if (fork() == 0) _exit(2);
        printf("%d %d\\n", getpgrp(), waitpid(-9999, &s, WNOHANG) == -1 && errno == ECHILD);
        pid_t a = waitpid(0, &s, 0);
        int sa = WEXITSTATUS(s);
        pid_t b = waitpid(-getpgrp(), &s, 0);
        int sb = WEXITSTATUS(s);
        pid_t c = waitpid(0, &s, 0);
        printf("%d:%d %d:%d %d %d\\n", a, sa, b, sb, c, errno == ECHILD);
        return 0;
    }
    """
    assert outcomes_of(src) == {
        O("1000 1\n1001:1 1002:2 -1 1\n", processes=3),
        O("1000 1\n1002:2 1001:1 -1 1\n", processes=3),
    }


def test_child_is_in_the_parents_process_group():
    # item 9
    src = """
    if (fork() == 0) {
        printf("%d %d\\n", getpgrp(), getpgrp() == getppid());
        exit(0);
    }
    wait(NULL);
    return 0;
    """
    assert outcomes_of(src) == {O("1000 1\n", processes=2)}


def test_waitpid_with_invalid_options_fails_with_einval():
    # item 55
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        if (fork() == 0) _exit(0);
        int r = waitpid(-1, NULL, -1);
        printf("%d %d\\n", r, errno == EINVAL);
        wait(NULL);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("-1 1\n", processes=2)}


def test_wait_status_macros_bit_for_bit():
    # item 58
    src = """
    int s;
    if (fork() == 0) exit(3);
    wait(&s);
    printf("exit: raw=%#x WIFEXITED=%d WEXITSTATUS=%d WIFSIGNALED=%d\\n", s, WIFEXITED(s), WEXITSTATUS(s),
           WIFSIGNALED(s));
    if (fork() == 0) abort();
    wait(&s);
    printf("abort: raw=%d WIFEXITED=%d WIFSIGNALED=%d WTERMSIG=%d WCOREDUMP=%d WIFSTOPPED=%d\\n", s, WIFEXITED(s),
           WIFSIGNALED(s), WTERMSIG(s), WCOREDUMP(s), WIFSTOPPED(s));
    return 0;
    """
    assert outcomes_of(src) == {O(
        "exit: raw=0x300 WIFEXITED=1 WEXITSTATUS=3 WIFSIGNALED=0\n"
        "abort: raw=6 WIFEXITED=0 WIFSIGNALED=1 WTERMSIG=6 WCOREDUMP=0 WIFSTOPPED=0\n", processes=3)}


def test_abort_throws_away_unflushed_stdio_and_the_shell_sees_134():
    # item 50 (death by a signal): no handlers, no flush; `$?` is 128 + 6
    src = ATEXIT_PRELUDE + """
    int main(void)
    {
        atexit(A);
        printf("x");
        abort();
    }
    """
    assert outcomes_of(src) == {O("", exit_status=134)}


# --------------------------------------------------------------------------- B, H. pids, orphans


def test_orphan_is_reparented_to_init():
    # item 65: once the parent has exited, getppid() is 1
    src = """
    if (fork() == 0) {
        sleep(1);
        printf("%d\\n", getppid());
        exit(0);
    }
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O(f"{FIRST}\n", processes=2), O(f"{INIT}\n", processes=2)}
    r = explore(src, properties=("orphans-reparented", "all-reaped"))
    v = {x.check.name: x.verdict for x in r.exploration.results}
    assert v["orphans-reparented"] == "holds"
    assert v["all-reaped"] == "violated"
    assert v["no-deadlock"] == "holds"


def test_init_reaps_orphaned_zombies():
    # without eager reaping, init's reaping is a step of its own; every execution still ends
    src = """
    if (fork() == 0) {
        if (fork() == 0)
            _exit(0);
        _exit(0);
    }
    _exit(0);
    """
    for eager in (True, False):
        r = explore(src, eager_reap=eager)
        assert r.exploration.stats.complete and r.exploration.stats.deadlocks == 0
        assert {r.kernel.outcome(r.exploration.states[s]) for s in r.exploration.finals} == {O("", processes=3)}


def test_getppid_in_child_is_the_parents_pid():
    # item 8
    src = """
    pid_t me = getpid();
    if (fork() == 0) {
        printf("%d %d\\n", getpid() != me, getppid() == me);
        exit(0);
    }
    wait(NULL);
    return 0;
    """
    assert outcomes_of(src) == {O("1 1\n", processes=2)}


def test_pid_is_never_reused_before_reap():
    # item 10: a sequential fork/wait loop gets strictly increasing pids
    src = """
    int i;
    for (i = 0; i < 3; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        wait(NULL);
        printf("%d ", p);
    }
    return 0;
    """
    assert outcomes_of(src) == {O("1001 1002 1003 ", processes=4)}
    assert verdicts(src, properties=("pid-unique",))["pid-unique"] == "holds"


def test_pids_of_zombie_children_are_not_reused():
    src = """
    if (fork() == 0) _exit(0);
    if (fork() == 0) _exit(0);
    if (fork() == 0) { printf("%d\\n", getpid()); exit(0); }
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    assert outcomes_of(src) == {O("1003\n", processes=4)}


# --------------------------------------------------------------------------- counting processes


def test_short_circuit_fork_and_or_makes_five_processes():
    # item 4, P2
    src = """
    fork() && fork() || fork();
    printf("x\\n");
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("x\n" * 5, processes=5)}, mode


def test_two_unconditional_forks_make_four_processes():
    src = """
    fork();
    fork();
    printf("x\\n");
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("x\n" * 4, processes=4)}


def test_three_unconditional_forks_make_eight_processes():
    src = """
    fork(); fork(); fork();
    _exit(0);
    """
    assert outcomes_of(src) == {O("", processes=8)}


# --------------------------------------------------------------------------- assertions, limits, deadlock


def test_assert_failure_is_reported_with_a_trace():
    src = """
    pid_t p = fork();
    assert(p != 0);
    wait(NULL);
    return 0;
    """
    r = explore(src)
    v = {x.check.name: x.verdict for x in r.exploration.results}
    assert v["assert"] == "violated"
    t = witness_trace(r, "assert")
    assert [e.kind for e in events_of(t) if e.kind in ("fork", "assert_failed")] == ["fork", "assert_failed"]
    failed = events_of(t, "assert_failed")
    assert failed[0].pid == CHILD1 and failed[0].text == "p != 0"
    # the trace replays: every step is a successor of the state before it
    state = t.initial
    for step in t.steps:
        assert any(a == step.action and n == step.state for a, n in r.kernel.successors(state))
        state = step.state
    # glibc's message goes to stderr and the child dies of SIGABRT (the parent still exits 0)
    assert outcomes_of(src) == {
        O("", processes=2, stderr="test: test.c:9: main: Assertion `p != 0' failed.\n")}


def test_assert_that_holds_is_silent():
    assert verdicts("int x = 1; assert(x == 1); return 0;")["assert"] == "holds"


def test_fork_fails_with_eagain_at_the_process_limit():
    # item 89: with room for one process only, every fork fails, creates nothing and sets errno
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        pid_t a = fork();
        if (a == 0) _exit(0);
        printf("%d %d\\n", a, a == -1 && errno == EAGAIN);
        while (wait(NULL) > 0)
            ;
        return 0;
    }
    """
    assert outcomes_of(src, max_procs=1) == {O("-1 1\n", processes=1)}
    assert outcomes_of(src) == {O("1001 0\n", processes=2)}


def test_process_limit_counts_the_running_parent():
    # max_procs=2: the child's own fork fails while its parent is alive (blocked in wait)
    src = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        if (fork() == 0) {
            pid_t g = fork();
            if (g == 0) _exit(0);
            printf("%d %d\\n", g, g == -1 && errno == EAGAIN);
            exit(0);
        }
        wait(NULL);
        return 0;
    }
    """
    assert outcomes_of(src, max_procs=2) == {O("-1 1\n", processes=2)}
    assert outcomes_of(src, max_procs=3) == {O("1002 0\n", processes=3)}


def test_an_unreaped_zombie_still_counts_toward_the_process_limit():
    # on Linux every limit fork checks (RLIMIT_NPROC, threads-max, pids.max) counts a task until it is reaped
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        pid_t a = fork();
        if (a == 0) _exit(0);
        sleep(1);
        pid_t b = fork();
        if (b == 0) _exit(0);
        printf("%d %d %d\\n", a, b, b == -1 && errno == EAGAIN);
        while (wait(NULL) > 0)
            ;
        return 0;
    }
    """
    assert outcomes_of(src, max_procs=2) == {O("1001 -1 1\n", processes=2)}


def test_fork_can_fail_branch():
    # item 2: a failed fork returns -1, creates no child and sets errno
    src = """
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        pid_t p = fork();
        if (p == 0) _exit(0);
        printf("%d %d\\n", p, p == -1 && errno == EAGAIN);
        while (wait(NULL) > 0)
            ;
        return 0;
    }
    """
    assert outcomes_of(src, fork_can_fail=True) == {O("1001 0\n", processes=2), O("-1 1\n", processes=1)}
    assert outcomes_of(src) == {O("1001 0\n", processes=2)}


def test_wait_for_a_child_that_pauses_forever_is_a_deadlock():
    src = """
    #include <unistd.h>
    #include <sys/wait.h>
    int main(void)
    {
        if (fork() == 0)
            pause();
        wait(NULL);
        return 0;
    }
    """
    r = explore(src)
    assert result_of(r, "no-deadlock").verdict == "violated"
    assert r.exploration.stats.complete
    assert r.exploration.finals == []  # the stuck state is not an outcome
    assert outcomes_of(src) == set()
    t = witness_trace(r, "no-deadlock")
    assert not r.kernel.successors(t.final) and not r.kernel.is_terminated(t.final)


def test_wait_without_a_stuck_child_is_not_a_deadlock():
    src = """
    if (fork() == 0)
        _exit(0);
    wait(NULL);
    return 0;
    """
    assert verdicts(src)["no-deadlock"] == "holds"


# --------------------------------------------------------------------------- C. memory


def cow_trace_events(src: str):
    r = explore(src)
    assert r.exploration.stats.complete
    return [(o, [(e.kind, e.pid) for e in events_of(t) if e.kind.startswith("cow") or e.kind == "shared_write"])
            for o, t in final_traces(r)]


def test_copy_on_write_copies_on_first_write_only():
    # item 13: reads never copy, the first write copies, a second write does not
    src = """
    int g = 1;
    int main(void)
    {
        if (fork() == 0) {
            int r = g + g;           /* reads: no fault */
            g = 2;                   /* first write: COW copy */
            g = 3;                   /* second write: no fault */
            printf("%d %d\\n", r, g);
            exit(0);
        }
        wait(NULL);
        printf("%d\\n", g);
        return 0;
    }
    """
    for outcome, evs in cow_trace_events(src):
        assert outcome.stdout == "2 3\n1\n"
        child = [k for k, pid in evs if pid == CHILD1]
        assert child.count("cow_copy") == 1, evs
        assert "shared_write" not in [k for k, _ in evs]


def test_copy_on_write_last_sharer_reuses_the_frame():
    # once the child has its own copy, the parent's later write reuses its frame instead of copying
    src = """
    int g = 1;
    int main(void)
    {
        if (fork() == 0) {
            g = 2;
            _exit(0);
        }
        wait(NULL);
        g = 5;
        printf("%d\\n", g);
        return 0;
    }
    """
    r = explore(src)
    (o, t), = list(final_traces(r))
    assert o.stdout == "5\n"
    evs = [(e.kind, e.pid) for e in events_of(t) if e.kind.startswith("cow")]
    assert evs == [("cow_copy", CHILD1), ("cow_reuse", FIRST)]


def test_no_page_is_shared_and_writable_after_fork():
    src = """
    int g = 1;
    int main(void)
    {
        int l = 1;
        if (fork() == 0) { g = 2; l = 2; _exit(0); }
        g = 3; l = 3;
        wait(NULL);
        return 0;
    }
    """
    v = verdicts(src, properties=("no-shared-writable-page", "cow-isolation"))
    assert v["no-shared-writable-page"] == "holds"
    assert v["cow-isolation"] == "holds"


MMAP = """
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
int main(void)
{
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, FLAGS | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    if (fork() == 0) {
        *sh = 2;
        _exit(0);
    }
    wait(NULL);
    printf("%d\\n", *sh);
    return 0;
}
"""


def test_mmap_shared_page_is_shared_and_violates_no_shared_writable_page():
    # item 14
    src = MMAP.replace("FLAGS", "MAP_SHARED")
    assert outcomes_of(src) == {O("2\n", processes=2)}
    v = verdicts(src, properties=("no-shared-writable-page",))
    assert v["no-shared-writable-page"] == "violated"
    assert verdicts(src, properties=("cow-isolation",))["cow-isolation"] == "holds"


def test_mmap_private_page_is_copied_on_write():
    # item 15
    src = MMAP.replace("FLAGS", "MAP_PRIVATE")
    assert outcomes_of(src) == {O("1\n", processes=2)}
    v = verdicts(src, properties=("no-shared-writable-page", "cow-isolation"))
    assert v["no-shared-writable-page"] == "holds"
    assert v["cow-isolation"] == "holds"


def test_mmap_shared_page_written_by_both_processes_can_interleave():
    src = MMAP.replace("FLAGS", "MAP_SHARED").replace(
        "    wait(NULL);\n    printf", "    *sh = *sh + 10;\n    wait(NULL);\n    printf")
    # the parent's read-modify-write is two steps: the child's write can land between them (a lost update)
    assert stdouts_of(src) == {"2\n", "11\n", "12\n"}


# --------------------------------------------------------------------------- J. vfork


def test_vfork_child_shares_memory():
    # item 76, P5's defined-on-Linux contrast
    src = """
    int x = 1;
    pid_t p = vfork();
    if (p == 0) {
        x = 2;
        _exit(0);
    }
    printf("parent x=%d\\n", x);
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("parent x=2\n", processes=2)}
    assert verdicts(src, properties=("cow-isolation",))["cow-isolation"] == "violated"


def test_vfork_parent_is_suspended_until_the_child_exits():
    # items 75 and 77: the child runs first, and its exit() flushes the shared buffer once
    src = """
    printf("buffered ");
    if (!vfork()) {
        write(1, "[child]", 7);
        exit(0);
    }
    write(1, "[parent]", 8);
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("[child]buffered [parent]", processes=2)}, mode


def test_vfork_child__exit_leaves_the_buffer_to_the_parent():
    src = """
    printf("b ");
    if (!vfork())
        _exit(0);
    printf("p\\n");
    return 0;
    """
    assert outcomes_of(src) == {O("b p\n", processes=2)}


# --------------------------------------------------------------------------- section 3: classic puzzles


def test_p1_for_loop_printf_without_newline_prints_8_dashes():
    src = """
    int i;
    for (i = 0; i < 2; i++) {
        fork();
        printf("-");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    for mode in MODES:
        assert outcomes_of(src, mode) == {O("-" * 8, processes=4)}, mode


def test_p1_for_loop_printf_with_newline_tty_6_redirected_8():
    src = """
    int i;
    for (i = 0; i < 2; i++) {
        fork();
        printf("-\\n");
    }
    while (wait(NULL) > 0)
        ;
    return 0;
    """
    assert outcomes_of(src, "tty") == {O("-\n" * 6, processes=4)}
    for mode in REDIRECTED:
        assert outcomes_of(src, mode) == {O("-\n" * 8, processes=4)}, mode


P3 = """
pid_t pid1 = fork();
pid_t pid2 = fork();
printf("me=%d pid1=%d pid2=%d\\n", getpid(), pid1, pid2);
FLUSH
while (wait(NULL) > 0)
    ;
return 0;
"""


def p3_lines(c2: int, c3: int) -> dict[str, str]:
    """The line of each process when P's second child gets pid c2 and C1's child gets c3."""
    return {
        "P": f"me={FIRST} pid1={CHILD1} pid2={c2}\n",
        "C1": f"me={CHILD1} pid1=0 pid2={c3}\n",
        "C2": f"me={c2} pid1={CHILD1} pid2=0\n",
        "C3": f"me={c3} pid1=0 pid2=0\n",
    }


def test_p3_two_sequential_forks_print_any_of_24_orderings():
    expected = set()
    for c2, c3 in ((CHILD2, CHILD3), (CHILD3, CHILD2)):
        lines = p3_lines(c2, c3)
        for perm in itertools.permutations(lines.values()):
            expected.add(O("".join(perm), processes=4))
    assert len(expected) == 48  # 24 orderings for each of the 2 pid assignments
    for mode in MODES:
        assert outcomes_of(P3.replace("FLUSH", "fflush(stdout);"), mode) == expected, mode
    assert outcomes_of(P3.replace("FLUSH", ""), "tty") == expected


def test_p3_redirected_without_fflush_flushes_at_exit_after_the_children():
    # each process's one pending line is written at its exit, and a parent exits after reaping
    expected = set()
    for c2, c3 in ((CHILD2, CHILD3), (CHILD3, CHILD2)):
        lines = p3_lines(c2, c3)
        for perm in itertools.permutations(["C1", "C2", "C3"]):
            if perm.index("C3") < perm.index("C1"):
                expected.add(O("".join(lines[k] for k in perm) + lines["P"], processes=4))
    assert len(expected) == 6
    for mode in REDIRECTED:
        assert outcomes_of(P3.replace("FLUSH", ""), mode) == expected, mode


def test_p3_without_reaping_any_order_is_possible_even_redirected():
    src = P3.replace("FLUSH", "").replace("while (wait(NULL) > 0)\n    ;\n", "")
    expected = set()
    for c2, c3 in ((CHILD2, CHILD3), (CHILD3, CHILD2)):
        for perm in itertools.permutations(p3_lines(c2, c3).values()):
            expected.add(O("".join(perm), processes=4))
    assert outcomes_of(src, "file") == expected


def test_p4_stdio_duplicate_output_on_redirect():
    src = """
    printf("hello\\n");
    fork();
    printf("bye\\n");
    return 0;
    """
    assert outcomes_of(src, "tty") == {O("hello\nbye\nbye\n", processes=2)}
    for mode in REDIRECTED:
        assert outcomes_of(src, mode) == {O("hello\nbye\nhello\nbye\n", processes=2)}


APUE = """
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int glob = 6;
int main(void)
{
    int var = 88;
    pid_t pid;
    write(1, "a write to stdout\\n", 18);
    printf("before fork\\n");
    if ((pid = fork()) == 0) {
        glob++;
        var++;
    } else {
        sleep(1);
    }
    printf("%s glob = %d, var = %d\\n", pid == 0 ? "child " : "parent", glob, var);
    exit(0);
}
"""


def test_apue_figure_8_1_variant():
    W, B = "a write to stdout\n", "before fork\n"
    Lc, Lp = "child  glob = 7, var = 89\n", "parent glob = 6, var = 88\n"
    assert outcomes_of(APUE, "tty") == {O(W + B + Lc + Lp, processes=2), O(W + B + Lp + Lc, processes=2)}
    for mode in REDIRECTED:
        assert outcomes_of(APUE, mode) == {O(W + B + Lc + B + Lp, processes=2), O(W + B + Lp + B + Lc, processes=2)}


def test_sleep_orders_nothing():
    src = """
    if (fork() == 0) {
        write(1, "c", 1);
        _exit(0);
    }
    sleep(5);
    write(1, "p", 1);
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src) == {"cp", "pc"}
