"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).

One run for the whole `forkspec check`; a rule per check name; a result per check
that did not come out as the spec expects, located at the spec's source line: the
failing `assert`, the expectation's line in the spec block, or for a property the
line of the last step of the shortest trace that executed a source line. The trace
itself is attached as a code flow, one location per step. Inconclusive checks are
results of kind `open` (the tool could not decide).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from forkspec.engines.result import INCONCLUSIVE, VIOLATED
from forkspec.report import text as treport
from forkspec.trace import names_by_step

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/forkspec/forkspec"


def artifact(path: str) -> dict:
    p = Path(path)
    if p.is_absolute():
        try:
            rel = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return {"uri": p.resolve().as_uri()}
        return {"uri": rel.as_posix(), "uriBaseId": "%SRCROOT%"}
    return {"uri": Path(os.path.normpath(path)).as_posix(), "uriBaseId": "%SRCROOT%"}


def where(run, result, trace) -> tuple[int, int]:
    """(line, column) in the spec file that the result is about."""
    check = result.check
    if trace is not None and check.origin == "assert":
        for step in reversed(trace.steps):
            for e in step.action.events:
                if e.kind == "assert_failed" and e.attrs.get("line"):
                    return e.line, 1
    span = getattr(check, "span", None)
    if span is not None and getattr(span, "line", 0):
        return span.line, span.col or 1
    if trace is not None:
        for step in reversed(trace.steps):
            if step.action.line:
                return step.action.line, 1
    spans = run.spec.header.spans
    for key in (f"violates:{check.name}", check.name):
        s = spans.get(key)
        if s is not None:
            return s.line, s.col or 1
    return 1, 1


def _location(uri: dict, line: int, col: int = 1, message: str | None = None) -> dict:
    loc = {"physicalLocation": {"artifactLocation": dict(uri), "region": {"startLine": max(1, line),
                                                                           "startColumn": max(1, col)}}}
    if message:
        loc["message"] = {"text": message}
    return loc


def render(runs, trace_for, version: str = "") -> dict:
    """The SARIF log (a dict to dump as JSON) for session.Run objects."""
    rules: dict[str, dict] = {}
    results = []
    artifacts: dict[str, dict] = {}
    for r in runs:
        uri = artifact(r.spec.path)
        artifacts.setdefault(uri["uri"], {"location": dict(uri)})
        for x in r.exploration.results:
            if x.passed:
                continue
            c = x.check
            if c.name not in rules:
                rules[c.name] = {
                    "id": c.name,
                    "shortDescription": {"text": c.description or c.name},
                    "properties": {"kind": c.kind, "origin": c.origin},
                }
                if re.fullmatch(r"[a-z][a-z0-9-]*", c.name):
                    rules[c.name]["name"] = "".join(w.capitalize() for w in c.name.split("-"))
            trace = trace_for(r, x) if x.verdict == VIOLATED else None
            line, col = where(r, x, trace)
            res = {
                "ruleId": c.name,
                "ruleIndex": list(rules).index(c.name),
                "message": {"text": _message(r, x, trace)},
                "locations": [_location(uri, line, col)],
                "properties": {"stdout": r.mode, "verdict": x.verdict},
            }
            if x.verdict == INCONCLUSIVE:
                res["kind"], res["level"] = "open", "none"
            else:
                res["kind"], res["level"] = "fail", "error"
            if trace is not None and trace.steps:
                res["codeFlows"] = [_code_flow(uri, trace)]
            results.append(res)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "forkspec", "version": version or "0", "informationUri": INFO_URI,
                                "rules": list(rules.values())}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "artifacts": list(artifacts.values()),
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _message(run, x, trace) -> str:
    mode = f"[stdout={run.mode}]"
    if x.verdict == INCONCLUSIVE:
        return f"{x.check.name} {mode}: inconclusive ({x.reason})"
    if x.verdict == VIOLATED and trace is not None:
        return (f"{x.check.name} {mode}: {treport.conclusion(x.check, trace)}; shortest counterexample: "
                f"{len(trace)} step(s), stdout {treport.c_string(trace.final.stdout)}")
    return f"{x.check.name} {mode}: {treport.verdict_word(x)}" + (f" ({x.reason})" if x.reason else "")


def _code_flow(uri: dict, trace) -> dict:
    per_step = names_by_step(trace)
    locs = []
    last_line = 1
    for i, step in enumerate(trace.steps, start=1):
        a = step.action
        last_line = a.line or last_line
        what = treport.changes(a, per_step[i])
        text = f"step {i}: {per_step[i - 1].get(a.pid, '?')} [{a.pid}] {a.text if a.line else 'exit()'}: {what}"
        locs.append({"location": _location(uri, last_line, 1, text), "executionOrder": i})
    return {"threadFlows": [{"locations": locs}]}
