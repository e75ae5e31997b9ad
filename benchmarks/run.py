"""Benchmarks: forkspec side by side with SPIN on the scaling workloads W1–W4.

    python benchmarks/run.py --spin            # W1–W4 for growing N, forkspec and SPIN alternating
    python benchmarks/run.py                   # the same, forkspec alone
    python benchmarks/run.py --only W3 --max-n 5 --timeout 60 --workers 2
    python benchmarks/run.py --specs           # the bundled specs: distinct states, states/s, peak memory

Per workload and N it prints forkspec's distinct states, states/s, peak memory,
bytes per stored state (peak RSS growth per state, and with --fingerprints the
visited table's own size per state) and time to verdict (the whole `forkspec check` process:
start-up, parsing and search), and SPIN's stored states (default partial-order
reduction) and time to verdict *including* `spin -a` and compiling pan.c, and the
ratio of the two times. A tool that does not finish within the timeout is not run
on larger N. Results go to benchmarks/results/ (JSON and CSV, with a Markdown
table), so runs can be compared. Figures are measured, never asserted: nothing
here is part of the test suite.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
from workloads import GENERATORS, workload  # noqa: E402

SIZES = {"W1": [1, 2, 3, 4, 5, 6, 7], "W2": [4, 8, 14, 20, 30], "W3": [1, 2, 3, 4, 5, 6, 7],
         "W4": [4, 6, 8, 9, 10, 11, 12, 13]}
SPIN_MISSING = ("spin is not installed: `apt-get install spin` (Debian/Ubuntu) installs SPIN 6.5; "
                "running forkspec alone")

# Runs in a child process: parse, explore, and report figures as one JSON line.
_FORKSPEC_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from forkspec.frontend import load_spec
from forkspec.session import Options, run
spec = load_spec(sys.argv[1])
opts = Options(**json.loads(sys.argv[2]))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = run(spec, "file", opts)
s = r.exploration.stats
print(json.dumps({"distinct": s.distinct, "generated": s.generated, "search_s": s.seconds, "complete": s.complete,
                  "passed": all(x.passed for x in r.exploration.results),
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "base_kb": base,
                  "reductions": list(r.exploration.reductions), "collision": s.fingerprint_collision,
                  "table_bytes": s.table_bytes}))
"""


def run_forkspec(path: Path, opts: dict, timeout: float) -> dict:
    t0 = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", _FORKSPEC_CHILD, str(path), json.dumps(opts)], cwd=ROOT,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": timeout}
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"finished": False, "seconds": wall, "error": out.stderr.strip().splitlines()[-1:]}
    m = json.loads(out.stdout.strip().splitlines()[-1])
    grown = max(m["peak_kb"] - m["base_kb"], 0) * 1024
    return {"finished": m["complete"], "seconds": wall, **m,
            "states_per_s": m["distinct"] / m["search_s"] if m["search_s"] else None,
            "bytes_per_state": grown / m["distinct"] if m["distinct"] else None,
            "table_bytes_per_state": m["table_bytes"] / m["distinct"] if m.get("table_bytes") else None}


def run_spin(model: str, workdir: Path, timeout: float) -> dict:
    """spin -a, gcc -O2, ./pan (default POR): states stored, errors, and the time of all three."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "model.pml").write_text(model)
    t0 = time.perf_counter()
    try:
        subprocess.run(["spin", "-a", "model.pml"], cwd=workdir, check=True, capture_output=True, timeout=timeout)
        subprocess.run(["gcc", "-O2", "-w", "-DMEMLIM=16384", "-o", "pan", "pan.c"], cwd=workdir, check=True,
                       capture_output=True, timeout=timeout)
        left = timeout - (time.perf_counter() - t0)
        if left <= 0:
            raise subprocess.TimeoutExpired("pan", timeout)
        out = subprocess.run(["./pan", "-m10000000"], cwd=workdir, capture_output=True, text=True, timeout=left)
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": timeout}
    except subprocess.CalledProcessError as e:
        return {"finished": False, "seconds": time.perf_counter() - t0, "error": (e.stderr or b"")[-300:].decode()}
    wall = time.perf_counter() - t0
    text = out.stdout
    stored = re.search(r"(\d+) states, stored", text)
    errors = re.search(r"errors: (\d+)", text)
    mem = re.search(r"([\d.]+)\s+total actual memory usage", text)
    return {"finished": stored is not None and "error: max search depth too small" not in text, "seconds": wall,
            "states": int(stored.group(1)) if stored else None, "errors": int(errors.group(1)) if errors else None,
            "memory_mb": float(mem.group(1)) if mem else None}


def fmt(v, spec="", none="-") -> str:
    return none if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spin", action="store_true", help="also run SPIN on the Promela models, alternating")
    ap.add_argument("--only", default="", help="workloads to run, e.g. W1,W3 (default: all)")
    ap.add_argument("--max-n", type=int, default=None, help="largest N to try")
    ap.add_argument("--timeout", type=float, default=60, help="seconds allowed per run (default 60)")
    ap.add_argument("--workers", type=int, default=1, help="forkspec --workers")
    ap.add_argument("--no-symmetry", action="store_true", help="forkspec without pid symmetry")
    ap.add_argument("--no-por", action="store_true", help="forkspec without partial-order reduction")
    ap.add_argument("--no-dead-vars", action="store_true", help="forkspec without the dead-variable reset")
    ap.add_argument("--no-merge-woken", action="store_true", help="forkspec without merging the waits an exit settles")
    ap.add_argument("--no-sleep-sets", action="store_true", help="forkspec without sleep sets")
    ap.add_argument("--fingerprints", action="store_true", help="forkspec with fingerprint storage")
    ap.add_argument("--specs", action="store_true", help="measure the bundled specs instead (forkspec only)")
    ap.add_argument("--out", type=Path, default=None, help="result file stem (default results/run-<time>)")
    args = ap.parse_args()
    if args.specs:
        return measure_specs(args)
    spin = args.spin and shutil.which("spin") is not None and shutil.which("gcc") is not None
    if args.spin and not spin:
        print(SPIN_MISSING)
    opts = options(args)
    keys = [k for k in GENERATORS if not args.only or k in args.only.split(",")]
    rows = []
    head = (f"{'workload':16} {'fs states':>10} {'states/s':>9} {'peak MB':>8} {'B/state':>8} {'fs time':>8}"
            + (f" {'SPIN states':>12} {'SPIN time':>9} {'time ratio':>10} {'states ratio':>12}" if spin else ""))
    print(head)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for key in keys:
            fs_done = spin_done = True
            for n in SIZES[key]:
                if args.max_n is not None and n > args.max_n:
                    break
                if not fs_done and not (spin and spin_done):
                    break
                w = workload(key, n)
                path = tmp / f"{key}_{n}.c"
                path.write_text(w.c)
                f = run_forkspec(path, opts, args.timeout) if fs_done else {"finished": False, "skipped": True}
                s = run_spin(w.promela, tmp / f"spin_{key}_{n}", args.timeout) if spin and spin_done else None
                fs_done = fs_done and f["finished"]
                spin_done = spin_done and bool(s and s["finished"])
                row = {"workload": key, "name": w.name, "n": n, "forkspec": f, "spin": s}
                if s and s.get("finished") and f.get("finished"):
                    row["time_ratio"] = f["seconds"] / s["seconds"]
                    row["states_ratio"] = f["distinct"] / s["states"] if s["states"] else None
                rows.append(row)
                print(line(row, spin), flush=True)
    stem = args.out or RESULTS / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    save(rows, Path(stem), opts, spin)
    print(f"results: {stem}.json, {stem}.csv, {stem}.md")


def line(row: dict, spin: bool) -> str:
    f, s = row["forkspec"], row["spin"]
    if f.get("finished"):
        fs = (f"{f['distinct']:>10,} {fmt(f['states_per_s'], ',.0f'):>9} {f['peak_kb'] / 1024:>8.1f} "
              f"{fmt(f['bytes_per_state'], ',.0f'):>8} {f['seconds']:>7.2f}s")
    else:
        fs = f"{'(not run)' if f.get('skipped') else '> ' + format(f['seconds'], 'g') + ' s':>48}"
    out = f"{row['name']:16} {fs}"
    if spin:
        if s is None:
            out += f" {'(not run)':>22}"
        elif s.get("finished"):
            out += f" {s['states']:>12,} {s['seconds']:>8.2f}s"
        else:
            out += f" {'> ' + format(s['seconds'], 'g') + ' s':>22}"
        out += f" {fmt(row.get('time_ratio'), '.2f'):>10} {fmt(row.get('states_ratio'), '.4f'):>12}"
    return out


def save(rows: list, stem: Path, opts: dict, spin: bool) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    meta = {"options": opts, "spin": spin, "cpus": os.cpu_count(), "load": os.getloadavg(),
            "python": sys.version.split()[0]}
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    cols = ["workload", "n", "fs_finished", "fs_distinct", "fs_states_per_s", "fs_peak_mb", "fs_bytes_per_state",
            "fs_seconds", "fs_table_bytes_per_state", "spin_finished", "spin_states", "spin_seconds", "time_ratio", "states_ratio"]
    with stem.with_suffix(".csv").open("w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(cols)
        for r in rows:
            f, s = r["forkspec"], r["spin"] or {}
            wr.writerow([r["workload"], r["n"], f.get("finished"), f.get("distinct"), f.get("states_per_s"),
                         f["peak_kb"] / 1024 if f.get("peak_kb") else None, f.get("bytes_per_state"),
                         f.get("seconds"), f.get("table_bytes_per_state"), s.get("finished"), s.get("states"), s.get("seconds"),
                         r.get("time_ratio"), r.get("states_ratio")])
    md = ["| workload | N | forkspec states | states/s | peak MB | bytes/state | table bytes/state | forkspec time "
          "| SPIN states (POR) | SPIN time | time ratio |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f, s = r["forkspec"], r["spin"] or {}
        ft = f"{f['seconds']:.2f} s" if f.get("finished") else ("not run" if f.get("skipped") else
                                                                   f"> {f['seconds']:g} s")
        st = f"{s['seconds']:.2f} s" if s.get("finished") else (f"> {s['seconds']:g} s" if s else "-")
        md.append(f"| {r['workload']} {GENERATORS[r['workload']][0]} | {r['n']} | {fmt(f.get('distinct'), ',')} | "
                  f"{fmt(f.get('states_per_s'), ',.0f')} | "
                  f"{fmt(f['peak_kb'] / 1024 if f.get('peak_kb') else None, '.0f')} | "
                  f"{fmt(f.get('bytes_per_state'), ',.0f')} | {fmt(f.get('table_bytes_per_state'), ',.0f')} | {ft} | {fmt(s.get('states'), ',')} | {st} | "
                  f"{fmt(r.get('time_ratio'), '.2f')} |")
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")


def options(args) -> dict:
    """forkspec's Options fields for the switches given."""
    return {"symmetry": not args.no_symmetry, "por": not args.no_por, "dead_vars": not args.no_dead_vars,
            "merge_woken": not args.no_merge_woken, "sleep_sets": not args.no_sleep_sets,
            "fingerprints": args.fingerprints, "workers": args.workers}


def measure_specs(args) -> None:
    print(f"{'spec':52} {'distinct':>9} {'states/s':>9} {'seconds':>8} {'peak MB':>8}")
    opts = options(args)
    for p in sorted((ROOT / "specs").rglob("*.c")) + sorted((ROOT / "benchmarks" / "workloads").glob("*.c")):
        name = p.relative_to(ROOT).as_posix()
        if args.only and args.only not in name:
            continue
        m = run_forkspec(p, opts, args.timeout)
        if "distinct" not in m:
            print(f"{name:52} {'did not finish within ' + format(args.timeout, 'g') + ' s':>38}", flush=True)
            continue
        print(f"{name:52} {m['distinct']:>9} {fmt(m['states_per_s'], '.0f'):>9} {m['search_s']:>8.2f} "
              f"{m['peak_kb'] / 1024:>8.1f}", flush=True)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
