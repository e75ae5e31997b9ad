"""exec: modelled images, what exec keeps and what it loses (reference items 24, 38, 81, 83)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import O, explore, forkspec_cli, outcomes_of, program, stdouts_of
from forkspec.errors import ForkspecError
from forkspec.frontend import load_spec
from forkspec.frontend import parse_spec
from forkspec.kernel import Kernel
from forkspec.kernel.signals import SIG_IGN, SIGINT
from forkspec.kernel.step import Config
from forkspec.session import Options, run

SPECS = Path(__file__).resolve().parent.parent / "specs"


def test_exec_loses_the_stdio_buffer_and_the_atexit_handlers():
    src = """
    void bye(void) { printf("bye\\n"); }
    int main(void) {
        atexit(bye);
        printf("unflushed ");
        execl("/bin/echo", "echo", "replaced", NULL);
        return 1;
    }
    """
    for mode in ("file", "tty"):
        assert outcomes_of(src, mode) == {O("replaced\n")}, mode


def test_exec_keeps_the_pid_and_the_parent():
    src = """
    pid_t pid = fork();
    if (pid == 0) { execl("/bin/false", "false", NULL); _exit(9); }
    int s;
    printf("%d %d\\n", waitpid(pid, &s, 0) == pid, WEXITSTATUS(s));
    return 0;
    """
    assert outcomes_of(src) == {O("1 1\n", processes=2)}


def test_a_failed_exec_returns_minus_one_with_enoent_and_the_process_goes_on():
    src = """
    printf("before ");
    int r = execl("/no/such/file", "x", NULL);
    printf("%d %d\\n", r, errno == ENOENT);
    return 0;
    """
    assert stdouts_of(src) == {"before -1 1\n"}


def test_execl_does_not_search_path_but_execlp_does():
    src = """
    int r = execl("echo", "echo", "no", NULL);
    printf("%d\\n", r);
    fflush(stdout);
    execlp("echo", "echo", "-n", "found", NULL);
    return 5;
    """
    assert outcomes_of(src) == {O("-1\nfound")}


def test_execv_and_execvp_take_an_argv_array():
    src = """
    char *args[] = {"echo", "a", "b", NULL};
    if (fork() == 0) { execv("/usr/bin/echo", args); _exit(1); }
    wait(NULL);
    execvp("echo", args);
    return 1;
    """
    assert outcomes_of(src) == {O("a b\na b\n", processes=2)}


def test_an_fd_with_fd_cloexec_is_closed_by_a_successful_exec_only():
    src = """
    int fds[2];
    char b[8];
    pipe(fds);
    if (fork() == 0) {
        close(fds[0]);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        execl("/missing", "x", NULL);
        write(fds[1], "open", 4);
        execl("/bin/true", "true", NULL);
        _exit(1);
    }
    close(fds[1]);
    int n = read(fds[0], b, 7);
    printf("%d %s %d\\n", n, b, (int)read(fds[0], b, 7));
    wait(NULL);
    return 0;
    """
    # the write end is closed at the second exec, so the parent's read sees EOF, not a hang
    assert outcomes_of(src) == {O("4 open 0\n", processes=2)}


def test_an_fd_without_fd_cloexec_survives_exec():
    src = """
    int fds[2];
    char b[8];
    pipe(fds);
    if (fork() == 0) { dup2(fds[1], 1); execlp("echo", "echo", "piped", NULL); _exit(1); }
    close(fds[1]);
    int n = read(fds[0], b, 7);
    wait(NULL);
    printf("%d [%s]\\n", n, b);
    return 0;
    """
    assert stdouts_of(src) == {"6 [piped\n]\n"}


def test_echo_with_a_closed_stdout_reports_the_error_and_exits_1():
    src = """
    close(1);
    execl("/bin/echo", "/bin/echo", "hi", NULL);
    return 0;
    """
    assert outcomes_of(src) == {O("", exit_status=1, stderr="/bin/echo: write error: Bad file descriptor\n")}


def test_a_vfork_child_that_execs_releases_its_parent():
    src = """
    pid_t pid = vfork();
    if (pid == 0) { execl("/bin/echo", "echo", "child", NULL); _exit(1); }
    printf("parent\\n");
    fflush(stdout);
    wait(NULL);
    return 0;
    """
    assert stdouts_of(src) == {"child\nparent\n", "parent\nchild\n"}


def test_exec_of_another_spec_file_runs_its_main_in_the_same_process(tmp_path):
    (tmp_path / "child.c").write_text(program("""
    printf("child image pid %d ppid %d\\n", getpid(), getppid());
    return 4;
    """))
    (tmp_path / "main.c").write_text(program("""
    pid_t pid = fork();
    if (pid == 0) { execl("./child", "child", NULL); _exit(1); }
    int s;
    waitpid(pid, &s, 0);
    printf("status %d\\n", WEXITSTATUS(s));
    return 0;
    """))
    r = run(load_spec(tmp_path / "main.c"), "file", Options())
    outs = {r.kernel.outcome(r.exploration.states[i]) for i in r.exploration.finals}
    assert outs == {O("child image pid 1001 ppid 1000\nstatus 4\n", processes=2)}


def test_exec_of_a_relative_path_with_no_spec_beside_it_fails_with_enoent():
    src = """
    printf("%d\\n", execl("./nothing_here", "x", NULL));
    return 0;
    """
    assert stdouts_of(src) == {"-1\n"}


def test_exec_of_an_image_that_is_not_modelled_is_an_error_naming_the_modelled_ones(spec_file):
    path = spec_file('execl("/bin/ls", "ls", NULL);\nreturn 0;')
    done = forkspec_cli("check", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    first = done.stderr.strip().splitlines()[0]
    assert first.startswith(f"{path}:8:5:") and "not modelled" in first and "/bin/echo" in first


@pytest.mark.parametrize("body", ['execlp("ls", "ls", NULL);', 'char *p = "/bin/ls";\nexecl(p, "ls", NULL);'])
def test_exec_through_path_or_a_variable_of_an_unmodelled_image_is_refused_too(body):
    with pytest.raises(ForkspecError) as e:
        explore(body + "\nreturn 0;")
    assert e.value.exit_code == 2 and e.value.span is not None
    assert "not modelled" in e.value.render() and "/bin/echo" in e.value.render()


def test_exec_is_a_visible_step_of_its_own():
    r = explore("""
    execl("/bin/true", "true", NULL);
    return 1;
    """)
    kinds = [e.kind for a, _ in r.kernel.successors(r.kernel.initial_state()) for e in a.events]
    assert "exec" in kinds and "exit" not in kinds


def test_a_reproducer_refuses_a_trace_that_execs():
    from conftest import final_traces
    from forkspec.report import c_repro

    r = explore("""
    if (fork() == 0) { execl("/bin/echo", "echo", "hi", NULL); _exit(1); }
    write(1, "p\\n", 2);
    wait(NULL);
    return 0;
    """)
    traces = [t for o, t in final_traces(r) if o.stdout == "hi\np\n"]
    assert traces
    with pytest.raises(c_repro.ReproUnsupported, match="execs a new image"):
        c_repro.reproducer(traces[0], spec=r.spec, mode="file", config=r.kernel.config)


def test_exec_resets_caught_signals_to_default_and_keeps_ignored_ones():
    spec = load_spec(SPECS / "exec" / "item82_exec_resets_caught_signals.c")
    r = run(spec, "file", Options())
    assert {r.kernel.outcome(r.exploration.states[i]).stdout for i in r.exploration.finals} == {"after SIGTERM\nkilled by 10\n"}


def test_exec_clears_handlers_and_flags_and_keeps_only_ignored_dispositions():
    src = """
    void h(int s) { }
    int main(void) {
        struct sigaction sa;
        sa.sa_handler = SIG_IGN;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGUSR1, h);
        execl("/bin/true", "true", NULL);
        return 1;
    }
    """
    kernel = Kernel(parse_spec(program(src), "t.c").program, Config())
    seen, todo, images = set(), [kernel.initial_state()], []
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        images += [p for p in s.procs if p.image]
        todo += [n for _, n in kernel.successors(s)]
    assert images
    for p in images:
        assert p.threads == () and p.handlers == ()
        assert p.sigdisp == ((SIGINT, SIG_IGN, 0, 0),)
