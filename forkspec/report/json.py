"""Machine-readable reports (the `--json` shapes of the command line)."""
from __future__ import annotations

from forkspec.engines.result import CheckResult, Stats
from forkspec.report.text import describe_event
from forkspec.trace import Trace, process_names


def stats_json(s: Stats) -> dict:
    return {
        "generated": s.generated, "distinct": s.distinct, "depth": s.depth,
        "seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second, 1),
        "terminated": s.terminated, "stuck": s.deadlocks, "complete": s.complete, "cut": s.cut or None,
        "fingerprint_collision": s.fingerprint_collision,
    }


def trace_json(trace: Trace) -> list[dict]:
    names = process_names(trace)
    out = []
    for i, step in enumerate(trace.steps, start=1):
        a = step.action
        out.append({
            "step": i, "pid": a.pid, "process": names.get(a.pid, "?"), "line": a.line, "source": a.text,
            "fork_fails": a.choice == "fail",
            "changes": [describe_event(e, names) for e in a.events],
            "stdout": step.state.stdout,
        })
    return out


def check_json(r: CheckResult, trace: Trace | None) -> dict:
    return {
        "name": r.check.name, "kind": r.check.kind, "origin": r.check.origin,
        "description": r.check.description, "verdict": r.verdict,
        "expected": "violation" if r.check.expect_violation else "holds",
        "passed": r.passed, "reason": r.reason or None,
        "trace": trace_json(trace) if trace is not None else None,
    }
