"""printf conversions of symbolic values under the Z3 engine: the text is the kernel's."""
from __future__ import annotations

from forkspec.engines.symbolic import Options as SymOptions
from forkspec.frontend import parse_spec
from forkspec.session import Options, run, run_z3
from z3check import bfs_outcomes, z3_outcomes

SOURCE = """/*@forkspec
input: -2..2
forall processes == 2
*/
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int status;
    int v = nondet_int() * 131;
    pid_t pid = fork();
    if (pid == 0)
        exit(v);
    waitpid(pid, &status, 0);
    printf("raw=%#x %X %lx\\n", status, v, (long)v);
    return 0;
}
"""


def test_hexadecimal_of_a_symbolic_value_prints_what_the_kernel_prints():
    spec = parse_spec(SOURCE, "hex.c")
    z = run_z3(spec, "file", z3_opts=SymOptions(timeout_ms=20_000, max_bound=20), outcomes=True)
    b = run(spec, "file", Options())
    kernel = bfs_outcomes(b)
    assert z3_outcomes(z) == kernel
    assert "raw=0xfa00 FFFFFEFA fffffffffffffefa\n" in {o.stdout for o in kernel}  # -262: (-262 & 0xff) << 8
    assert "raw=0 0 0\n" in {o.stdout for o in kernel}  # %#x gives 0 no 0x
