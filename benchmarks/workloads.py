"""The four scaling workloads W1–W4, each as a forkspec C spec and as a Promela model.

Both sides model the same program: fork copies the locals (Promela: `run` of a
proctype given copies of them), output is recorded in the order it is written,
and an exited process stays a zombie until its parent reaps it (oldest first).
The C side is the ground truth; the Promela side is what SPIN is timed on. Both
have the same process table: the C spec's `max-procs` is the Promela `MAXP`, one
more than the processes the program makes, so no fork fails on either side.
"""
from __future__ import annotations

from typing import NamedTuple


class Workload(NamedTuple):
    key: str  # W1..W4
    name: str
    c: str  # the forkspec spec
    promela: str  # the SPIN model


# ------------------------------------------------------------------ C specs

_C_HEAD = "#include <stdio.h>\n#include <stdlib.h>\n#include <assert.h>\n#include <unistd.h>\n#include <sys/wait.h>\n"


def c_fork_tree(n: int) -> str:
    return f"""/*@forkspec
description: W1 fork-tree-{n}: for (i < {n}) fork(); every process prints one character, waits for its children, exits
modes: file
max-procs: {2 ** n + 1}
forall stdout == "{'x' * 2 ** n}"
forall processes == {2 ** n} and exit_status == 0
*/
{_C_HEAD}
int main(void)
{{
    int i;
    for (i = 0; i < {n}; i++)
        fork();
    putchar('x');
    while (wait(NULL) > 0)
        ;
    return 0;
}}
"""


def c_fork_chain(n: int) -> str:
    return f"""/*@forkspec
description: W2 fork-chain-{n}: each process forks one child down to depth {n}, prints, waits for its child, exits
modes: file
max-procs: {n + 2}
forall stdout == "{'x' * (n + 1)}"
forall processes == {n + 1} and exit_status == 0
*/
{_C_HEAD}
int main(void)
{{
    int d;
    for (d = 0; d < {n}; d++)
        if (fork() != 0)
            break;
    putchar('x');
    wait(NULL);
    return 0;
}}
"""


def c_dash_puzzle(n: int) -> str:
    return f"""/*@forkspec
description: W3 dash-puzzle-{n}: for (i < {n}) {{ fork(); printf("-"); }} to a file prints {n}*2^{n} dashes (buffers are copied)
modes: file
max-procs: {2 ** n + 1}
forall stdout.count("-") == {n * 2 ** n} and len(stdout) == {n * 2 ** n}
forall processes == {2 ** n} and exit_status == 0
*/
{_C_HEAD}
int main(void)
{{
    int i;
    for (i = 0; i < {n}; i++) {{
        fork();
        printf("-");
    }}
    while (wait(NULL) > 0)
        ;
    return 0;
}}
"""


def c_reap(n: int) -> str:
    return f"""/*@forkspec
description: W4 reap-{n}: the parent forks {n} children, child i exits with status i, the parent sums WEXITSTATUS over {n} waitpid(-1) calls
modes: file
max-procs: {n + 2}
forall processes == {n + 1} and exit_status == 0
*/
{_C_HEAD}
int main(void)
{{
    int i, status, sum = 0;
    for (i = 0; i < {n}; i++)
        if (fork() == 0)
            exit(i);
    for (i = 0; i < {n}; i++) {{
        waitpid(-1, &status, 0);
        sum += WEXITSTATUS(status);
    }}
    assert(sum == {n * (n - 1) // 2});
    return 0;
}}
"""


# ------------------------------------------------------------------ Promela models
# Shared kernel: a process table (state, parent, exit status), a pid counter, and
# the output as an array of characters. wait() blocks until a child is a zombie or
# there is none; it reaps the oldest zombie child.

_PML_KERNEL = """
#define RUN 1
#define ZOMBIE 2
byte st[MAXP];      /* 0: free or reaped, RUN, ZOMBIE */
byte par[MAXP];
byte code[MAXP];    /* exit status of a zombie */
byte nkids[MAXP];   /* children not yet reaped */
byte nzomb[MAXP];   /* of which zombies */
byte nextpid = 1;
byte out[MAXOUT];
byte nout = 0;

inline put(c) { d_step { out[nout] = c; nout++ } }

inline exit_(me, s) {
    d_step { st[me] = ZOMBIE; code[me] = s; nzomb[par[me]]++ }
}

/* wait(&s): reap the oldest zombie child; -1 when there is no child */
inline wait_(me, ret, s) {
    atomic {
        (nkids[me] == 0 || nzomb[me] > 0) ->
        if
        :: nkids[me] == 0 -> ret = 255
        :: else ->
            d_step {
                ret = 0;
                do
                :: st[ret] == ZOMBIE && par[ret] == me -> break
                :: else -> ret++
                od;
                s = code[ret]; st[ret] = 0; code[ret] = 0; par[ret] = 0;
                nkids[me]--; nzomb[me]--
            }
        fi
    }
}

/* fork(): a new pid, the child's table entry; the caller then runs the child */
inline newpid(me, child) {
    d_step { child = nextpid; nextpid++; st[child] = RUN; par[child] = me; nkids[me]++ }
}
"""


def _pml(defs: str, body: str) -> str:
    return defs + _PML_KERNEL + body


def pml_fork_tree(n: int) -> str:
    return _pml(f"#define N {n}\n#define MAXP {2 ** n + 1}\n#define MAXOUT {2 ** n}\n", """
proctype P(byte me; byte i) {
    byte child, r, s;
    do
    :: i < N -> atomic { newpid(me, child); run P(child, i + 1); child = 0; i++ }
    :: else -> break
    od;
    put('x');
    do
    :: wait_(me, r, s); if :: r == 255 -> break :: else -> r = 0 fi
    od;
    if :: me == 1 -> assert(nout == MAXOUT) :: else -> skip fi;
    exit_(me, 0)
}
init { byte c; newpid(0, c); run P(c, 0) }
""")


def pml_fork_chain(n: int) -> str:
    return _pml(f"#define N {n}\n#define MAXP {n + 2}\n#define MAXOUT {n + 1}\n", """
proctype P(byte me; byte d) {
    byte child, r, s;
    if
    :: d < N -> atomic { newpid(me, child); run P(child, d + 1); child = 0 }
    :: else -> skip
    fi;
    put('x');
    wait_(me, r, s);
    if :: me == 1 -> assert(nout == MAXOUT) :: else -> skip fi;
    exit_(me, 0)
}
init { byte c; newpid(0, c); run P(c, 0) }
""")


def pml_dash_puzzle(n: int) -> str:
    # stdout is a file: "-" stays in the process's buffer (a local, copied by fork) until exit flushes it
    return _pml(f"#define N {n}\n#define MAXP {2 ** n + 1}\n#define MAXOUT {n * 2 ** n}\n", """
proctype P(byte me; byte i; byte buf) {
    byte child, r, s, k;
    do
    :: i < N -> atomic { newpid(me, child); run P(child, i + 1, buf + 1); child = 0; buf++; i++ }
    :: else -> break
    od;
    do
    :: wait_(me, r, s); if :: r == 255 -> break :: else -> r = 0 fi
    od;
    skip;
    d_step { k = 0; do :: k < buf -> out[nout] = '-'; nout++; k++ :: else -> break od; k = 0 };
    if :: me == 1 -> assert(nout == MAXOUT) :: else -> skip fi;
    exit_(me, 0)
}
init { byte c; newpid(0, c); run P(c, 0, 0) }
""")


def pml_reap(n: int) -> str:
    return _pml(f"#define N {n}\n#define MAXP {n + 2}\n#define MAXOUT 1\n", """
proctype Child(byte me; byte i) { exit_(me, i) }
proctype P(byte me) {
    byte child, r, s, i, sum;
    i = 0;
    do
    :: i < N -> atomic { newpid(me, child); run Child(child, i); child = 0; i++ }
    :: else -> break
    od;
    i = 0;
    do
    :: i < N -> wait_(me, r, s); d_step { sum = sum + s; r = 0; s = 0; i++ }
    :: else -> break
    od;
    assert(sum == N * (N - 1) / 2);
    exit_(me, 0)
}
init { byte c; newpid(0, c); run P(c) }
""")


GENERATORS = {
    "W1": ("fork-tree", c_fork_tree, pml_fork_tree),
    "W2": ("fork-chain", c_fork_chain, pml_fork_chain),
    "W3": ("dash-puzzle", c_dash_puzzle, pml_dash_puzzle),
    "W4": ("reap", c_reap, pml_reap),
}


def workload(key: str, n: int) -> Workload:
    name, c, pml = GENERATORS[key]
    return Workload(key, f"{name}-{n}", c(n), pml(n))
