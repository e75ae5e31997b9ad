"""The Z3 engine's threads: pthread_create/join/exit, mutexes, pthread_atfork, fork in a
threaded process, and fork-thread-safety, each against the kernel (BFS) and replayed in it.

Programs are small (one process, or a parent and a child, and one extra thread) so each
answer takes a few seconds at most.
"""
from __future__ import annotations

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.engines.symbolic import Options as SymOptions
from forkspec.errors import UnsupportedError
from forkspec.frontend import parse_spec
from forkspec.kernel.state import FIRST_PID
from forkspec.session import run_z3
from forkspec.trace import rebuild

from z3check import assert_agree, bfs_outcomes, both

FAST = SymOptions(timeout_ms=20_000, max_bound=60)
SOLVER_ONLY = SymOptions(timeout_ms=20_000, max_bound=60, simulate=False)


def test_an_unlocked_increment_in_two_threads_can_lose_an_update():
    source = """/*@forkspec
*/
#include <pthread.h>
#include <stdio.h>
int n = 0;
void *inc(void *arg) { n++; return NULL; }
int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, inc, NULL);
    n++;
    pthread_join(t, NULL);
    printf("%d\\n", n);
    return 0;
}
"""
    z, b = both(source, z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in bfs_outcomes(b)} == {"1\n", "2\n"}


def test_pthread_exit_in_main_leaves_the_process_to_its_last_thread():
    source = """/*@forkspec
*/
#include <pthread.h>
#include <stdio.h>
void *late(void *arg) { write(1, "late\\n", 5); return NULL; }
int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, late, NULL);
    write(1, "main\\n", 5);
    pthread_exit(NULL);
    return 3;
}
"""
    z, b = both(source, z3_opts=FAST)
    assert_agree(z, b)
    assert {(o.stdout, o.exit_status) for o in bfs_outcomes(b)} == {("main\nlate\n", 0), ("late\nmain\n", 0)}


def test_atfork_handlers_run_prepare_newest_first_and_the_others_oldest_first():
    source = """/*@forkspec
*/
#include <pthread.h>
#include <unistd.h>
#include <sys/wait.h>
void p1(void) { write(1, "p1 ", 3); }
void p2(void) { write(1, "p2 ", 3); }
void c1(void) { write(1, "c1 ", 3); }
int main(void) {
    pthread_atfork(p1, NULL, c1);
    pthread_atfork(p2, NULL, NULL);
    if (fork() == 0) _exit(0);
    wait(NULL);
    _exit(0);
}
"""
    z, b = both(source, z3_opts=FAST)
    assert_agree(z, b)
    assert {o.stdout for o in bfs_outcomes(b)} == {"p2 p1 c1 "}


CHILD_LOCKS = """/*@forkspec
violates: fork-thread-safety no-deadlock
*/
#include <pthread.h>
#include <unistd.h>
#include <sys/wait.h>
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
void *hold(void *arg) { pthread_mutex_lock(&m); return NULL; }
int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, hold, NULL);
    if (fork() == 0) { pthread_mutex_lock(&m); _exit(0); }
    wait(NULL);
    return 0;
}
"""


def test_a_fork_child_locking_a_mutex_its_uncopied_thread_held_violates_fork_thread_safety_with_a_replayed_trace():
    spec = parse_spec(CHILD_LOCKS, "t.c")
    r = run_z3(spec, "file", z3_opts=SOLVER_ONLY)
    results = {x.check.name: x for x in r.exploration.results}
    assert results["fork-thread-safety"].verdict == VIOLATED and results["no-deadlock"].verdict == VIOLATED
    trace = rebuild(r.kernel, r.exploration, results["fork-thread-safety"].witness)
    last = trace.steps[-1].action
    assert any(e.kind == "orphaned_wait" and e.forked for e in last.events) and last.pid == FIRST_PID + 1
    assert any(e.kind == "thread_create" for s in trace.steps for e in s.action.events)
    stuck = rebuild(r.kernel, r.exploration, results["no-deadlock"].witness)
    assert r.kernel.successors(stuck.final) == [] and not r.kernel.is_terminated(stuck.final)


def test_a_thread_that_unlocks_before_the_fork_keeps_fork_thread_safety():
    source = CHILD_LOCKS.replace("violates: fork-thread-safety no-deadlock", "properties: fork-thread-safety") \
        .replace("pthread_mutex_lock(&m); return NULL;", "pthread_mutex_lock(&m); pthread_mutex_unlock(&m); return NULL;") \
        .replace("    if (fork()", "    pthread_join(t, NULL);\n    if (fork()")
    z, b = both(source, z3_opts=FAST, outcomes=False)
    assert assert_agree(z, b, outcomes=False)["fork-thread-safety"] == HOLDS


def test_a_mutex_chosen_by_an_input_is_refused_by_name():
    source = """/*@forkspec
input: 0..1
*/
#include <pthread.h>
pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
int nondet_int(void);
int main(void) {
    pthread_mutex_t *m = nondet_int() ? &a : &b;
    pthread_mutex_lock(m);
    return 0;
}
"""
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(source, "t.c"), "file", z3_opts=SOLVER_ONLY)
    assert e.value.render().startswith(
        "t.c:9:5: unsupported: pthread_mutex_lock() of a mutex that is not a constant address is not encoded "
        "for --engine z3; supported: ")
