"""Conformance at scale: thousands of generated forking programs, the model against the real kernel.

    python benchmarks/conformance.py --programs 1000 --runs 10 --jobs 2
    python benchmarks/conformance.py --programs 200 --first 5000 --modes file tty --json out.json

Program ``k`` is ``forkspec.gen.from_seed(first + k)``: the same on every machine, so a
run can be repeated. Each is compiled once, its model outcomes computed for every
mode, and it is run ``--runs`` times per mode on the real kernel, each run perturbed
(pauses at fork, output, exit and wait points; one CPU or all). An observation the
model does not allow is a *violation*: the model is wrong. Violating programs are
shrunk (statements deleted and simplified while the violation still shows up in
``--shrink-runs`` runs) and printed, ready to become regression specs.

The summary (programs, observations, violations, mean coverage) goes to stdout and,
with every program's figures and the shrunk programs, to the JSON file
(``benchmarks/results/conformance.json`` unless ``--json`` says otherwise).
Figures are measured, never asserted: nothing here is part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forkspec import conform, gen, realrun  # noqa: E402
from forkspec.errors import ForkspecError  # noqa: E402

MODES = ("file", "tty", "pipe")
MAX_STATES = 300_000  # a model search beyond this is cut short (the program counts as incomplete)
_workdir: Path | None = None


def workdir() -> Path:
    """One scratch directory per worker process (the launcher is compiled into it once)."""
    global _workdir
    if _workdir is None:
        _workdir = Path(tempfile.mkdtemp(prefix="forkspec-conformance-"))
    return _workdir


def check(prog: gen.Program, name: str, modes, runs: int, seed: int, timeout: float) -> list[conform.ConformReport]:
    wd = workdir()
    try:
        return conform.conform_source(prog.source(), name, modes, runs, wd, timeout=timeout, seed=seed,
                                      max_states=MAX_STATES)
    finally:
        for suffix in (".c", ""):
            try:
                (wd / f"{name}{suffix}").unlink()
            except OSError:
                pass


def try_program(task) -> dict:
    """One generated program in every mode: its figures, and its violations if any."""
    seed, modes, runs, timeout = task
    prog = gen.from_seed(seed)
    t0 = time.monotonic()
    try:
        reports = check(prog, f"g{seed}", modes, runs, seed, timeout)
    except ForkspecError as e:  # the generator produced something the model or cc refuses: a generator bug
        return {"seed": seed, "error": e.render(), "source": prog.source()}
    out = {"seed": seed, "seconds": round(time.monotonic() - t0, 3), "procs": gen.procs_bound(prog), "modes": {}}
    for r in reports:
        out["modes"][r.mode] = {
            "runs": r.counted, "timed_out": r.timed_out, "model": len(r.model), "complete": r.model_complete,
            "observed": len(r.observed), "coverage": round(r.coverage, 4),
            "forbidden": conform.to_json(r)["forbidden"],
        }
    return out


def shrink_violation(task) -> dict:
    """Shrink a violating program: the smallest variant that still shows a forbidden outcome."""
    seed, mode, runs, timeout = task
    prog = gen.from_seed(seed)
    counter = iter(range(10**9))

    def fails(p: gen.Program) -> bool:
        try:
            [rep] = check(p, f"s{seed}_{next(counter)}", (mode,), runs, seed, timeout)
        except ForkspecError:
            return False
        return bool(rep.forbidden)

    t0 = time.monotonic()
    small = gen.shrink(prog, fails)
    # confirm with a larger budget, and keep the report for the record
    [rep] = check(small, f"s{seed}_final", (mode,), runs * 3, seed + 1, timeout)
    return {"seed": seed, "mode": mode, "seconds": round(time.monotonic() - t0, 1), "confirmed": bool(rep.forbidden),
            "size": small.size(), "original_size": prog.size(),
            "source": small.source(f"description: shrunk from generated program seed {seed}\nmodes: {mode}"),
            "report": conform.render(rep)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=1000, help="programs to generate and run")
    ap.add_argument("--first", type=int, default=0, help="seed of the first program")
    ap.add_argument("--seeds", type=int, nargs="+", help="exactly these seeds (instead of --programs/--first)")
    ap.add_argument("--runs", type=int, default=10, help="real runs per program and mode")
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="programs run in parallel")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per real run")
    ap.add_argument("--shrink", type=int, default=8, help="violating programs to shrink (0: none)")
    ap.add_argument("--shrink-runs", type=int, default=40, help="real runs per shrinking step")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "conformance.json")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    if realrun.compiler() is None:
        print("no C compiler: nothing to run", file=sys.stderr)
        return 2

    t0 = time.monotonic()
    seeds = args.seeds or [args.first + k for k in range(args.programs)]
    tasks = [(seed, tuple(args.modes), args.runs, args.timeout) for seed in seeds]
    results: list[dict] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for n, res in enumerate(pool.map(try_program, tasks, chunksize=4), start=1):
            results.append(res)
            if not args.quiet and (n % 50 == 0 or n == len(tasks)):
                bad = sum(1 for r in results if _violating_modes(r))
                print(f"  {n}/{len(tasks)} programs, {bad} violating, {time.monotonic() - t0:.0f}s", file=sys.stderr)

        violating = [(r["seed"], m) for r in results for m in _violating_modes(r)[:1]]
        shrunk: list[dict] = []
        if args.shrink and violating:
            todo = [(seed, mode, args.shrink_runs, args.timeout) for seed, mode in violating[: args.shrink]]
            if not args.quiet:
                print(f"  shrinking {len(todo)} violating program(s)...", file=sys.stderr)
            shrunk = list(pool.map(shrink_violation, todo))

    summary = summarise(results, args, time.monotonic() - t0)
    distinct = {}
    for s in shrunk:
        distinct.setdefault(s["source"].split("*/", 1)[1], s)
    print(render(summary, list(distinct.values())))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "shrunk": list(distinct.values()), "programs": results},
                                    indent=1) + "\n")
    print(f"written: {args.json}")
    if _workdir is not None:
        shutil.rmtree(_workdir, ignore_errors=True)
    return 1 if summary["violations"] else 0


def _violating_modes(r: dict) -> list[str]:
    return [m for m, f in r.get("modes", {}).items() if f["forbidden"]]


def summarise(results: list[dict], args, seconds: float) -> dict:
    per_mode = [(r["seed"], m, f) for r in results for m, f in r.get("modes", {}).items()]
    covs = [f["coverage"] for _, _, f in per_mode]
    return {
        "command": "python benchmarks/conformance.py " + " ".join(sys.argv[1:]),
        "programs": len(results),
        "seeds": f"{results[0]['seed']}..{results[-1]['seed']}" if results else "",
        "modes": list(args.modes),
        "runs_per_mode": args.runs,
        "observations": sum(f["runs"] for _, _, f in per_mode),
        "timed_out": sum(f["timed_out"] for _, _, f in per_mode),
        "violations": sum(1 for r in results if _violating_modes(r)),
        "violating_runs": sum(1 for _, _, f in per_mode if f["forbidden"]),
        "forbidden_outcomes": sum(len(f["forbidden"]) for _, _, f in per_mode),
        "violating_seeds": [r["seed"] for r in results if _violating_modes(r)],
        "errors": [r["seed"] for r in results if "error" in r],
        "incomplete_models": sum(1 for _, _, f in per_mode if not f["complete"]),
        "mean_coverage": round(sum(covs) / len(covs), 4) if covs else None,
        "mean_model_outcomes": round(sum(f["model"] for _, _, f in per_mode) / len(per_mode), 2) if per_mode else None,
        "processes": {str(k): sum(1 for r in results if r.get("procs") == k) for k in range(1, gen.MAX_PROCESSES + 1)},
        "seconds": round(seconds, 1),
    }


def render(s: dict, shrunk: list[dict]) -> str:
    lines = [
        "Conformance of generated programs (the model against the real kernel)",
        f"  programs tried      {s['programs']} (seeds {s['seeds']}), "
        f"modes {' '.join(s['modes'])}, {s['runs_per_mode']} runs each",
        f"  observations        {s['observations']} real runs compared ({s['timed_out']} timed out)",
        f"  violations          {s['violations']} program(s) with an outcome the model forbids "
        f"({s['forbidden_outcomes']} forbidden outcome(s) in {s['violating_runs']} program-mode pair(s))",
        f"  mean coverage       {s['mean_coverage']:.1%} of model outcomes observed "
        f"(mean {s['mean_model_outcomes']} outcomes per program and mode)" if s["mean_coverage"] is not None else
        "  mean coverage       n/a",
        f"  incomplete models   {s['incomplete_models']} program-mode pair(s) beyond {MAX_STATES:,} states "
        f"(not judged)",
        f"  errors              {len(s['errors'])} program(s) refused (generator bugs)",
        f"  processes           " + ", ".join(f"{k}: {v}" for k, v in s["processes"].items()),
        f"  time                {s['seconds']}s",
    ]
    if s["violating_seeds"]:
        shown = ", ".join(map(str, s["violating_seeds"][:40])) + (" ..." if len(s["violating_seeds"]) > 40 else "")
        lines.append(f"  violating seeds     {shown}")
    for sh in shrunk:
        lines.append("")
        lines.append(f"Shrunk violation (seed {sh['seed']}, stdout={sh['mode']}, {sh['original_size']} -> {sh['size']} "
                     f"statements, {'confirmed' if sh['confirmed'] else 'NOT confirmed on re-run'}):")
        lines.append(sh["source"].rstrip())
        lines.append(sh["report"])
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
