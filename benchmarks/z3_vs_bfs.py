"""Time to verdict, BFS against Z3, on reap-N and fork-failure-N, N = 2..8.

    python benchmarks/z3_vs_bfs.py                 # writes benchmarks/results/z3_vs_bfs.md
    python benchmarks/z3_vs_bfs.py --max-n 5 --timeout 30

reap-N: a parent forks N children, child i exits with status i, the parent sums
WEXITSTATUS over N waitpid(-1, ...) calls and asserts the sum is N(N-1)/2 (holds), and
the same with an injected bug (the assert expects one more: violated).
fork-fail-N: the same children with `fork-can-fail: yes`; the parent counts the
failed forks, reaps the others and asserts that reaped + failed == N (holds).

Each verdict is one `forkspec check --engine E --json` in its own process, with a
time limit; once an engine runs out of time on a family it is not tried on larger N.
Measured, never asserted: nothing here is part of the test suite.
"""
from __future__ import annotations

import argparse
import json
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


def verdict(path: Path, engine: str, timeout: float) -> tuple[str, float, dict]:
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "forkspec", "check", str(path), "--engine", engine, "--json",
                               "--quiet", "--z3-timeout", str(timeout)],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "timeout", timeout, {}
    seconds = time.perf_counter() - start
    try:
        run = json.loads(proc.stdout)["runs"][0]
    except (ValueError, KeyError, IndexError):
        return f"error (exit {proc.returncode})", seconds, {}
    a = next(c for c in run["checks"] if c["name"] == "assert")
    return a["verdict"], seconds, run.get("z3") or run.get("stats") or {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-n", type=int, default=2)
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per verdict")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "z3_vs_bfs.md")
    ap.add_argument("--only", default="", help="the families whose name contains this text")
    args = ap.parse_args()
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
                for engine in ("bfs", "z3"):
                    if engine in gave_up:
                        row.append(f"> {args.timeout:.0f} s")
                        continue
                    v, secs, extra = verdict(path, engine, args.timeout)
                    if v == "timeout" or (engine == "z3" and v == "inconclusive"):
                        gave_up.add(engine)
                    cell = f"{v} {secs:.2f} s" if v != "timeout" else f"> {args.timeout:.0f} s"
                    found = (extra.get("statistics") or {}).get("decided_at", {}).get("assert")
                    if engine == "z3" and found is not None:
                        cell += f", found at {found:.2f} s"
                    if engine == "z3" and extra.get("threshold") is not None:
                        cell += f" (threshold {extra['threshold']})"
                    row.append(cell)
                print(" | ".join(row), flush=True)
                rows.append(row)
    lines = ["# Time to verdict: BFS against Z3",
             "",
             "`python benchmarks/z3_vs_bfs.py` (each verdict is `forkspec check --engine E --json` in its own",
             f"process, {args.timeout:.0f} s at most; an engine that runs out of time is not tried on larger N).",
             "The verdict is the program's `assert`; the time is the whole run's (every check: for Z3 also the",
             "proof of no-deadlock); \"found at\" is when Z3's counterexample was replayed. Z3's threshold is the",
             "longest execution in encoded steps.",
             "",
             "| workload | N | bfs | z3 |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
