"""Threads inside a process (reference section L): shared memory and stdio, interleaving,
mutexes, join and exit, what fork copies of a threaded process, pthread_atfork, and the
`fork-thread-safety` property (the first seed's story).
"""
from __future__ import annotations

import pytest

from conftest import (
    CHILD1, FIRST, O, events_of, explore, final_traces, forkspec_cli, outcomes_of, result_of, stdouts_of, verdicts,
    witness_trace,
)
from forkspec.errors import ModelError

HOLDER = """
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
volatile int locked = 0;
volatile int done = 0;
void *holder(void *arg)
{
    pthread_mutex_lock(&m);
    locked = 1;
    while (!done)
        ;
    pthread_mutex_unlock(&m);
    return NULL;
}
int main(void)
{
    pthread_t t;
    ATFORK
    pthread_create(&t, NULL, holder, NULL);
    while (!locked)
        ;
    pid_t pid = fork();
    if (pid == 0) {
        CHILD
        _exit(0);
    }
    done = 1;
    pthread_join(t, NULL);
    waitpid(pid, NULL, 0);
    return 0;
}
"""


def holder(child: str, atfork: str = "") -> str:
    return HOLDER.replace("CHILD", child).replace("ATFORK", atfork)


def test_join_returns_the_start_routine_result_and_threads_share_globals():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    int g = 1;
    void *add(void *arg) { g = g + (long) arg; return (void *) 40; }
    int main(void)
    {
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, add, (void *) 5);
        pthread_join(t, &r);
        printf("g=%d r=%ld\\n", g, (long) r);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("g=6 r=40\n")}


def test_threads_interleave_their_writes():
    src = """
    #include <pthread.h>
    #include <unistd.h>
    void *say(void *arg) { write(1, "T", 1); return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, say, NULL);
        write(1, "M", 1);
        pthread_join(t, NULL);
        return 0;
    }
    """
    assert stdouts_of(src) == {"MT", "TM"}


def test_threads_share_one_stdio_buffer():
    # both lines sit in the one (full) buffer and leave in one write at exit
    src = """
    #include <pthread.h>
    #include <stdio.h>
    void *say(void *arg) { printf("thread\\n"); return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, say, NULL);
        pthread_join(t, NULL);
        printf("main\\n");
        return 0;
    }
    """
    r = explore(src)
    assert {r.kernel.outcome(r.exploration.states[s]) for s in r.exploration.finals} == {O("thread\nmain\n")}
    for _, trace in final_traces(r):
        assert [e.data for e in events_of(trace, "write")] == ["thread\nmain\n"]


COUNTER = """
#include <pthread.h>
#include <stdio.h>
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
int n = 0;
void *inc(void *arg) { LOCK n++; UNLOCK return NULL; }
int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, inc, NULL);
    pthread_create(&b, NULL, inc, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\\n", n);
    return 0;
}
"""


def test_unlocked_increments_in_two_threads_can_lose_an_update():
    assert stdouts_of(COUNTER.replace("UNLOCK", "").replace("LOCK", "")) == {"1\n", "2\n"}


def test_a_mutex_makes_the_increments_exclusive():
    src = COUNTER.replace("UNLOCK", "pthread_mutex_unlock(&m);").replace("LOCK", "pthread_mutex_lock(&m);")
    assert stdouts_of(src) == {"2\n"}


def test_trylock_on_a_held_mutex_returns_ebusy_and_unlock_frees_it():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <errno.h>
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    int main(void)
    {
        int a = pthread_mutex_trylock(&m);
        int b = pthread_mutex_trylock(&m);
        pthread_mutex_unlock(&m);
        int c = pthread_mutex_trylock(&m);
        printf("%d %d %d\\n", a, b == EBUSY, c);
        return 0;
    }
    """
    assert stdouts_of(src) == {"0 1 0\n"}


def test_relocking_a_default_mutex_blocks_for_ever_without_blaming_fork():
    src = """
    #include <pthread.h>
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    int main(void)
    {
        pthread_mutex_lock(&m);
        pthread_mutex_lock(&m);
        return 0;
    }
    """
    v = verdicts(src, properties=("fork-thread-safety",))
    assert v["no-deadlock"] == "violated"
    assert v["fork-thread-safety"] == "holds"


def test_exit_in_any_thread_ends_the_process():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <stdlib.h>
    void *quit(void *arg) { exit(4); }
    int main(void)
    {
        pthread_t t;
        printf("before\\n");
        pthread_create(&t, NULL, quit, NULL);
        pthread_join(t, NULL);
        printf("never\\n");
        return 0;
    }
    """
    assert outcomes_of(src) == {O("before\n", exit_status=4)}


def test_pthread_exit_in_main_lets_the_other_thread_finish_the_process():
    # the last thread to end ends the process as exit(0) does: the buffer is flushed
    src = """
    #include <pthread.h>
    #include <stdio.h>
    void *late(void *arg) { printf("late\\n"); return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, late, NULL);
        printf("main\\n");
        pthread_exit(NULL);
        return 3;
    }
    """
    assert outcomes_of(src) == {O("main\nlate\n"), O("late\nmain\n")}


def test_pthread_self_names_the_calling_thread():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    pthread_t main_id;
    void *check(void *arg) { printf("%d\\n", pthread_equal(pthread_self(), main_id)); return NULL; }
    int main(void)
    {
        pthread_t t;
        main_id = pthread_self();
        pthread_create(&t, NULL, check, NULL);
        pthread_join(t, NULL);
        printf("%d %d\\n", pthread_equal(pthread_self(), main_id), pthread_equal(t, main_id));
        return 0;
    }
    """
    assert stdouts_of(src) == {"0\n1 0\n"}


def test_fork_copies_only_the_calling_thread():
    # item 85: the waiting thread is in the parent only, so its line is printed once
    src = """
    #include <pthread.h>
    #include <unistd.h>
    #include <sys/wait.h>
    volatile int go = 0;
    void *waiter(void *arg) { while (!go) ; write(1, "T\\n", 2); return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, waiter, NULL);
        pid_t pid = fork();
        go = 1;
        if (pid == 0) _exit(0);
        pthread_join(t, NULL);
        waitpid(pid, NULL, 0);
        return 0;
    }
    """
    r = explore(src)
    assert {r.kernel.outcome(r.exploration.states[s]).stdout for s in r.exploration.finals} == {"T\n"}
    children = [p for s in r.exploration.states for p in s.procs if p.pid == CHILD1 and p.state != "zombie"]
    assert children and all(p.threads == () for p in children)
    assert any(p.threads for s in r.exploration.states for p in s.procs if p.pid == FIRST)


def test_fork_from_a_second_thread_continues_in_that_thread_alone():
    # the child is a copy of the forking thread: it returns from the start routine, and
    # being its process's only thread, that return ends the child as exit(0) does
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void *forker(void *arg)
    {
        pid_t pid = fork();
        printf(pid == 0 ? "child thread\\n" : "parent thread\\n");
        fflush(stdout);
        if (pid > 0) waitpid(pid, NULL, 0);
        return NULL;
    }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, forker, NULL);
        pthread_join(t, NULL);
        printf("main\\n");
        return 0;
    }
    """
    assert outcomes_of(src) == {O("child thread\nparent thread\nmain\n", processes=2),
                                O("parent thread\nchild thread\nmain\n", processes=2)}


def test_mutex_held_by_another_thread_stays_locked_in_the_child():
    # item 86: the child's copy is locked by a thread it does not have
    src = holder('printf("%d\\n", pthread_mutex_trylock(&m)); fflush(stdout);')
    assert stdouts_of(src) == {"16\n"}
    assert verdicts(src, properties=("fork-thread-safety",))["fork-thread-safety"] == "holds"


def test_child_locking_a_mutex_held_by_an_uncopied_thread_violates_fork_thread_safety():
    # the first seed's story: the child waits for ever; the trace ends at its lock
    src = holder("pthread_mutex_lock(&m);")
    r = explore(src, properties=("fork-thread-safety",))
    assert result_of(r, "fork-thread-safety").verdict == "violated"
    assert result_of(r, "no-deadlock").verdict == "violated"
    trace = witness_trace(r, "fork-thread-safety")
    last = trace.steps[-1].action
    assert last.pid == CHILD1 and "pthread_mutex_lock" in last.text
    (e,) = [e for e in last.events if e.kind == "orphaned_wait"]
    assert e.forked and e.owner == FIRST and e.what == "mutex"
    assert [s.action.pid for s in trace.steps].count(CHILD1) == 1  # nothing else of the child's is needed


def test_atfork_handlers_that_take_and_release_the_lock_make_fork_thread_safe():
    # the documented use of pthread_atfork: prepare locks, parent and child unlock
    atfork = "pthread_atfork(take, release, release);"
    src = holder("pthread_mutex_lock(&m); pthread_mutex_unlock(&m);", atfork).replace(
        "int main(void)", "void take(void) { pthread_mutex_lock(&m); }\n"
        "void release(void) { pthread_mutex_unlock(&m); }\nint main(void)").replace(
        "    while (!locked)\n        ;\n", "").replace("    locked = 1;\n    while (!done)\n        ;\n", "")
    v = verdicts(src, properties=("fork-thread-safety",))
    assert v["fork-thread-safety"] == "holds" and v["no-deadlock"] == "holds"


def test_child_joining_a_thread_that_stayed_in_the_parent_waits_for_ever():
    src = """
    #include <pthread.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void *idle(void *arg) { return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, idle, NULL);
        if (fork() == 0) {
            pthread_join(t, NULL);
            _exit(0);
        }
        pthread_join(t, NULL);
        wait(NULL);
        return 0;
    }
    """
    v = verdicts(src, properties=("fork-thread-safety",))
    assert v["fork-thread-safety"] == "violated" and v["no-deadlock"] == "violated"


@pytest.mark.parametrize("mode", ["file", "tty"])
def test_atfork_prepare_runs_newest_first_parent_and_child_oldest_first(mode):
    # item 88 and Open POSIX pthread_atfork assertions 2 and 4 (NULL handlers are skipped)
    src = """
    #include <pthread.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void p1(void) { write(1, "p1 ", 3); }
    void p2(void) { write(1, "p2 ", 3); }
    void a1(void) { write(1, "a1 ", 3); }
    void a2(void) { write(1, "a2 ", 3); }
    void c2(void) { write(1, "c2 ", 3); }
    int main(void)
    {
        pthread_atfork(p1, a1, NULL);
        pthread_atfork(p2, a2, c2);
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
        return 0;
    }
    """
    assert stdouts_of(src, mode) == {"p2 p1 a1 a2 c2 ", "p2 p1 a1 c2 a2 ", "p2 p1 c2 a1 a2 "}


def test_atfork_handlers_are_inherited_and_run_again_in_the_child_s_fork():
    src = """
    #include <pthread.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void pre(void) { write(1, "P", 1); }
    int main(void)
    {
        pthread_atfork(pre, NULL, NULL);
        if (fork() == 0) {
            if (fork() == 0) _exit(0);
            wait(NULL);
            _exit(0);
        }
        wait(NULL);
        return 0;
    }
    """
    assert stdouts_of(src) == {"PP"}


def test_a_failed_fork_runs_the_parent_handlers():
    # glibc runs the parent handlers whatever fork returned
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void after(void) { write(1, "after ", 6); }
    int main(void)
    {
        pthread_atfork(NULL, after, NULL);
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        printf("%d\\n", pid);
        while (wait(NULL) > 0) ;
        return 0;
    }
    """
    assert stdouts_of(src, fork_can_fail=True) == {"after -1\n", "after 1001\n"}


def test_pthread_create_with_attributes_is_reported_not_run():
    src = """
    #include <pthread.h>
    void *f(void *arg) { return NULL; }
    int main(void)
    {
        pthread_t t;
        long attr = 1;
        pthread_create(&t, (void *) &attr, f, NULL);
        return 0;
    }
    """
    with pytest.raises(ModelError, match="attributes"):
        explore(src)


def test_unmodelled_pthread_objects_and_calls_are_refused_with_their_place(spec_file):
    cond = spec_file("#include <pthread.h>\npthread_cond_t c;\nint main(void) { return 0; }\n", "cond.c")
    r = forkspec_cli("check", str(cond))
    assert r.returncode == 2
    assert f"{cond}:2:16: unsupported: type 'pthread_cond_t'" in r.stdout + r.stderr
    call = spec_file("#include <pthread.h>\nint main(void)\n{\n    pthread_detach(0);\n    return 0;\n}\n", "call.c")
    r = forkspec_cli("check", str(call))
    assert r.returncode == 2
    assert f"{call}:4:5: unsupported: call to 'pthread_detach'" in r.stdout + r.stderr


def test_properties_see_how_many_threads_a_process_has():
    src = """
    #include <pthread.h>
    void *f(void *arg) { return NULL; }
    int main(void)
    {
        pthread_t t;
        pthread_create(&t, NULL, f, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    """
    from forkspec.props.view import state_env

    r = explore(src)
    counts = {p.threads for s in r.exploration.states for p in state_env(s, frozenset({"processes"}))["processes"]}
    assert counts == {1, 2}


def test_locking_through_a_bad_pointer_is_a_segfault():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <sys/wait.h>
    #include <unistd.h>
    int main(void)
    {
        int s;
        if (fork() == 0) {
            pthread_mutex_t *m = (pthread_mutex_t *) 16;
            pthread_mutex_lock(m);
            _exit(0);
        }
        wait(&s);
        printf("%d\\n", WTERMSIG(s));
        return 0;
    }
    """
    assert stdouts_of(src) == {"11\n"}


def test_a_saved_trace_of_a_threaded_program_replays_thread_by_thread(spec_file, tmp_path):
    spec = spec_file(holder("pthread_mutex_lock(&m);"), "seed.c")
    saved = tmp_path / "t.itf.json"
    r = forkspec_cli("trace", "--property", "fork-thread-safety", "--format", "json", "-o", str(saved), str(spec))
    assert r.returncode == 0, r.stderr
    r = forkspec_cli("replay", str(saved), str(spec))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "replays on" in r.stdout and "still a counterexample" in r.stdout


def test_the_process_limit_counts_threads_for_fork_and_pthread_create():
    # RLIMIT_NPROC counts tasks: with room for two, a second thread leaves none for a fork
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <errno.h>
    #include <unistd.h>
    #include <sys/wait.h>
    volatile int go = 0;
    void *idle(void *arg) { while (!go) ; return NULL; }
    int main(void)
    {
        pthread_t a, b;
        int ra = pthread_create(&a, NULL, idle, NULL);
        int rb = pthread_create(&b, NULL, idle, NULL);
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        printf("%d %d %d %d\\n", ra, rb == EAGAIN, pid, pid == -1 && errno == EAGAIN);
        go = 1;
        pthread_join(a, NULL);
        while (wait(NULL) > 0) ;
        return 0;
    }
    """
    assert stdouts_of(src, max_procs=2) == {"0 1 -1 1\n"}
    assert stdouts_of(src, max_procs=4) == {"0 0 1001 0\n"}


def test_a_mutex_in_a_shared_mapping_held_by_another_process_only_blocks():
    # not a fork-thread-safety bug: the owner is alive in the other process and unlocks the one mutex
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <sys/mman.h>
    #include <sys/wait.h>
    #include <unistd.h>
    int main(void)
    {
        pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pthread_mutex_lock(m);
        pid_t pid = fork();
        if (pid == 0) {
            pthread_mutex_lock(m);
            write(1, "child\\n", 6);
            _exit(0);
        }
        pthread_mutex_unlock(m);
        waitpid(pid, NULL, 0);
        return 0;
    }
    """
    v = verdicts(src, properties=("fork-thread-safety",))
    assert v["fork-thread-safety"] == "holds" and v["no-deadlock"] == "holds"
    assert stdouts_of(src) == {"child\n"}


def test_a_c_reproducer_of_a_threaded_trace_is_refused_with_the_reason(spec_file):
    spec = spec_file(holder("pthread_mutex_lock(&m);"), "seed.c")
    r = forkspec_cli("trace", "--property", "fork-thread-safety", "--format", "c", str(spec))
    assert r.returncode == 2
    assert "step 1 runs a second thread" in r.stderr and "Traceback" not in r.stderr



@pytest.mark.parametrize("per_thread,locked", [((1, 2), True), ((2, 2), True), ((1, 2), False), ((2, 2), False)])
def test_increments_under_a_mutex_are_never_lost_and_unlocked_ones_can_be(per_thread, locked):
    # two threads of n1 and n2 increments: under the mutex always n1 + n2; unlocked anything
    # from min(n1, n2) (one thread's first load is stored last) up to n1 + n2
    lock, unlock = ("pthread_mutex_lock(&m);", "pthread_mutex_unlock(&m);") if locked else ("", "")
    workers = "\n".join(
        f"void *w{i}(void *arg) {{ int k; for (k = 0; k < {n}; k++) {{ {lock} n++; {unlock} }} return NULL; }}"
        for i, n in enumerate(per_thread))
    src = f"""
    #include <pthread.h>
    #include <stdio.h>
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    int n = 0;
    {workers}
    int main(void)
    {{
        pthread_t a, b;
        pthread_create(&a, NULL, w0, NULL);
        pthread_create(&b, NULL, w1, NULL);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        printf("%d\\n", n);
        return 0;
    }}
    """
    finals = {int(s) for s in stdouts_of(src)}
    total = sum(per_thread)
    assert finals == ({total} if locked else set(range(min(per_thread), total + 1)))


def test_a_split_store_through_a_bad_pointer_kills_the_process_at_the_store():
    src = """
    #include <pthread.h>
    #include <stdio.h>
    #include <sys/wait.h>
    #include <unistd.h>
    int g = 1;
    void *idle(void *arg) { return NULL; }
    int main(void)
    {
        int s;
        if (fork() == 0) {
            pthread_t t;
            int *bad = (int *) 8;
            pthread_create(&t, NULL, idle, NULL);
            *bad = g;
            _exit(0);
        }
        wait(&s);
        printf("%d\\n", WTERMSIG(s));
        return 0;
    }
    """
    assert stdouts_of(src) == {"11\n"}
