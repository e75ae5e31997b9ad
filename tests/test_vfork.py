"""vfork (reference section J): the suspended parent, the borrowed memory, and the
`vfork-safety` property that flags everything a vfork child may not do.
"""
from __future__ import annotations

import pytest

from conftest import CHILD1, O, explore, outcomes_of, program, result_of, verdicts, witness_trace


def unsafe_steps(src: str):
    """The vfork-safety verdict and the texts of the events on its counterexample's last step."""
    r = explore(src, properties=("vfork-safety",))
    x = result_of(r, "vfork-safety")
    if x.verdict != "violated":
        return x.verdict, []
    trace = witness_trace(r, "vfork-safety")
    return x.verdict, [e.text for e in trace.steps[-1].action.events if e.kind == "vfork_unsafe"]


@pytest.mark.parametrize("call", ["pid_t pid = vfork();\n    if (pid == 0)", "pid_t pid;\n    if ((pid = vfork()) == 0)",
                                  "if (vfork() == 0)"])
def test_vfork_child_that_only_stores_the_result_and_calls__exit_is_safe(call):
    src = f"""
    {call}
        _exit(3);
    int s;
    wait(&s);
    printf("%d\\n", WEXITSTATUS(s));
    return 0;
    """
    assert verdicts(src, properties=("vfork-safety",))["vfork-safety"] == "holds"
    assert outcomes_of(src) == {O("3\n", processes=2)}


def test_vfork_child_assignment_is_seen_by_the_parent_and_flagged():
    src = """
    int x = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        x = 2;
        _exit(0);
    }
    printf("x=%d\\n", x);
    return 0;
    """
    assert outcomes_of(src) == {O("x=2\n", processes=2)}
    verdict, texts = unsafe_steps(src)
    assert verdict == "violated"
    assert texts == ["vfork child modifies memory the parent shares: `x = 2;`"]


def test_vfork_child_calling_exit_is_flagged_and_flushes_the_parent_s_buffer():
    # item 77: the shared buffer leaves once, inside the child's exit
    src = """
    printf("buffered ");
    if (vfork() == 0)
        exit(0);
    printf("parent\\n");
    return 0;
    """
    for mode in ("file", "tty"):
        assert outcomes_of(src, mode) == {O("buffered parent\n", processes=2)}
    verdict, texts = unsafe_steps(src)
    assert verdict == "violated" and texts[0].startswith("vfork child calls exit()")


def test_vfork_child_calling_another_function_is_flagged():
    src = """
    #include <stdio.h>
    #include <unistd.h>
    int helper(void) { return 1; }
    int main(void)
    {
        if (vfork() == 0) {
            helper();
            _exit(0);
        }
        return 0;
    }
    """
    verdict, texts = unsafe_steps(src)
    assert verdict == "violated" and texts == ["vfork child calls helper()"]
    verdict, texts = unsafe_steps("if (vfork() == 0) { getpid(); _exit(0); } return 0;")
    assert verdict == "violated" and texts == ["vfork child calls getpid()"]


@pytest.mark.parametrize("where", ["main", "a helper"])
def test_vfork_child_returning_from_the_caller_of_vfork_is_undefined_and_ends_the_branch(where):
    # item 78 and puzzle P5: flagged, and the model does not guess what the parent resumes into
    body = """
        pid_t pid = vfork();
        if (pid == 0)
            return 0;
    """
    if where == "main":
        src = f"int main(void)\n{{\n{body}\n    printf(\"parent\\n\");\n    return 0;\n}}\n"
    else:
        src = f"#include <stdio.h>\n#include <unistd.h>\nint spawn(void)\n{{\n{body}\n    return 1;\n}}\n" \
              "int main(void)\n{\n    spawn();\n    printf(\"parent\\n\");\n    return 0;\n}\n"
    r = explore(src, properties=("vfork-safety",))
    assert result_of(r, "vfork-safety").verdict == "violated"
    assert result_of(r, "no-deadlock").verdict == "violated"
    assert not r.exploration.finals  # no outcome: the branch ends where the behaviour is undefined
    trace = witness_trace(r, "vfork-safety")
    (text,) = [e.text for e in trace.steps[-1].action.events if e.kind == "vfork_unsafe"]
    assert "returns from the function that called vfork" in text
    child = next(p for p in trace.steps[-1].state.procs if p.pid == CHILD1)
    assert child.main_state == "undefined"


def test_vfork_child_killed_by_a_signal_releases_its_parent():
    # item 75: the parent resumes when the child dies too
    src = """
    int zero = 0;
    int s;
    pid_t pid = vfork();
    if (pid == 0)
        _exit(1 / zero);
    waitpid(pid, &s, 0);
    printf("signal %d\\n", WTERMSIG(s));
    return 0;
    """
    assert outcomes_of(src) == {O("signal 8\n", processes=2)}


def test_vfork_runs_no_atfork_handlers():
    # item 79
    src = """
    #include <pthread.h>
    #include <unistd.h>
    #include <sys/wait.h>
    void pre(void) { write(1, "prepare\\n", 8); }
    int main(void)
    {
        pthread_atfork(pre, pre, pre);
        if (vfork() == 0)
            _exit(0);
        wait(NULL);
        return 0;
    }
    """
    assert outcomes_of(src) == {O("", processes=2)}
    assert verdicts(src, properties=("vfork-safety",))["vfork-safety"] == "holds"


def test_exec_hook_releases_the_suspended_parent():
    # what exec in a vfork child calls before installing its image: the parent may run again
    from forkspec.frontend import parse_spec
    from forkspec.kernel import Config, Kernel
    from forkspec.kernel.step import Exec

    spec = parse_spec(program("if (vfork() == 0) _exit(0); return 0;"), "t.c")
    kernel = Kernel(spec.program, Config())
    (_, state), = kernel.successors(kernel.initial_state())
    parent = next(p for p in state.procs if p.pid != CHILD1)
    assert parent.vfork_child == CHILD1
    x = Exec(spec.program, Config(), state, CHILD1)
    x.vfork_release_for_exec()
    after = x.result()
    assert {p.pid: (p.vfork_child, p.vfork_parent) for p in after.procs} == {parent.pid: (0, 0), CHILD1: (0, 0)}
    assert any(e.kind == "vfork_release" for e in x.events)
