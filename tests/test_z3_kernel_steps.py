"""The Z3 engine on the kernel's own steps of a process (an alarm that expires, the late SIGCHLD
of a stop) and on the injected fault pid-reuse: the same verdicts and outcomes as BFS, traces
that replay (every violation and witness comes from a model: no random runs first).
"""
from __future__ import annotations

from forkspec.engines.result import HOLDS, INCONCLUSIVE, VIOLATED

from z3check import assert_agree, both


def stdouts(z) -> set:
    return {o.stdout for o in z.exploration.stats.solver.outcome_set}


ALARM_KILLS = """/*@forkspec
exists exit_status == 142
*/
#include <unistd.h>
int main(void) {
    alarm(5);
    write(1, "a", 1);
    write(1, "b", 1);
    return 0;
}
"""


def test_an_alarm_that_expires_at_any_step_kills_with_sigalrm_before_between_or_after_the_writes():
    z, b = both(ALARM_KILLS)
    assert assert_agree(z, b)["exists exit_status == 142"] == HOLDS
    assert {(o.stdout, o.exit_status) for o in z.exploration.stats.solver.outcome_set} == \
        {("", 142), ("a", 142), ("ab", 142), ("ab", 0)}


ALARM_LEFT = """/*@forkspec
forall stdout.startswith("child 0\\n")
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    signal(SIGALRM, SIG_IGN);
    alarm(2);
    if (fork() == 0) {
        printf("child %d\\n", alarm(0));
        return 0;
    }
    wait(NULL);
    printf("parent %d\\n", alarm(0));
    return 0;
}
"""


def test_alarm_returns_any_of_the_seconds_left_and_a_fork_child_has_no_timer():
    z, b = both(ALARM_LEFT)
    assert assert_agree(z, b)['forall stdout.startswith("child 0\\n")'] == HOLDS
    assert stdouts(z) == {f"child 0\nparent {k}\n" for k in range(3)}  # 0: it expired (ignored)


LATE_SIGCHLD = """/*@forkspec
exists stdout == "pending 0\\n"
exists stdout == "pending 1\\n"
*/
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t c = fork();
    if (c == 0)
        pause();
    kill(c, SIGSTOP);
    waitpid(c, NULL, WUNTRACED);
    sigpending(&set);
    printf("pending %d\\n", sigismember(&set, SIGCHLD));
    kill(c, SIGKILL);
    return 0;
}
"""


def test_a_stops_sigchld_comes_in_a_later_step_so_waitpid_may_return_before_it_is_pending():
    z, b = both(LATE_SIGCHLD)
    verdicts = assert_agree(z, b)
    assert verdicts['exists stdout == "pending 0\\n"'] == HOLDS  # the stop reported, its SIGCHLD not yet sent
    assert verdicts['exists stdout == "pending 1\\n"'] == HOLDS


PID_REUSE = """/*@forkspec
inject: pid-reuse
properties: pid-unique
forall processes == 2 or processes == 3
*/
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    if (fork() == 0)
        _exit(1);
    if (fork() == 0)
        _exit(2);
    while (wait(NULL) > 0)
        ;
    return 0;
}
"""


def test_a_kernel_that_reuses_a_zombies_pid_breaks_pid_unique_and_the_shadowed_child_never_runs():
    z, b = both(PID_REUSE)
    assert assert_agree(z, b)["pid-unique"] == VIOLATED
    assert {o.processes for o in z.exploration.stats.solver.outcome_set} == {2, 3}


def test_a_pid_reused_after_its_process_was_reaped_is_beyond_the_encoding_never_a_verdict():
    src = PID_REUSE.replace("        _exit(1);\n", "        _exit(1);\n    wait(NULL);\n")
    z, b = both(src)
    final = next(x for x in z.exploration.results if x.check.name.startswith("forall"))
    assert final.verdict == INCONCLUSIVE and "beyond the encoding: a pid reused after its process was reaped" in final.reason
    assert {x.check.name: x.verdict for x in b.exploration.results}[final.check.name] == HOLDS
    z, b = both(src.replace("inject: pid-reuse\n", ""))  # the same program on a sound kernel: decided
    assert {x.check.name: x.verdict for x in z.exploration.results}[final.check.name] == HOLDS
