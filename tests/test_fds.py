"""File descriptors, pipes, named files and locks: one test per rule (reference items 20-28, 36).

Pids are canonical (the first process 1000, its children 1001, ...). Files live in
the model's own file system, which starts empty; a test reads a file back to see it.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import O, forkspec_cli, outcomes_of, stdouts_of, verdicts
from forkspec import realrun
from forkspec.errors import ForkspecError
from forkspec.frontend import load_spec
from forkspec.kernel.files import subtract
from forkspec.session import Options, run

SHOW_FILE = """
void show(const char *name) {
    char buf[64];
    int fd = open(name, O_RDONLY);
    int n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("%s=[%s]\\n", name, buf);
    close(fd);
}
"""


def with_main(body: str, helpers: str = SHOW_FILE) -> str:
    return f"#include <stdio.h>\n#include <unistd.h>\n#include <fcntl.h>\n#include <sys/wait.h>\n{helpers}\nint main(void) {{\n{body}\n}}\n"


# --------------------------------------------------------------------------- items 20-23: sharing after fork


def test_children_reading_through_an_inherited_fd_share_one_offset():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "ab", 2);
    lseek(fd, 0, SEEK_SET);
    for (int i = 0; i < 2; i++)
        if (fork() == 0) { char c[3]; read(fd, c, 1); c[1] = '\\n'; write(1, c, 2); _exit(0); }
    wait(NULL); wait(NULL);
    return 0;
    """)
    assert stdouts_of(src) == {"a\nb\n", "b\na\n"}  # each byte read once: never "a\na\n"


def test_writes_through_a_shared_description_follow_each_other():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fork() == 0) { write(fd, "cc", 2); _exit(0); }
    write(fd, "pp", 2);
    wait(NULL);
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"f=[ccpp]\n", "f=[ppcc]\n"}
    assert verdicts(src, properties=("no-lost-write",))["no-lost-write"] == "holds"


def test_lseek_in_the_child_moves_the_parents_offset():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "AAAA", 4);
    if (fork() == 0) { lseek(fd, 0, SEEK_SET); _exit(0); }
    wait(NULL);
    printf("%ld\\n", (long)lseek(fd, 0, SEEK_CUR));
    return 0;
    """)
    assert stdouts_of(src) == {"0\n"}


def test_status_flags_are_shared_but_fd_flags_are_per_descriptor():
    src = with_main("""
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    if (fork() == 0) { fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK); fcntl(fd, F_SETFD, FD_CLOEXEC); _exit(0); }
    wait(NULL);
    int fl = fcntl(fd, F_GETFL);
    printf("%d %d %d %d\\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK), fl & O_ACCMODE, fcntl(fd, F_GETFD));
    return 0;
    """)
    assert stdouts_of(src) == {"1 1 1 0\n"}


def test_fork_copies_the_fd_cloexec_flag_into_the_childs_table():
    src = with_main("""
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    int plain = dup(fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fork() == 0) { printf("%d %d\\n", fcntl(fd, F_GETFD) & FD_CLOEXEC, fcntl(plain, F_GETFD)); return 0; }
    wait(NULL);
    return 0;
    """, helpers="")
    assert stdouts_of(src) == {"1 0\n"}


def test_close_in_the_child_leaves_the_parents_fd_open():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fork() == 0) { close(fd); _exit(0); }
    wait(NULL);
    printf("%d\\n", (int)write(fd, "x", 1));
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"1\nf=[x]\n"}


def test_bad_fds_fail_with_ebadf():
    src = with_main("""
    char b[4];
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    int r1 = read(fd, b, 1); int e1 = errno;
    int r2 = write(7, "x", 1); int e2 = errno;
    int r3 = close(7); int e3 = errno;
    int r4 = dup2(9, 3); int e4 = errno;
    printf("%d %d %d %d %d\\n", r1, r2, r3, r4, e1 == EBADF && e2 == EBADF && e3 == EBADF && e4 == EBADF);
    return 0;
    """)
    assert stdouts_of(src) == {"-1 -1 -1 -1 1\n"}


def test_open_errors_enoent_and_eexist():
    src = with_main("""
    int a = open("missing", O_RDONLY); int ea = errno;
    close(open("there", O_WRONLY | O_CREAT, 0644));
    int b = open("there", O_WRONLY | O_CREAT | O_EXCL, 0644); int eb = errno;
    printf("%d %d %d %d\\n", a, ea == ENOENT, b, eb == EEXIST);
    return 0;
    """)
    assert stdouts_of(src) == {"-1 1 -1 1\n"}


def test_open_returns_the_lowest_free_fd_and_dup_shares_the_offset():
    src = with_main("""
    close(0);
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int d = dup(fd);
    write(fd, "ab", 2);
    write(d, "cd", 2);
    printf("%d %d %ld\\n", fd, d, (long)lseek(fd, 0, SEEK_CUR));
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"0 3 4\nf=[abcd]\n"}


def test_o_trunc_empties_and_writing_past_the_end_leaves_a_hole_of_zero_bytes():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    lseek(fd, 2, SEEK_SET);
    write(fd, "x", 1);
    printf("%ld\\n", (long)lseek(fd, 0, SEEK_END));
    char b[8];
    lseek(fd, 0, SEEK_SET);
    printf("%d %d\\n", (int)read(fd, b, 7), b[0]);
    close(open("f", O_WRONLY | O_TRUNC));
    printf("%ld\\n", (long)lseek(fd, 0, SEEK_END));
    return 0;
    """)
    assert stdouts_of(src) == {"3\n3 0\n0\n"}


# --------------------------------------------------------------------------- item 25: O_APPEND and no-lost-write


def test_separate_opens_with_o_append_never_overwrite():
    src = with_main("""
    close(open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    pid_t pid = fork();
    int fd = open("f", O_WRONLY | O_APPEND);
    write(fd, pid ? "pp" : "cc", 2);
    if (pid == 0) _exit(0);
    wait(NULL);
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"f=[ccpp]\n", "f=[ppcc]\n"}
    assert verdicts(src, properties=("no-lost-write",))["no-lost-write"] == "holds"


def test_separate_opens_without_o_append_overwrite_and_violate_no_lost_write():
    src = with_main("""
    close(open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    pid_t pid = fork();
    int fd = open("f", O_WRONLY);
    write(fd, pid ? "pp" : "cc", 2);
    if (pid == 0) _exit(0);
    wait(NULL);
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"f=[cc]\n", "f=[pp]\n"}
    assert verdicts(src, properties=("no-lost-write",))["no-lost-write"] == "violated"


def test_one_process_rewriting_its_own_bytes_is_not_a_lost_write():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "ab", 2);
    lseek(fd, 0, SEEK_SET);
    write(fd, "X", 1);
    show("f");
    return 0;
    """)
    assert stdouts_of(src) == {"f=[Xb]\n"}
    assert verdicts(src, properties=("no-lost-write",))["no-lost-write"] == "holds"


# --------------------------------------------------------------------------- pipes, item 36


PIPE_CHILD_WRITES = """
    int fds[2]; char buf[8];
    pipe(fds);
    if (fork() == 0) { close(fds[0]); write(1, "w\\n", 2); write(fds[1], "hi", 2); _exit(0); }
    {close_writer}
    int n = read(fds[0], buf, 7);
    printf("r%d %s\\n", n, buf);
    fflush(stdout);
    {second_read}
    wait(NULL);
    return 0;
"""


def test_read_of_an_empty_pipe_waits_for_the_writer():
    src = with_main(PIPE_CHILD_WRITES.replace("{close_writer}", "close(fds[1]);").replace("{second_read}", ""))
    assert stdouts_of(src, "tty") == {"w\nr2 hi\n"}  # the read never returns before the child's write


def test_read_returns_zero_once_no_writer_is_left():
    second = 'printf("r%d\\n", (int)read(fds[0], buf, 7));'
    src = with_main(PIPE_CHILD_WRITES.replace("{close_writer}", "close(fds[1]);").replace("{second_read}", second))
    assert stdouts_of(src, "tty") == {"w\nr2 hi\nr0\n"}


def test_a_reader_that_keeps_its_own_write_end_open_deadlocks_at_eof():
    second = 'read(fds[0], buf, 7);'
    src = with_main(PIPE_CHILD_WRITES.replace("{close_writer}", "").replace("{second_read}", second))
    assert verdicts(src)["no-deadlock"] == "violated"
    assert outcomes_of(src) == set()


def test_a_nonblocking_read_of_an_empty_pipe_fails_with_eagain():
    src = with_main("""
    int fds[2]; char b[4];
    pipe2(fds, O_NONBLOCK);
    int r = read(fds[0], b, 3);
    printf("%d %d\\n", r, errno == EAGAIN);
    close(fds[1]);
    printf("%d\\n", (int)read(fds[0], b, 3));
    return 0;
    """)
    assert stdouts_of(src) == {"-1 1\n0\n"}


def test_a_write_to_a_pipe_without_a_reader_is_killed_by_sigpipe():
    src = with_main("""
    int fds[2];
    pipe(fds);
    close(fds[0]);
    write(fds[1], "x", 1);
    printf("not reached\\n");
    return 0;
    """)
    assert outcomes_of(src) == {O("", exit_status=128 + 13)}


def test_pipe_writes_of_two_processes_do_not_mix_inside_a_write():
    src = with_main("""
    int fds[2]; char b[16];
    pipe(fds);
    if (fork() == 0) { write(fds[1], "aaa", 3); _exit(0); }
    write(fds[1], "bbb", 3);
    close(fds[1]);
    wait(NULL);
    int n = read(fds[0], b, 15);
    write(1, b, n);
    return 0;
    """)
    assert stdouts_of(src) == {"aaabbb", "bbbaaa"}


def test_lseek_on_a_pipe_fails_with_espipe():
    src = with_main("""
    int fds[2];
    pipe(fds);
    printf("%ld %d\\n", (long)lseek(fds[0], 0, SEEK_CUR), errno == ESPIPE);
    return 0;
    """)
    assert stdouts_of(src) == {"-1 1\n"}


# --------------------------------------------------------------------------- stdout redirected


def test_dup2_onto_stdout_before_any_output_makes_a_tty_stdout_fully_buffered():
    src = with_main("""
    int fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int saved = dup(1);
    dup2(fd, 1);
    printf("x\\n");
    if (fork() == 0) return 0;
    wait(NULL);
    fflush(stdout);
    dup2(saved, 1);
    show("out");
    return 0;
    """)
    assert stdouts_of(src, "tty") == {"out=[x\nx\n]\n"}  # the buffered line was copied by fork


def test_dup2_after_the_first_output_keeps_glibcs_earlier_buffering_decision():
    src = with_main("""
    int fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int saved = dup(1);
    printf("tty\\n");
    dup2(fd, 1);
    printf("x\\n");
    if (fork() == 0) return 0;
    wait(NULL);
    dup2(saved, 1);
    show("out");
    return 0;
    """)
    assert stdouts_of(src, "tty") == {"tty\nout=[x\n]\n"}  # still line buffered: x was written before fork


def test_output_to_a_closed_stdout_is_lost_silently():
    src = with_main("""
    close(1);
    printf("gone\\n");
    return 0;
    """)
    assert outcomes_of(src) == {O("")}


# --------------------------------------------------------------------------- items 26-28: locks


RECORD_LOCK = """
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    struct flock wr = {F_WRLCK, SEEK_SET, 0, 0};
"""


def test_record_locks_are_not_inherited_by_the_child():
    src = with_main(RECORD_LOCK + """
    fcntl(fd, F_SETLK, &wr);
    if (fork() == 0) {
        struct flock q = {.l_type = F_RDLCK};
        int r = fcntl(fd, F_SETLK, &q);
        int e = errno;
        fcntl(fd, F_GETLK, &q);
        printf("%d %d %d %d\\n", r, e == EAGAIN, q.l_type == F_WRLCK, q.l_pid);
        return 0;
    }
    wait(NULL);
    return 0;
    """)
    assert stdouts_of(src) == {"-1 1 1 1000\n"}


def test_f_setlkw_waits_until_the_owner_unlocks():
    src = with_main(RECORD_LOCK + """
    fcntl(fd, F_SETLK, &wr);
    if (fork() == 0) {
        struct flock mine = {F_WRLCK, SEEK_SET, 0, 0};
        fcntl(fd, F_SETLKW, &mine);
        write(1, "child locked\\n", 13);
        _exit(0);
    }
    write(1, "parent unlocks\\n", 15);
    wr.l_type = F_UNLCK;
    fcntl(fd, F_SETLK, &wr);
    wait(NULL);
    return 0;
    """)
    assert stdouts_of(src) == {"parent unlocks\nchild locked\n"}


def test_f_setlkw_that_would_close_a_cycle_of_waiters_fails_with_edeadlk():
    src = with_main(RECORD_LOCK + """
    struct flock b0 = {F_WRLCK, SEEK_SET, 0, 1};
    struct flock b1 = {F_WRLCK, SEEK_SET, 1, 1};
    int ready[2]; char c[2];
    pipe(ready);
    fcntl(fd, F_SETLK, &b0);
    if (fork() == 0) {
        fcntl(fd, F_SETLK, &b1);
        write(ready[1], "r", 1);
        int r = fcntl(fd, F_SETLKW, &b0);
        printf("child %d %d\\n", r, r ? errno == EDEADLK : 1);
        return 0;
    }
    read(ready[0], c, 1);
    int r = fcntl(fd, F_SETLKW, &b1);
    int e = errno;
    if (r == -1) close(fd);
    wait(NULL);
    printf("parent %d %d\\n", r, r ? e == EDEADLK : 1);
    return 0;
    """, helpers="")
    assert stdouts_of(src) == {"child -1 1\nparent 0 1\n", "child 0 1\nparent -1 1\n"}
    assert verdicts(src)["no-deadlock"] == "holds"


def test_record_locks_on_separate_ranges_do_not_conflict():
    src = with_main(RECORD_LOCK + """
    struct flock a = {F_WRLCK, SEEK_SET, 0, 10};
    fcntl(fd, F_SETLK, &a);
    if (fork() == 0) {
        struct flock b = {F_WRLCK, SEEK_SET, 10, 5};
        struct flock c = {F_WRLCK, SEEK_SET, 9, 1};
        printf("%d %d\\n", fcntl(fd, F_SETLK, &b), fcntl(fd, F_SETLK, &c));
        return 0;
    }
    wait(NULL);
    return 0;
    """)
    assert stdouts_of(src) == {"0 -1\n"}


def test_closing_any_fd_of_the_file_releases_the_owners_record_locks():
    src = with_main(RECORD_LOCK + """
    fcntl(fd, F_SETLK, &wr);
    close(open("f", O_RDONLY));
    if (fork() == 0) {
        struct flock q = {F_WRLCK, SEEK_SET, 0, 0};
        fcntl(fd, F_GETLK, &q);
        printf("%d\\n", q.l_type == F_UNLCK);
        return 0;
    }
    wait(NULL);
    return 0;
    """)
    assert stdouts_of(src) == {"1\n"}


def test_record_locks_go_when_their_owner_exits():
    src = with_main(RECORD_LOCK + """
    if (fork() == 0) { fcntl(fd, F_SETLK, &wr); _exit(0); }
    wait(NULL);
    printf("%d\\n", fcntl(fd, F_SETLK, &wr));
    return 0;
    """)
    assert stdouts_of(src) == {"0\n"}


def test_flock_is_shared_through_the_description_and_conflicts_through_a_new_open():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    flock(fd, LOCK_EX);
    if (fork() == 0) {
        int a = flock(fd, LOCK_EX | LOCK_NB);
        int b = flock(open("f", O_RDONLY), LOCK_SH | LOCK_NB);
        printf("%d %d %d\\n", a, b, errno == EWOULDBLOCK);
        flock(fd, LOCK_UN);
        return 0;
    }
    wait(NULL);
    printf("%d\\n", flock(open("f", O_RDONLY), LOCK_SH | LOCK_NB));
    return 0;
    """)
    assert stdouts_of(src) == {"0 -1 1\n0\n"}  # the child's unlock released the shared lock


def test_converting_a_flock_lock_drops_the_old_lock_first_even_when_the_conversion_fails():
    src = with_main("""
    int a = open("f", O_RDWR | O_CREAT, 0644);
    int b = open("f", O_RDWR);
    flock(a, LOCK_SH);
    flock(b, LOCK_SH);
    int r1 = flock(a, LOCK_EX | LOCK_NB);
    int e1 = errno;
    printf("%d %d %d\\n", r1, e1 == EWOULDBLOCK, flock(b, LOCK_EX | LOCK_NB));
    return 0;
    """, helpers="")
    assert stdouts_of(src) == {"-1 1 0\n"}  # as Linux prints: a's shared lock is gone


def test_a_waiting_conversion_lets_another_holder_convert_first():
    src = with_main("""
    int a = open("f", O_RDWR | O_CREAT, 0644);
    flock(a, LOCK_SH);
    if (fork() == 0) {
        int b = open("f", O_RDWR);
        flock(b, LOCK_SH);
        write(1, "child shares\\n", 13);
        flock(b, LOCK_EX);
        write(1, "child converted\\n", 16);
        _exit(0);
    }
    flock(a, LOCK_EX);
    write(1, "parent converted\\n", 17);
    flock(a, LOCK_UN);
    wait(NULL);
    return 0;
    """, helpers="")
    outs = stdouts_of(src)
    # both may wait to convert at once; each gave up its shared lock, so one of them gets through
    assert "child shares\nparent converted\nchild converted\n" in outs
    assert "child shares\nchild converted\nparent converted\n" in outs
    assert verdicts(src)["no-deadlock"] == "holds"


def test_a_blocking_flock_against_a_lock_never_released_deadlocks():
    src = with_main("""
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    flock(fd, LOCK_EX);
    flock(open("f", O_RDONLY), LOCK_EX);
    return 0;
    """)
    assert verdicts(src)["no-deadlock"] == "violated"


@given(st.integers(0, 20), st.integers(-1, 20), st.integers(0, 20), st.integers(-1, 20))
def test_subtracting_a_range_from_a_lock_leaves_exactly_the_bytes_outside_it(s, e, cs, ce):
    if 0 <= e <= s:
        e = s + 1
    if 0 <= ce <= cs:
        ce = cs + 1
    top = 50

    def covered(ranges):
        return {b for (_, _, _, a, z) in ranges for b in range(a, top if z < 0 else z)}

    lock = ("f", 1, 1, s, e)
    cut = set(range(cs, top if ce < 0 else ce))
    assert covered(subtract(lock, cs, ce)) == covered([lock]) - cut


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("body, words", [
    ('open("/etc/passwd", O_RDONLY);', ("open", "working directory")),
    ('open("f", O_RDONLY | 0100000);', ("open flags", "O_APPEND")),
    ('fcntl(1, 99);', ("fcntl command 99", "F_SETLK")),
    ('char *p = "abc"; read(0, p, 3);', ("char array",)),
    ('struct stat st;', ("struct stat", "struct flock")),
    ('struct flock f; f.l_foo = 1;', ("l_foo", "l_type")),
])
def test_unsupported_fd_calls_and_flags_name_the_place_and_exit_2(body, words, spec_file):
    path = spec_file(with_main(body + "\nreturn 0;", helpers=""))
    with pytest.raises(ForkspecError) as e:
        run(load_spec(path), "file", Options())
    assert e.value.exit_code == 2
    first = e.value.render().splitlines()[0]
    assert first.startswith(f"{path}:7:")  # the file and line of the call
    for w in words:
        assert w in first, first


def test_an_unsupported_call_on_the_command_line_exits_2_without_a_traceback(spec_file):
    path = spec_file(with_main('fcntl(1, 99);\nreturn 0;', helpers=""))
    done = forkspec_cli("check", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}:7:") and "fcntl command 99" in done.stderr


def test_a_pipe_write_larger_than_pipe_buf_is_refused():
    src = with_main("""
    int fds[2];
    char big[5000];
    pipe(fds);
    write(fds[1], big, 4097);
    return 0;
    """)
    with pytest.raises(ForkspecError, match="PIPE_BUF"):
        outcomes_of(src)


# --------------------------------------------------------------------------- against the real kernel

FLAGS = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_WRONLY | O_APPEND", "O_RDWR | O_APPEND"]


@st.composite
def fd_programs(draw, concurrent: bool = False) -> str:
    """A program of open/write/read/lseek/dup/dup2/close/fcntl calls on two files, printing
    every result (and errno on failure), perhaps with a fork whose child runs some of them
    while the parent waits: deterministic, so the model must print exactly what Linux does."""
    lines = ['setvbuf(stdout, NULL, _IONBF, 0);', 'int f[4] = {-1, -1, -1, -1};', 'char buf[9];', 'long r;',
             'int p[2];']
    fork_at = draw(st.integers(0, 12))  # beyond the last call: no fork
    end_child = draw(st.integers(1, 4))
    for n in range(draw(st.integers(3, 10))):
        if n == fork_at:
            lines.append("pid_t pid = fork();")
            lines.append("if (pid == 0) {")
        elif n == fork_at + end_child:
            lines.append("_exit(0); }")
            if not concurrent:
                lines.append("wait(NULL);")
        i, j = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        name = draw(st.sampled_from(['"a"', '"b"']))
        op = draw(st.sampled_from(["open", "create", "write", "read", "lseek", "dup", "dup2", "close", "setfl",
                                   "pipe"]))
        if op == "pipe":  # non-blocking, so that no read waits for ever in a program of one process
            call = f"r = pipe2(p, O_NONBLOCK); f[{i}] = p[0]; f[{j}] = p[1]"
        elif op == "open":
            call = f"f[{i}] = open({name}, {draw(st.sampled_from(FLAGS))})"
        elif op == "create":
            call = f"f[{i}] = open({name}, O_RDWR | O_CREAT{draw(st.sampled_from(['', ' | O_TRUNC', ' | O_APPEND']))}, 0644)"
        elif op == "write":
            text = draw(st.sampled_from(["x", "yz", "uvw"]))
            call = f'r = write(f[{i}], "{text}", {draw(st.integers(0, len(text)))})'
        elif op == "read":
            call = f'r = read(f[{i}], buf, {draw(st.integers(0, 7))}); buf[r > 0 ? r : 0] = 0; printf("[%s]", buf)'
        elif op == "lseek":
            call = f"r = lseek(f[{i}], {draw(st.integers(-1, 4))}, {draw(st.sampled_from(['SEEK_SET', 'SEEK_CUR', 'SEEK_END']))})"
        elif op == "dup":
            call = f"f[{i}] = dup(f[{j}])"
        elif op == "dup2":
            call = f"r = dup2(f[{j}], f[{i}])"
        elif op == "close":
            call = f"r = close(f[{i}])"
        else:
            call = f"r = fcntl(f[{i}], F_SETFL, O_APPEND)"
        target = f"f[{i}]" if call.startswith("f[") else "r"
        lines.append(f'{call}; printf("{op} %ld %d\\n", (long){target}, {target} < 0 ? errno : 0);')
    if "_exit(0); }" not in lines and "if (pid == 0) {" in lines:
        lines += ["_exit(0); }"] + ([] if concurrent else ["wait(NULL);"])
    if concurrent and "if (pid == 0) {" in lines:
        lines.append("wait(NULL);")
    body = "\n    ".join(lines)
    return f"""#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {{
    {body}
    return 0;
}}
"""


@pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc) on this machine")
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fd_programs())
def test_fd_programs_with_a_waited_for_child_print_what_linux_prints(source):
    with tempfile.TemporaryDirectory(prefix="forkspec-fds-") as tmp:
        path = Path(tmp) / "prog.c"
        path.write_text(source)
        model = {(o.stdout, o.exit_status) for o in outcomes_of(source)}
        real = realrun.run_once(realrun.compile_spec(path, Path(tmp) / "build", perturb=False), "file")
    assert model == {(real.stdout, real.exit_status)}, source


@pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc) on this machine")
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fd_programs(concurrent=True))
def test_fd_programs_with_a_concurrent_child_print_only_what_the_model_allows(source):
    with tempfile.TemporaryDirectory(prefix="forkspec-fds-") as tmp:
        path = Path(tmp) / "prog.c"
        path.write_text(source)
        model = {(o.stdout, o.exit_status) for o in outcomes_of(source)}
        exe = realrun.compile_spec(path, Path(tmp) / "build")
        for i in range(3):
            real = realrun.run_once(exe, "file", perturb=realrun.perturbation(i))
            assert (real.stdout, real.exit_status) in model, source
