"""k-induction and the recurrence diameter against the completeness threshold in the Z3 engine.

    python benchmarks/z3_induction.py                 # writes benchmarks/results/z3_induction.md and z3_loops.md
    python benchmarks/z3_induction.py --max-n 5 --timeout 60
    python benchmarks/z3_induction.py --part loops    # only the loop specs (z3_loops.md)

Two questions, measured and never asserted:
* reap-N (from `z3_vs_bfs.py`), N = 2..8: is the `assert` proved sooner by k-induction
  than by unrolling to the completeness threshold? Each N runs twice, once with
  induction off (`Options(induction=0)`) and once with it on.
* the specs with unbounded loops (no completeness threshold): which checks each way of
  proving decides, and how long it takes: BFS; Z3 with neither induction nor the
  recurrence diameter (a bound of 30 steps); with k-induction alone; with the recurrence
  diameter alone.

Each run is its own process (a time limit can stop it), timed with `time.process_time`
inside that process (the machine is shared: CPU time, not wall time).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from z3_vs_bfs import REAP_N  # noqa: E402

LOOP_SPECS = ["specs/symbolic/spin_on_shared_flag.c", "specs/symbolic/wnohang_poll_loop.c",
              "specs/symbolic/fork_retry_loop.c", "specs/signals/item65_subreaper_adopts_orphan.c"]
WAYS = {"bound 30 only": dict(induction=0, recurrence=False, max_bound=30),  # name -> Z3 options
        "k-induction": dict(induction=4, recurrence=False, max_bound=200),
        "recurrence diameter": dict(induction=0, recurrence=True, max_bound=200)}

CHILD = """
import json, sys, time
from forkspec.frontend import load_spec
from forkspec.session import Options as BfsOptions, modes_for, run, run_z3
from forkspec.engines.symbolic import Options
spec = load_spec(sys.argv[1])
mode = modes_for(spec, None)[0]
how = json.loads(sys.argv[2])
t = time.process_time()
if how == "bfs":
    r = run(spec, mode, BfsOptions())
    out = {"threshold": None, "proof": "bfs", "induction": {}, "bound": None}
else:
    r = run_z3(spec, mode, z3_opts=Options(induction_from=0, **how))
    f = r.exploration.stats.solver
    out = {"threshold": f.threshold, "proof": f.proof, "induction": f.induction, "bound": f.bound}
out["cpu"] = time.process_time() - t
out["verdicts"] = {x.check.name: x.verdict for x in r.exploration.results}
print(json.dumps(out))
"""


def measure(path: str, how, timeout: float) -> dict | None:
    """One run in its own process: `how` is "bfs" or the Z3 options."""
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, path, json.dumps(how)], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {"error": done.stderr[-300:]}


def cell(r: dict | None, timeout: float, check: str = "assert") -> str:
    if r is None:
        return f"> {timeout:.0f} s"
    if "error" in r:
        return "error"
    how = f"{r['induction'][check]}-inductive" if check in r["induction"] else \
        r["proof"] if r["proof"] in ("bfs", "recurrence") else ("threshold" if r["threshold"] is not None else "—")
    return f"{r['verdicts'][check]} ({how}), {r['cpu']:.2f} s"


def reap_rows(max_n: int, timeout: float) -> list:
    rows = ["| N | threshold only | with k-induction |", "| --- | --- | --- |"]
    gave_up = {0: False, 4: False}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(2, max_n + 1):
            path = Path(tmp) / f"reap{n}.c"
            path.write_text(REAP_N.format(n=n, expect=n * (n - 1) // 2))
            got = {}
            for k in (0, 4):
                got[k] = None if gave_up[k] else measure(str(path), dict(induction=k, recurrence=False), timeout)
                gave_up[k] = got[k] is None
            rows.append(f"| {n} | {cell(got[0], timeout)} | {cell(got[4], timeout)} |")
            print(rows[-1], flush=True)
    return rows


def loop_rows(timeout: float) -> list:
    rows = ["| spec | check | BFS | " + " | ".join(f"Z3, {w}" for w in WAYS) + " |",
            "| --- | --- | --- | " + " | ".join("---" for _ in WAYS) + " |"]
    for spec in LOOP_SPECS:
        got = [measure(spec, "bfs", timeout)] + [measure(spec, how, timeout) for how in WAYS.values()]
        for check in next((g for g in got if g and "verdicts" in g), {"verdicts": {}})["verdicts"]:
            rows.append(f"| {Path(spec).name} | {check} | " + " | ".join(cell(g, timeout, check) for g in got) + " |")
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--part", choices=["reap", "loops", "all"], default="all")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    a = ap.parse_args()
    head = (f"`python benchmarks/z3_induction.py`: CPU seconds (`time.process_time`) of one run in its own\n"
            f"process, at most {a.timeout:.0f} s of wall time; induction tries k = 1..4 (`Options.induction`)\n"
            "from the first depth on (`induction_from=0`; by default it waits for an execution that repeats a state).\n\n")
    if a.part in ("reap", "all"):
        rows = reap_rows(a.max_n, a.timeout)
        Path(a.out, "z3_induction.md").write_text(
            "# k-induction against the completeness threshold\n\n" + head
            + "## reap-N: the `assert`\n\n" + "\n".join(rows) + "\n")
    if a.part in ("loops", "all"):
        rows = loop_rows(a.timeout)
        Path(a.out, "z3_loops.md").write_text(
            "# Unbounded loops: k-induction and the recurrence diameter\n\n" + head
            + "No completeness threshold: without induction or the recurrence diameter the bound is 30 steps.\n\n"
            + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
