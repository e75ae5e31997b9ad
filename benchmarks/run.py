"""Benchmarks: distinct states, states/s and peak memory, per workload.

    python benchmarks/run.py              # the bundled specs and fork-N, N = 1..5
    python benchmarks/run.py --json out.json

Each workload runs in its own process so that its peak memory (max RSS) is its own.
Figures are measured, never asserted: nothing here is part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FORK_N = """\
/*@forkspec
description: for (i = 0; i < {n}; i++) fork(); then every process waits for its children
forall processes == {procs}
*/
#include <unistd.h>
#include <sys/wait.h>
int main(void) {{
    int i;
    for (i = 0; i < {n}; i++)
        fork();
    while (wait(NULL) > 0)
        ;
    return 0;
}}
"""


def measure(path: Path, mode: str, timeout: float) -> dict:
    """Run one exploration in a child process; return its figures (or that it ran out of time)."""
    code = (
        "import json, resource, sys\n"
        "from forkspec.frontend import load_spec\n"
        "from forkspec.session import Options, run\n"
        f"r = run(load_spec({str(path)!r}), {mode!r}, Options())\n"
        "s = r.exploration.stats\n"
        "print(json.dumps({'distinct': s.distinct, 'generated': s.generated, 'seconds': s.seconds,"
        " 'complete': s.complete, 'passed': all(x.passed for x in r.exploration.results),"
        " 'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"distinct": None, "generated": None, "seconds": timeout, "complete": False, "passed": None,
                "rss_kb": None}
    return json.loads(out.stdout.strip().splitlines()[-1])


def workloads(tmp: Path):
    for n in range(1, 6):
        p = tmp / f"fork_{n}.c"
        p.write_text(FORK_N.format(n=n, procs=2**n))
        yield f"fork-N N={n}", p, "file"
    for p in sorted((ROOT / "specs").rglob("*.c")) + sorted((ROOT / "benchmarks" / "workloads").glob("*.c")):
        yield p.relative_to(ROOT).as_posix(), p, "file"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--only", default="", help="run only workloads whose name contains this")
    ap.add_argument("--timeout", type=float, default=120, help="seconds allowed per workload (default 120)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as t:
        print(f"{'workload':52} {'distinct':>9} {'states/s':>9} {'seconds':>8} {'peak MB':>8}")
        for name, path, mode in workloads(Path(t)):
            if args.only not in name:
                continue
            m = measure(path, mode, args.timeout)
            if m["distinct"] is None:
                rows.append({"workload": name, "mode": mode, **m, "states_per_second": None})
                print(f"{name:52} {'did not finish within ' + format(args.timeout, 'g') + ' s':>38}", flush=True)
                continue
            rate = m["distinct"] / m["seconds"] if m["seconds"] else 0
            rows.append({"workload": name, "mode": mode, **m, "states_per_second": rate})
            print(f"{name:52} {m['distinct']:>9} {rate:>9.0f} {m['seconds']:>8.2f} {m['rss_kb'] / 1024:>8.1f}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
