"""execv's argv arrays, exec with signal dispositions, munmap and prctl under the Z3 engine:
the kernel's rules over Z3 terms, checked against BFS on verdicts and outcome sets, with
every Z3 trace replayed in the kernel."""
from __future__ import annotations

from pathlib import Path

import pytest

from forkspec.engines.result import HOLDS, VIOLATED
from forkspec.errors import UnsupportedError
from forkspec.frontend import load_spec, parse_spec
from forkspec.session import Options, run_z3

from z3check import FAST, assert_agree, bfs_outcomes, both

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/mman.h>\n"
          "#include <sys/prctl.h>\n#include <sys/wait.h>\n")


EXECV = """/*@forkspec
forall stdout == "1 /no/such/image\\n"
*/
""" + HEADER + """
int run(char *path, char *arg) {
    char *argv[] = {path, arg, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(path, argv);
        _exit(9);
    }
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}

int main(void) {
    char *other = "/no/such/image";
    printf("%d %s\\n", run("/bin/false", "x"), other);
    return 0;
}
"""


def test_execv_runs_the_image_its_path_variable_names_with_the_status_bfs_gives():
    z, b = both(EXECV, z3_opts=FAST)
    assert z.exploration.results[1].verdict == HOLDS and z.exploration.stats.complete
    assert_agree(z, b)
    assert {o.stdout for o in bfs_outcomes(b)} == {"1 /no/such/image\n"}


def test_execv_of_a_path_no_image_has_fails_with_enoent_and_the_child_goes_on():
    z, b = both(EXECV.replace('run("/bin/false", "x")', 'run("/no/such/image", "x")').replace('"1 /no', '"9 /no'),
                z3_opts=FAST)
    assert z.exploration.results[1].verdict == HOLDS
    assert_agree(z, b)


def test_execv_of_echo_with_an_argv_array_is_refused_by_name():
    source = EXECV.replace('"/bin/false", "x"', '"/bin/echo", "x"')
    with pytest.raises(UnsupportedError) as e:
        run_z3(parse_spec(source, "extended.c"), "file", z3_opts=FAST)
    assert "execv() of /bin/echo with an argv array" in e.value.message and e.value.span.line == 15


def test_munmap_in_the_child_leaves_the_parent_mapped_and_the_childs_touch_is_sigsegv():
    source = """/*@forkspec
forall stdout == "killed 11\\n5\\n"
*/
""" + HEADER + """
int main(void) {
    int status;
    int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *p = 5;
    if (fork() == 0) {
        munmap(p, 4096);
        int v = *p;  /* killed within the fork's step: the parent goes on */
        _exit(v);
    }
    wait(&status);
    printf("killed %d\\n%d\\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0, *p);
    return 0;
}
"""
    z, b = both(source, z3_opts=FAST)
    assert z.exploration.results[1].verdict == HOLDS
    assert_agree(z, b)
    wrong = source.replace('forall stdout == "killed 11', 'forall stdout == "killed 0')
    z, b = both(wrong)
    assert z.exploration.results[1].verdict == VIOLATED
    assert_agree(z, b)


SUBREAPER = """/*@forkspec
exists stdout == "grandchild 1 0\\ntop reaped 1002 (status 5)\\n"
forall stdout.endswith("top reaped 1002 (status 5)\\n")
properties: all-reaped orphans-reparented
*/
""" + HEADER + """
int main(void) {
    pid_t top = getpid();
    int v, s;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (fork() == 0) {
        if (fork() == 0) {
            prctl(PR_GET_CHILD_SUBREAPER, &v);
            printf("grandchild %d %d\\n", getppid() == top, v);
            fflush(stdout);
            _exit(5);
        }
        _exit(0);
    }
    wait(NULL);
    pid_t r = wait(&s);
    printf("top reaped %d (status %d)\\n", r, WEXITSTATUS(s));
    return 0;
}
"""


def test_a_subreaper_adopts_and_reaps_its_orphaned_grandchild_as_in_bfs():
    z, b = both(SUBREAPER, z3_opts=FAST)
    assert [x.verdict for x in z.exploration.results[1:5]] == [HOLDS] * 4  # all-reaped: no orphan went to init
    assert_agree(z, b)
    assert len(bfs_outcomes(b)) == 2


def test_the_parent_death_signal_kills_the_child_unless_its_parent_died_first():
    source = """/*@forkspec
exists stdout == "set\\n"
exists stdout == ""
*/
""" + HEADER + """
int main(void) {
    if (fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        write(1, "set\\n", 4);
        pause();
    }
    return 0;
}
"""
    z, b = both(source)
    assert [x.verdict for x in z.exploration.results] == [HOLDS, HOLDS, HOLDS, VIOLATED]  # the late prctl: stuck
    assert_agree(z, b)



def test_exec_resets_a_caught_signal_to_sig_dfl_keeps_an_ignored_one_and_clears_flags_and_masks():
    import z3

    from forkspec.engines.symbolic.block import Path as StepPath, Step
    from forkspec.engines.symbolic.expr import bv
    from forkspec.engines.symbolic.unroll import Encoder
    from forkspec.kernel.signals import SA_RESTART, SIG_DFL, SIG_IGN, SIGTERM, SIGUSR1
    from forkspec.props import library
    from forkspec.session import _z3_setup

    spec = load_spec(ROOT / "specs/exec/item82_exec_resets_caught_signals.c")
    kernel, _ = _z3_setup(spec, "file", Options(), library(()))
    enc = Encoder(kernel.program, kernel.config, 2)
    frame = dict(enc.frames[0])
    frame.update({("sh", 1, SIGUSR1): z3.BitVec("handler", 64), ("sf", 1, SIGUSR1): bv(SA_RESTART),
                  ("sk", 1, SIGUSR1): bv(1 << SIGTERM), ("sh", 1, SIGTERM): bv(SIG_IGN)})
    step = Step(enc, frame, None, None)
    step.k = 0
    p = StepPath(None)
    step.reset_handlers(p, 1)
    after = {n: z3.simplify(v) for n, v in p.view.items()}
    solver = z3.Solver()
    solver.add(z3.BitVec("handler", 64) != SIG_IGN)  # a handler function (or SIG_DFL): SIG_DFL after exec
    solver.add(after[("sh", 1, SIGUSR1)] != SIG_DFL)
    assert solver.check() == z3.unsat
    assert after[("sh", 1, SIGTERM)].as_long() == SIG_IGN
    assert after[("sf", 1, SIGUSR1)].as_long() == 0 and after[("sk", 1, SIGUSR1)].as_long() == 0
    assert ("smask", 1) not in p.view and ("spend", 1) not in p.view  # the mask and pending set stay
