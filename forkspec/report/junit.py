"""JUnit XML for CI test reporters: one <testsuite> per spec and stdout mode, one
<testcase> per check. A check that did not come out as the spec expects is a
<failure> carrying the shortest trace; an inconclusive one is an <error> saying
what cut the search short.
"""
from __future__ import annotations

import platform
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from forkspec.engines.result import INCONCLUSIVE, VIOLATED
from forkspec.report import text as treport


def classname(path: str) -> str:
    stem = path[:-2] if path.endswith(".c") else path
    return stem.replace("\\", "/").strip("./").replace("/", ".")


def render(runs, trace_for) -> str:
    """`runs`: session.Run objects; `trace_for(run, result)` gives a result's trace or None."""
    root = ET.Element("testsuites", name="forkspec")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    for r in runs:
        ex = r.exploration
        results = ex.results
        fails = sum(1 for x in results if x.verdict != INCONCLUSIVE and not x.passed)
        errors = sum(1 for x in results if x.verdict == INCONCLUSIVE)
        suite = ET.SubElement(root, "testsuite", name=f"{r.spec.path} [stdout={r.mode}]", tests=str(len(results)),
                              failures=str(fails), errors=str(errors), skipped="0",
                              time=f"{ex.stats.seconds:.3f}", timestamp=stamp, hostname=platform.node() or "localhost")
        props = ET.SubElement(suite, "properties")
        for k, v in (("stdout", r.mode), ("states", ex.stats.distinct), ("generated", ex.stats.generated),
                     ("depth", ex.stats.depth), ("complete", str(ex.stats.complete).lower())):
            ET.SubElement(props, "property", name=k, value=str(v))
        for x in results:
            case = ET.SubElement(suite, "testcase", name=f"{x.check.name} [{r.mode}]",
                                 classname=classname(r.spec.path), file=r.spec.path, time="0")
            line = _line(x)
            if line:
                case.set("line", str(line))
            if x.verdict == INCONCLUSIVE:
                el = ET.SubElement(case, "error", type="inconclusive", message=f"inconclusive: {x.reason}")
                el.text = f"{x.check.name}: inconclusive ({x.reason})"
            elif not x.passed:
                msg = f"{x.check.name}: {treport.verdict_word(x)}"
                el = ET.SubElement(case, "failure", type="violation" if x.verdict == VIOLATED else "no-violation",
                                   message=msg)
                t = trace_for(r, x) if x.verdict == VIOLATED else None
                if t is not None:
                    el.text = treport.render_trace(t, f"counterexample to {x.check.name} ({treport.steps(len(t))}):",
                                                   treport.conclusion(x.check, t), r.spec.program)
                else:
                    el.text = msg + (f" ({x.reason})" if x.reason else "")
        totals["tests"] += len(results)
        totals["failures"] += fails
        totals["errors"] += errors
        seconds += ex.stats.seconds
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _line(x) -> int:
    span = getattr(x.check, "span", None)
    return getattr(span, "line", 0) or 0
