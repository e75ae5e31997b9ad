"""Strings kept in variables under the Z3 engine (`symbolic/strings.py`): a number naming one
of the program's literals, decoded where a string is needed; checked against BFS on verdicts
and outcome sets, with every Z3 trace replayed in the kernel."""
from __future__ import annotations

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.engines.symbolic.strings import literals
from forkspec.errors import UnsupportedError
from forkspec.frontend import parse_spec
from forkspec.session import run_z3
from forkspec.trace import rebuild

from z3check import FAST, assert_agree, bfs_outcomes, both

HEADER = "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n#include <sys/wait.h>\n"

NAMES = """/*@forkspec
forall stdout == "child c 1 1 c\\nparent parent-tag 10 0 p\\nparent\\n"
*/
""" + HEADER + """
const char *who(int child) { return child ? "child" : "parent"; }

int main(void) {
    pid_t pid = fork();
    const char *name = who(pid == 0);
    const char *tag;
    if (pid == 0)
        tag = "c";
    else
        tag = "parent-tag";
    printf("%s %s %d %d %c\\n", name, tag, (int)strlen(tag), strcmp(name, "child") == 0, tag[0]);
    if (pid == 0) {
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    puts(name);
    return 0;
}
"""


def test_the_table_holds_the_literals_a_variable_may_hold_not_formats():
    spec = parse_spec(NAMES, "strings.c")
    assert literals(spec.program) == ("c", "child", "parent", "parent-tag")


def test_strings_returned_assigned_in_branches_and_printed_give_the_outcomes_bfs_gives():
    z, b = both(NAMES, z3_opts=FAST)
    assert_agree(z, b)
    assert z.exploration.results[1].verdict == HOLDS and z.exploration.stats.complete
    assert len(bfs_outcomes(b)) == 1


def test_a_wrong_expectation_on_a_kept_string_is_violated_and_the_solvers_trace_replays():
    source = NAMES.replace('forall stdout == "child c', 'forall stdout == "child child')
    z, b = both(source)
    assert_agree(z, b)
    bad = z.exploration.results[1]
    assert bad.verdict == VIOLATED == b.exploration.results[1].verdict
    trace = rebuild(z.kernel, z.exploration, bad.witness)  # followed step by step in the kernel
    assert trace.final.stdout.startswith("child c 1 1 c\n")


def test_a_null_string_pointer_is_tested_by_its_truth_and_strcmp_compares_the_decoded_texts():
    source = """/*@forkspec
exists stdout == "none 0\\nchild child 1\\n"
exists stdout == "child child 1\\nnone 0\\n"
forall stdout.endswith("none 0\\n") or stdout.endswith("child child 1\\n")
*/
""" + HEADER + """
int main(void) {
    const char *s = 0;
    const char *t = "child";
    if (fork() == 0)
        s = "child";
    if (s)
        printf("%s %s %d\\n", s, t, strcmp(s, t) == 0);
    else
        printf("none %d\\n", s != 0);
    fflush(stdout);
    return 0;
}
"""
    z, b = both(source, z3_opts=FAST)
    assert set(assert_agree(z, b).values()) == {HOLDS}
    assert len(bfs_outcomes(b)) == 2


def test_printing_a_comparison_through_an_unbuffered_stdout_is_decided_on_its_two_values():
    source = """/*@forkspec
forall stdout == "child 1\\nparent 0\\n" or stdout == "parent 0\\nchild 1\\n"
exists stdout == "parent 0\\nchild 1\\n"
*/
""" + HEADER + """
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    printf("%s %d\\n", pid == 0 ? "child" : "parent", pid == 0);
    return 0;
}
"""
    z, b = both(source, z3_opts=FAST)  # the digits of an unknown number would take more paths than a step may have
    assert_agree(z, b)
    assert z.exploration.results[1].verdict == HOLDS and z.exploration.stats.complete
    assert len(bfs_outcomes(b)) == 2


def test_a_string_the_table_lacks_in_a_variable_is_refused_by_name():
    source = """/*@forkspec
forall processes == 1
*/
""" + HEADER + """
char buf[4] = "abc";
int main(void) {
    buf[0] = 'x';
    const char *s = buf;
    printf("%s\\n", s);
    return 0;
}
"""
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(source, "strings.c"), "file", z3_opts=FAST)
    assert "a string value kept in a variable" in e.value.message
