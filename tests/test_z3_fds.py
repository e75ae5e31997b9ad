"""The Z3 engine on file descriptors: the kernel's `files.py` rules over Z3 terms.

Each program is as small as the behaviour allows (two processes, a few calls) so the
solver answers in seconds; `FORKSPEC_Z3_SPECS='pipe('` or `'open('` in
`tests/test_engine_agreement.py` compares the engines on the fd specs.
"""
from __future__ import annotations

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from forkspec.engines.result import HOLDS, INCONCLUSIVE, VIOLATED
from forkspec.engines.symbolic import chars
from forkspec.trace import rebuild

from z3check import assert_agree, bfs_outcomes, both, verdicts_by_name

HEAD = "#include <stdio.h>\n#include <unistd.h>\n#include <fcntl.h>\n#include <sys/wait.h>\n"


def test_separate_opens_overwrite_each_others_bytes_a_lost_write_whose_step_replays():
    source = "/*@forkspec\nproperties: no-lost-write\n*/\n" + HEAD + """
int main(void) {
    close(open("f", O_WRONLY | O_CREAT, 0644));
    int pid = fork();
    int fd = open("f", O_WRONLY);
    write(fd, "ab", 2);
    if (pid == 0) _exit(0);
    wait(NULL);
    return 0;
}
"""
    z, b = both(source, outcomes=False)
    assert assert_agree(z, b, outcomes=False)["no-lost-write"] == VIOLATED
    x = next(r for r in z.exploration.results if r.check.name == "no-lost-write")
    trace = rebuild(z.kernel, z.exploration, x.witness)
    assert any(e.kind == "lost_write" for e in trace.steps[-1].action.events)


def test_o_append_writes_follow_each_other_so_nothing_is_lost_and_the_offset_is_shared():
    source = "/*@forkspec\nproperties: no-lost-write\n*/\n" + HEAD + """
int main(void) {
    int fd = open("f", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fork() == 0) { write(fd, "c", 1); _exit(0); }
    write(fd, "pp", 2);
    wait(NULL);
    printf("%ld\\n", (long)lseek(fd, 0, SEEK_CUR));
    return 0;
}
"""
    z, b = both(source)
    assert assert_agree(z, b)["no-lost-write"] == HOLDS
    assert {o.stdout for o in bfs_outcomes(b)} == {"3\n"}


def test_a_read_of_an_empty_pipe_waits_for_the_writer_then_sees_end_of_file():
    source = "/*@forkspec\nforall stdout == \"2:hi 0\"\n*/\n" + HEAD + """
int main(void) {
    int p[2];
    char buf[4];
    pipe(p);
    if (fork() == 0) { write(p[1], "hi", 2); _exit(0); }
    close(p[1]);
    int n = read(p[0], buf, 3);
    buf[n] = 0;
    printf("%d:%s ", n, buf);
    printf("%d", (int)read(p[0], buf, 3));
    return 0;
}
"""
    z, b = both(source)
    assert set(assert_agree(z, b).values()) == {HOLDS}


def test_a_reader_that_keeps_its_own_write_end_open_waits_for_ever():
    source = "/*@forkspec\nviolates: no-deadlock\n*/\n" + HEAD + """
int main(void) {
    int p[2];
    char buf[2];
    pipe(p);
    read(p[0], buf, 1);
    return 0;
}
"""
    z, b = both(source, outcomes=False)
    assert assert_agree(z, b, outcomes=False)["no-deadlock"] == VIOLATED
    x = next(r for r in z.exploration.results if r.check.name == "no-deadlock")
    trace = rebuild(z.kernel, z.exploration, x.witness)
    assert z.kernel.successors(trace.final) == [] and not z.kernel.is_terminated(trace.final)


def test_a_write_to_a_pipe_without_reader_is_killed_by_sigpipe():
    source = "/*@forkspec\nforall stdout == \"13\\n\"\n*/\n" + HEAD + """
int main(void) {
    int p[2], status;
    pipe(p);
    close(p[0]);
    if (fork() == 0) { write(p[1], "x", 1); _exit(0); }
    wait(&status);
    printf("%d\\n", WTERMSIG(status));
    return 0;
}
"""
    z, b = both(source)
    assert set(assert_agree(z, b).values()) == {HOLDS}


def test_cloexec_is_per_fd_status_flags_per_description_and_perror_names_errno():
    source = "/*@forkspec\n*/\n" + HEAD + """
int main(void) {
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    int d = dup(fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(d, F_SETFL, O_APPEND);
    printf("%d %d %d\\n", fcntl(fd, F_GETFD), fcntl(d, F_GETFD), !!(fcntl(fd, F_GETFL) & O_APPEND));
    close(d);
    if (close(d) < 0) perror("close");
    return 0;
}
"""
    z, b = both(source)
    assert_agree(z, b)
    assert {(o.stdout, o.stderr) for o in bfs_outcomes(b)} == {("1 0 1\n", "close: Bad file descriptor\n")}


def test_stdout_redirected_to_a_file_is_beyond_the_encoding_never_a_verdict():
    source = "/*@forkspec\nforall stdout == \"\"\n*/\n" + HEAD + """
int main(void) {
    dup2(open("out", O_WRONLY | O_CREAT, 0644), 1);
    printf("x\\n");
    return 0;
}
"""
    z, _ = both(source, outcomes=False)
    assert set(verdicts_by_name(z).values()) == {INCONCLUSIVE}
    assert "beyond the encoding: stdout or stderr redirected" in z.exploration.stats.cut  # the path's own reason


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(alphabet="ab\0", min_size=1, max_size=8), st.integers(0, 8), st.sampled_from([0, 120, 255]),
       st.integers(0, 8))
def test_byte_vectors_mean_what_the_kernels_strings_do(text, i, c, count):
    bits = chars.const_bits(text, len(text))
    if i < len(text):
        changed = z3.simplify(chars.set_byte(bits, z3.BitVecVal(i, 64), z3.BitVecVal(c, 64)))
        assert chars.value(changed, len(text)) == text[:i] + chr(c) + text[i + 1:]
    k = min(count, len(text))
    low = z3.simplify(bits & chars.mask(z3.BitVecVal(k, 64), bits.size()))
    assert chars.value(low, len(text)) == text[:k] + "\0" * (len(text) - k)
    rest = z3.simplify(chars.shift_bytes(bits, z3.BitVecVal(k, 64), False))
    assert chars.value(rest, len(text)) == text[k:] + "\0" * k
    term, length = chars.c_string(chars.Chars(z3.BitVec("b", bits.size()), len(text)))
    m = z3.Solver()
    m.add(z3.BitVec("b", bits.size()) == bits)
    assert m.check() == z3.sat
    shown = text.split("\0", 1)[0]
    assert m.model().eval(length).as_long() == len(shown)
    assert m.model().eval(term, model_completion=True).as_string() == shown
