"""The Z3 engine on vfork, computed addresses and strings chosen by a condition: the same
verdicts and outcomes as BFS, traces that replay, refusals that name the construct.

Each program is small (two processes) so each answer takes about a second.
"""
from __future__ import annotations

from forkspec.engines.result import HOLDS, VIOLATED

from z3check import assert_agree, both


def test_a_string_chosen_by_fork_result_prints_each_processs_own_word():
    src = """/*@forkspec
exists stdout == "parent\\nchild\\n"
forall stdout != "child\\nchild\\n"
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    pid_t p = fork();
    printf(p == 0 ? "%s\\n" : "%s\\n", p == 0 ? "child" : "parent");
    fflush(stdout);
    if (p) wait(NULL);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts['exists stdout == "parent\\nchild\\n"'] == HOLDS


def test_an_array_indexed_by_a_value_from_an_earlier_step_is_read_and_written_per_cell():
    src = """/*@forkspec
forall exit_status == 0
*/
#include <assert.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    pid_t pids[2];
    int i;
    for (i = 0; i < 2; i++) {
        pids[1 - i] = fork();
        if (pids[1 - i] == 0) _exit(i);
        waitpid(pids[1 - i], NULL, 0);
    }
    int *q = &pids[0];
    *q = *q + 0;
    assert(pids[0] == 1002 && pids[i - 1] == 1001);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts["assert"] == HOLDS and verdicts["forall exit_status == 0"] == HOLDS


def test_a_store_through_a_computed_address_that_breaks_an_assert_gives_a_trace_that_replays():
    src = """/*@forkspec
modes: file
fork-can-fail: yes
*/
#include <assert.h>
#include <unistd.h>
#include <sys/wait.h>
int done[2];
int main(void) {
    int i;
    for (i = 0; i < 2; i++) {
        pid_t p = fork();
        if (p == 0) _exit(0);
        done[i] = p;
    }
    assert(done[0] > 0);
    while (wait(NULL) > 0) ;
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts["assert"] == VIOLATED


def test_a_vfork_childs_store_reaches_its_parent_and_breaks_cow_isolation_with_traces_that_replay():
    src = """/*@forkspec
forall stdout == "parent x=2\\n"
properties: cow-isolation no-shared-writable-page vfork-safety all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int x = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        x = 2;
        _exit(0);
    }
    printf("parent x=%d\\n", x);
    wait(NULL);
    return 0;
}
"""
    verdicts = assert_agree(*both(src, mode="tty"))
    assert verdicts['forall stdout == "parent x=2\\n"'] == HOLDS and verdicts["all-reaped"] == HOLDS
    assert {verdicts[n] for n in ("cow-isolation", "no-shared-writable-page", "vfork-safety")} == {VIOLATED}


def test_a_vfork_parent_resumes_when_its_child_calls_exit_before_the_child_is_a_zombie():
    src = """/*@forkspec
exists stdout == "0\\n"
exists stdout == "1001\\n"
properties: vfork-safety cow-isolation
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (vfork() == 0)
        _exit(0);
    printf("%d\\n", waitpid(-1, NULL, WNOHANG));
    wait(NULL);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert set(verdicts.values()) == {HOLDS}


def test_a_vfork_child_that_exits_flushes_the_buffer_it_shares_and_its_return_stops_it_for_good():
    src = """/*@forkspec
properties: vfork-safety
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
    printf("once ");
    if (vfork() == 0) {
        if (getpid() == 1001)
            exit(0);
        return 1;
    }
    write(1, "[parent]", 8);
    return 0;
}
"""
    z, b = both(src)
    verdicts = assert_agree(z, b)
    assert verdicts["vfork-safety"] == VIOLATED
    assert [o.stdout for o in z.exploration.stats.solver.outcome_set] == ["once [parent]"]


def test_a_vfork_whose_child_may_fork_again_is_refused_by_name():
    src = """/*@forkspec
forall stdout == ""
*/
#include <unistd.h>
int main(void) {
    if (vfork() == 0) {
        vfork();
        _exit(0);
    }
    return 0;
}
"""
    import pytest

    from forkspec.errors import UnsupportedError

    with pytest.raises(UnsupportedError, match="a vfork.. in a program whose children may fork or vfork"):
        both(src)


def test_the_injected_no_reparent_fault_leaves_a_grandchild_with_a_dead_parent_in_both_engines():
    src = """/*@forkspec
inject: no-reparent
exists stdout == "1002 of 1001\\n"
properties: orphans-reparented all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0) {
        if (fork() == 0) {
            printf("%d of %d\\n", getpid(), getppid());
            return 0;
        }
        _exit(0);
    }
    wait(NULL);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts["orphans-reparented"] == VIOLATED and verdicts["no-deadlock"] == VIOLATED


def test_a_map_shared_page_is_one_frame_after_fork_and_a_map_private_one_is_copied():
    src = """/*@forkspec
forall stdout == "shared=2 private=1\\n"
properties: cow-isolation no-shared-writable-page
*/
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    *pr = 1;
    if (fork() == 0) {
        *sh = 2;
        *pr = 2;
        _exit(0);
    }
    wait(NULL);
    printf("shared=%d private=%d\\n", *sh, *pr);
    return 0;
}
"""
    verdicts = assert_agree(*both(src))
    assert verdicts['forall stdout == "shared=2 private=1\\n"'] == HOLDS and verdicts["cow-isolation"] == HOLDS
    assert verdicts["no-shared-writable-page"] == VIOLATED
