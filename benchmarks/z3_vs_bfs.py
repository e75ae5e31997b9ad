"""Time to verdict, BFS against Z3, on reap-N and fork-failure-N, N = 2..8.

    python benchmarks/z3_vs_bfs.py                 # writes benchmarks/results/z3_vs_bfs.md
    python benchmarks/z3_vs_bfs.py --max-n 5 --timeout 30

reap-N: a parent forks N children, child i exits with status i, the parent sums
WEXITSTATUS over N waitpid(-1, ...) calls and asserts the sum is N(N-1)/2 (holds), and
the same with an injected bug (the assert expects one more: violated).
fork-fail-N: the same children with `fork-can-fail: yes`; the parent counts the
failed forks, reaps the others and asserts that reaped + failed == N (holds).

Each verdict is one `forkspec check --engine E --json` in its own process, with a limit
on its CPU time (the machine may be shared: CPU seconds are what is compared, wall
seconds are shown too); once an engine runs out of time on a family it is not tried on
larger N. `--before DIR` adds a column for the Z3 engine of another checkout (the
version before a change). Measured, never asserted: nothing here is part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REAP_N = """\
/*@forkspec
description: reap-{n}: child i exits with status i; the parent sums WEXITSTATUS over {n} waitpid(-1) calls
*/
#include <assert.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {{
    int i, s, sum = 0;
    for (i = 0; i < {n}; i++)
        if (fork() == 0)
            _exit(i);
    for (i = 0; i < {n}; i++) {{
        waitpid(-1, &s, 0);
        sum += WEXITSTATUS(s);
    }}
    assert(sum == {expect});
    return 0;
}}
"""

FORK_FAIL_N = """\
/*@forkspec
description: fork-fail-{n}: any of {n} forks may fail; the parent reaps the children it has and counts the rest
fork-can-fail: yes
*/
#include <assert.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {{
    int i, failed = 0, reaped = 0;
    pid_t p;
    for (i = 0; i < {n}; i++) {{
        p = fork();
        if (p == 0)
            _exit(0);
        if (p < 0)
            failed++;
    }}
    while (wait(NULL) > 0)
        reaped++;
    assert(reaped + failed == {n});
    return 0;
}}
"""

FAMILIES = {
    "reap-N (holds)": lambda n: REAP_N.format(n=n, expect=n * (n - 1) // 2),
    "reap-N, injected bug (violated)": lambda n: REAP_N.format(n=n, expect=n * (n - 1) // 2 + 1),
    "fork-fail-N (holds)": lambda n: FORK_FAIL_N.format(n=n),
}


def verdict(path: Path, engine: str, timeout: float, root: Path = ROOT) -> tuple[str, float, float, dict]:
    """(the assert's verdict, CPU seconds, wall seconds, the run's Z3 figures) of one check run
    from checkout `root`; "timeout" once it has used `timeout` CPU seconds."""
    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (int(timeout), int(timeout) + 1))

    env = dict(os.environ, PYTHONPATH=str(root))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "forkspec", "check", str(path), "--engine", engine, "--json",
                               "--quiet", "--z3-timeout", str(10 * timeout)], preexec_fn=limit, env=env,
                              capture_output=True, text=True, timeout=10 * timeout, cwd=root)
    except subprocess.TimeoutExpired:
        return "timeout", timeout, 10 * timeout, {}
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode < 0 or cpu >= timeout:  # killed at its CPU limit
        return "timeout", cpu, wall, {}
    try:
        run = json.loads(proc.stdout)["runs"][0]
    except (ValueError, KeyError, IndexError):
        return f"error (exit {proc.returncode})", cpu, wall, {}
    a = next(c for c in run["checks"] if c["name"] == "assert")
    return a["verdict"], cpu, wall, run.get("z3") or run.get("stats") or {}


def cell(engine: str, v: str, cpu: float, wall: float, extra: dict, timeout: float) -> str:
    if v == "timeout":
        return f"> {timeout:.0f} s"
    out = f"{v} {cpu:.2f} s ({wall:.2f} s wall)"
    found = (extra.get("statistics") or {}).get("decided_at", {}).get("assert")
    if engine == "z3" and found is not None:
        out += f", found at {found:.2f} s"
    if engine == "z3" and extra.get("threshold") is not None:
        out += f", threshold {extra['threshold']}"
    if engine == "z3" and extra.get("proved_by") and v == "holds":
        out += f", by {extra['proved_by']}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-n", type=int, default=2)
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=60.0, help="CPU seconds per verdict")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "z3_vs_bfs.md")
    ap.add_argument("--only", default="", help="the families whose name contains this text")
    ap.add_argument("--before", type=Path, default=None, help="another checkout: its Z3 engine in a column of its own")
    ap.add_argument("--before-max-n", type=int, default=8, help="the largest N the other checkout is tried on")
    args = ap.parse_args()
    engines = [("bfs", "bfs", ROOT)] + ([("z3 before", "z3", args.before.resolve())] if args.before else []) \
        + [("z3", "z3", ROOT)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family, make in FAMILIES.items():
            if args.only not in family:
                continue
            gave_up = set()
            for n in range(args.min_n, args.max_n + 1):
                path = Path(tmp) / f"{family.split()[0]}_{n}.c"
                path.write_text(make(n))
                row = [family, str(n)]
                for label, engine, root in engines:
                    if label == "z3 before" and n > args.before_max_n:
                        row.append("not run")
                        continue
                    if label in gave_up:
                        row.append(f"> {args.timeout:.0f} s")
                        continue
                    v, cpu, wall, extra = verdict(path, engine, args.timeout, root)
                    if v == "timeout" or (engine == "z3" and v == "inconclusive"):
                        gave_up.add(label)
                    row.append(cell(engine, v, cpu, wall, extra, args.timeout))
                print(" | ".join(row), flush=True)
                rows.append(row)
    lines = ["# Time to verdict: BFS against Z3",
             "",
             "`python benchmarks/z3_vs_bfs.py` (each verdict is `forkspec check --engine E --json` in its own",
             f"process, at most {args.timeout:.0f} CPU seconds; an engine that runs out of time is not tried on larger",
             "N). The verdict is the program's `assert`; the time is the whole run's CPU time (every check: for",
             "Z3 also the proof of no-deadlock), its wall time in brackets; \"found at\" is when Z3's",
             "counterexample was in hand; the threshold is the longest execution in encoded steps.",
             "",
             "| workload | N | " + " | ".join(label for label, _, _ in engines) + " |",
             "| --- | --- | " + " | ".join("---" for _ in engines) + " |"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
