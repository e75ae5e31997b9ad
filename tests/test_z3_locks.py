"""fcntl record locks under the Z3 engine (`symbolic/locks.py`): verdicts and outcome sets
equal to BFS's, deadlocks whose traces replay in the kernel. Most tests compare verdicts only:
the specs' outcome sets are compared in the engine-agreement run, FORKSPEC_Z3_SPECS='struct flock'."""
from __future__ import annotations

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.trace import rebuild

from z3check import assert_agree, both

FAST = SymOptions(timeout_ms=20_000, max_bound=30)
HEADER = "#include <stdio.h>\n#include <errno.h>\n#include <unistd.h>\n#include <fcntl.h>\n#include <sys/wait.h>\n"


def locked(expect: str, child: str, before_fork: str = "") -> str:
    """A program whose parent write-locks file f, then forks a child that runs `child`."""
    return f"""/*@forkspec
{expect}
*/
{HEADER}
int main(void) {{
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    struct flock wr = {{F_WRLCK, SEEK_SET, 0, 0}};
    fcntl(fd, F_SETLK, &wr);
    {before_fork}
    if (fork() == 0) {{
        {child}
    }}
    wait(NULL);
    return 0;
}}
"""


def test_a_lock_the_parent_holds_is_not_the_childs_and_f_getlk_names_the_parent():
    source = locked('forall stdout == "r -1 again 1 owner 1 type 1\\n"', """int r = fcntl(fd, F_SETLK, &wr);
        int e = errno;
        struct flock q = {F_RDLCK, SEEK_SET, 5, 1};
        fcntl(fd, F_GETLK, &q);
        printf("r %d again %d owner %d type %d\\n", r, e == EAGAIN, q.l_pid == getppid(), q.l_type == F_WRLCK);
        return 0;""")
    z, b = both(source, path="inherit.c", z3_opts=FAST, outcomes=False)
    assert set(assert_agree(z, b, outcomes=False).values()) == {HOLDS}


def test_closing_another_fd_of_the_file_releases_the_owners_lock():
    source = locked('forall stdout == "unlocked\\n"', """struct flock q = {F_WRLCK, SEEK_SET, 0, 0};
        fcntl(fd, F_GETLK, &q);
        printf(q.l_type == F_UNLCK ? "unlocked\\n" : "locked\\n");
        return 0;""", before_fork='close(open("f", O_RDONLY));')
    z, b = both(source, path="release.c", z3_opts=FAST, outcomes=False)
    assert_agree(z, b, outcomes=False)
    assert z.exploration.results[1].verdict == HOLDS


def test_waiting_for_a_lock_held_by_a_parent_that_waits_for_the_child_is_a_deadlock_that_replays():
    source = locked("forall processes == 2", "fcntl(fd, F_SETLKW, &wr);\n        _exit(0);")
    z, b = both(source, path="wait.c", z3_opts=FAST)
    assert_agree(z, b)
    stuck = next(x for x in z.exploration.results if x.check.name == "no-deadlock")
    assert stuck.verdict == VIOLATED
    trace = rebuild(z.kernel, z.exploration, stuck.witness)
    assert z.kernel.successors(trace.final) == []  # the replayed state is stuck, as the kernel sees it
