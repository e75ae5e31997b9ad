"""k-induction against the completeness threshold in the Z3 engine.

    python benchmarks/z3_induction.py                 # writes benchmarks/results/z3_induction.md
    python benchmarks/z3_induction.py --max-n 5 --timeout 60

Two questions, measured and never asserted:
* reap-N (from `z3_vs_bfs.py`), N = 2..8: is the `assert` proved sooner by k-induction
  than by unrolling to the completeness threshold? Each N runs twice, once with
  induction off (`Options(induction=0)`) and once with it on.
* the specs with unbounded loops (no completeness threshold): which checks Z3 proves,
  with which k, and how long it takes; and the same specs with induction off.

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
              "specs/symbolic/fork_retry_loop.c"]

CHILD = """
import json, sys, time
from forkspec.frontend import load_spec
from forkspec.session import modes_for, run_z3
from forkspec.engines.symbolic import Options
spec = load_spec(sys.argv[1])
mode = modes_for(spec, None)[0]
t = time.process_time()
r = run_z3(spec, mode, z3_opts=Options(induction=int(sys.argv[2]), induction_from=0, max_bound=int(sys.argv[3])))
f = r.exploration.stats.solver
print(json.dumps({"cpu": time.process_time() - t, "threshold": f.threshold, "proof": f.proof,
                  "induction": f.induction, "bound": f.bound,
                  "verdicts": {x.check.name: x.verdict for x in r.exploration.results}}))
"""


def measure(path: str, induction: int, bound: int, timeout: float) -> dict | None:
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, path, str(induction), str(bound)], cwd=ROOT,
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
        ("threshold" if r["threshold"] is not None else "—")
    return f"{r['verdicts'][check]} ({how}), {r['cpu']:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/z3_induction.md"))
    a = ap.parse_args()
    rows = ["| N | threshold only | with k-induction |", "| --- | --- | --- |"]
    gave_up = {0: False, 4: False}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(2, a.max_n + 1):
            path = Path(tmp) / f"reap{n}.c"
            path.write_text(REAP_N.format(n=n, expect=n * (n - 1) // 2))
            got = {}
            for k in (0, 4):
                got[k] = None if gave_up[k] else measure(str(path), k, 200, a.timeout)
                gave_up[k] = got[k] is None
            rows.append(f"| {n} | {cell(got[0], a.timeout)} | {cell(got[4], a.timeout)} |")
            print(rows[-1], flush=True)
    loops = ["| spec | check | without induction | with k-induction |", "| --- | --- | --- | --- |"]
    for spec in LOOP_SPECS:
        off, on = measure(spec, 0, 30, a.timeout), measure(spec, 4, 200, a.timeout)
        for check in (on or off or {"verdicts": {}})["verdicts"]:
            loops.append(f"| {Path(spec).name} | {check} | {cell(off, a.timeout, check)} "
                         f"| {cell(on, a.timeout, check)} |")
            print(loops[-1], flush=True)
    Path(a.out).write_text(
        "# k-induction against the completeness threshold\n\n"
        "`python benchmarks/z3_induction.py`: CPU seconds (`time.process_time`) of one `run_z3` in its own\n"
        f"process, at most {a.timeout:.0f} s of wall time; induction tries k = 1..4 (`Options.induction`)\n"
        "from the first depth on (`induction_from=0`; by default it waits for an execution that repeats a state).\n\n"
        "## reap-N: the `assert`\n\n" + "\n".join(rows) + "\n\n"
        "## Unbounded loops (no completeness threshold; without induction the bound is 30 steps)\n\n"
        + "\n".join(loops) + "\n")


if __name__ == "__main__":
    main()
