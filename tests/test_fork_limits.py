"""Fork failure and limits (reference section M, item 89): the command line's
--fork-can-fail and --max-procs, over a spec's own `fork-can-fail:` and `max-procs:`.
"""
from __future__ import annotations

from conftest import forkspec_cli, stdouts_of

PROGRAM = """
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    printf("%d %d\\n", p, p == -1 && errno == EAGAIN);
    while (wait(NULL) > 0) ;
    return 0;
}
"""


def outcomes(path, *flags) -> str:
    r = forkspec_cli("outcomes", str(path), *flags)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_command_line_flags_add_the_eagain_branch_and_the_process_limit(spec_file):
    path = spec_file(PROGRAM)
    out = outcomes(path, "--fork-can-fail")
    assert 'stdout="-1 1\\n"' in out and 'stdout="1001 0\\n"' in out
    out = outcomes(path, "--max-procs", "1")
    assert 'stdout="-1 1\\n"' in out and "1001" not in out


def test_options_override_the_spec_header():
    src = "/*@forkspec\nfork-can-fail: yes\nmax-procs: 1\n*/\n" + PROGRAM
    assert stdouts_of(src) == {"-1 1\n"}
    assert stdouts_of(src, max_procs=2, fork_can_fail=False) == {"1001 0\n"}
    assert stdouts_of(src, max_procs=2) == {"1001 0\n", "-1 1\n"}
