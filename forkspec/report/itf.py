"""Traces in the ITF format of Apalache and Quint (`*.itf.json`), written and read back.

ITF (Informal Trace Format, Apalache ADR-015) is one JSON object:

    {"#meta": {...}, "vars": [names...], "states": [{"#meta": {"index": i}, name: value, ...}, ...]}

with integers as `{"#bigint": "123"}`, maps as `{"#map": [[k, v], ...]}`, tuples as
`{"#tup": [...]}`, sets as `{"#set": [...]}`, records as plain objects and variants as
`{"tag": ..., "value": ...}`. forkspec's variables are

    procs        map pid -> {name, ppid, pgid, state, status, at, stdout_buffer, stderr_buffer,
                             stdout_buffering, atexit, pages, pending}
    frames       map frame number -> list of cell values (ints; strings for char arrays)
    stdout       every byte written to fd 1 so far          stderr   the same for fd 2
    next_pid     the pid the next fork gets                  first_status  P0's wait status once reaped, else -1
    action       the step that led to this state: a variant tagged `init` for state 0, else tagged
                 with what the step did (fork, write, exit, reap, ... or local) whose value is
                 {pid, process, line, text, choice, events}

`#meta` records the spec (path and SHA-256), the stdout mode and the model options,
so `forkspec replay` can rebuild the same model and check that it still produces
every step. The action is a state variable, as Quint's `mbt::actionTaken` is.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from forkspec.errors import ForkspecError
from forkspec.kernel.exec import program_of
from forkspec.kernel.state import IOFBF, IOLBF, PTE_COW, PTE_SHARED, PTE_WRITE, ZOMBIE
from forkspec.report.text import describe_event
from forkspec.trace import Recorded, Trace, names_by_step

FORMAT_URL = "https://apalache-mc.org/docs/adr/015adr-trace.html"
VARS = ["procs", "frames", "stdout", "stderr", "next_pid", "first_status", "action"]
# Event kinds in the order that names a step's action, most telling first.
_ACTION_TAGS = ("assert_failed", "killed", "fork_failed", "fork", "reap", "exit", "write", "cow_copy", "cow_reuse",
                "shared_write", "wait_echild", "atexit_call", "atexit_skipped", "reparent")


class TraceFileError(ForkspecError):
    """A file that is not a forkspec ITF trace."""


# ---------------------------------------------------------------- values


def big(n: int) -> dict:
    return {"#bigint": str(int(n))}


def value(v: Any) -> Any:
    """A Python value as an ITF value."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return big(v)
    if isinstance(v, str):
        return v
    if isinstance(v, tuple) and hasattr(v, "_fields"):
        return {k: value(x) for k, x in zip(v._fields, v)}
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"#set": [value(x) for x in sorted(v, key=repr)]}
    if isinstance(v, dict):
        return {"#map": [[value(k), value(x)] for k, x in v.items()]}
    if v is None:
        return {"#unserializable": "none"}
    return {"#unserializable": repr(v)}


def plain(v: Any) -> Any:
    """An ITF value back as plain Python (bigints as int, maps as lists of pairs)."""
    if isinstance(v, dict):
        if "#bigint" in v:
            return int(v["#bigint"])
        if "#map" in v:
            return [[plain(k), plain(x)] for k, x in v["#map"]]
        if "#tup" in v:
            return [plain(x) for x in v["#tup"]]
        if "#set" in v:
            return [plain(x) for x in v["#set"]]
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


# ---------------------------------------------------------------- states


def _buffering(mode: int) -> str:
    return {IOFBF: "full", IOLBF: "line"}.get(mode, "none")


def _proc(p, names: dict[int, str], program) -> dict:
    program = program_of(program, p)
    st = "zombie" if p.state == ZOMBIE else ("suspended" if p.vfork_child else "running")
    at: dict = {"function": "", "line": big(0), "text": ""}
    if p.stack:
        top = p.stack[-1]
        fn = program.functions[top.func]
        loc = fn.body[top.pc].loc if top.pc < len(fn.body) else None
        at = {"function": fn.name, "line": big(loc.line if loc else 0), "text": loc.text if loc else ""}
    fname = lambda i: program.functions[i].name if 0 <= i < len(program.functions) else str(i)  # noqa: E731
    return {
        "name": names.get(p.pid, "?"),
        "ppid": big(p.ppid), "pgid": big(p.pgid), "state": st, "status": big(p.status),
        "at": at,
        "stdout_buffer": p.out.buf, "stderr_buffer": p.err.buf, "stdout_buffering": _buffering(p.out.mode),
        "atexit": [fname(h) for h in p.atexit],
        "pages": {"#map": [[big(vpn), {"frame": big(pfn), "writable": bool(fl & PTE_WRITE),
                                       "cow": bool(fl & PTE_COW), "shared": bool(fl & PTE_SHARED)}]
                           for vpn, pfn, fl in p.ptes]},
        "pending": [{"#tup": [big(w[0]), w[1]]} for w in p.pending],
    }


def state_vars(state, names: dict[int, str], program) -> dict:
    """Every ITF variable of a state except `action`."""
    return {
        "procs": {"#map": [[big(p.pid), _proc(p, names, program)] for p in state.procs]},
        "frames": {"#map": [[big(i), [value(c) for c in cells]] for i, cells in enumerate(state.mem)]},
        "stdout": state.stdout,
        "stderr": state.stderr,
        "next_pid": big(state.next_pid),
        "first_status": big(state.first_status),
    }


def action_value(action, names_before: dict[int, str], names_after: dict[int, str]) -> dict:
    own = [e.kind for e in action.events if e.pid == action.pid] or [e.kind for e in action.events]
    tag = next((k for k in _ACTION_TAGS if k in own), "local")
    return {"tag": tag, "value": {
        "pid": big(action.pid),
        "process": names_before.get(action.pid, "?"),
        "line": big(action.line),
        "text": action.text,
        "choice": action.choice or "normal",
        "events": [{"tag": e.kind, "value": {"pid": big(e.pid), "summary": describe_event(e, names_after),
                                             **{k: value(v) for k, v in e.attrs.items()}}}
                   for e in action.events],
    }}


def spec_digest(path: str | Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def to_itf(trace: Trace, *, spec, mode: str, config, check=None, program=None) -> dict:
    """The ITF object for a trace of `spec` run with stdout `mode` under kernel `config`."""
    program = program or spec.program
    per_step = names_by_step(trace)
    states = []
    for i, st in enumerate(trace.states()):
        s = {"#meta": {"index": i}, **state_vars(st, per_step[i], program)}
        if i == 0:
            s["action"] = {"tag": "init", "value": {}}
        else:
            s["action"] = action_value(trace.steps[i - 1].action, per_step[i - 1], per_step[i])
        states.append(s)
    from forkspec import __version__

    meta = {
        "format": "ITF",
        "format-description": FORMAT_URL,
        "description": "a forkspec trace: one state per step, the step taken in `action`",
        "tool": "forkspec",
        "version": __version__,
        "source": spec.path,
        "source_sha256": spec_digest(spec.path),
        "mode": mode,
        "options": {
            "max_procs": config.max_procs,
            "fork_can_fail": config.fork_can_fail,
            "inject": sorted(config.inject),
            "merge_local": config.merge_local,
            "eager_reap": config.eager_reap,
            "merge_woken": config.merge_woken,
        },
        "status": "violation" if check is not None else "trace",
    }
    if check is not None:
        meta.update({"check": check.name, "check_kind": check.kind, "check_description": check.description})
    return {"#meta": meta, "vars": list(VARS), "states": states}


def dumps(obj: dict) -> str:
    """Pretty but compact: the header indented, then one line per state."""
    head = {k: v for k, v in obj.items() if k != "states"}
    text = json.dumps(head, indent=1, ensure_ascii=False)
    states = ",\n  ".join(json.dumps(st, ensure_ascii=False, separators=(",", ":")) for st in obj["states"])
    return text[:-2] + ',\n "states": [\n  ' + states + "\n ]\n}"


# ---------------------------------------------------------------- reading back


def load(path: str | Path) -> dict:
    p = Path(path)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TraceFileError(f"no such file: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TraceFileError(f"cannot read {p}: {e}") from None
    except json.JSONDecodeError as e:
        raise TraceFileError(f"{p}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("states"), list) or not isinstance(obj.get("vars"), list):
        raise TraceFileError(f"{p}: not an ITF trace (an object with `vars` and `states` lists)")
    meta = obj.get("#meta")
    if not isinstance(meta, dict) or meta.get("tool") != "forkspec" or "mode" not in meta:
        raise TraceFileError(f"{p}: not a forkspec trace (its #meta lacks tool: forkspec and the stdout mode)")
    if not obj["states"]:
        raise TraceFileError(f"{p}: the trace has no states")
    missing = [v for v in VARS if v not in obj["vars"]]
    if missing:
        raise TraceFileError(f"{p}: the trace lacks the variable(s) {', '.join(missing)}")
    return obj


def recorded_steps(obj: dict, path: str = "trace") -> list[Recorded]:
    out = []
    for i, s in enumerate(obj["states"][1:], start=1):
        try:
            a = s["action"]["value"]
            out.append(Recorded(pid=int(a["pid"]["#bigint"]), choice="" if a["choice"] == "normal" else a["choice"],
                                line=int(a["line"]["#bigint"]), text=a["text"],
                                state={k: v for k, v in s.items() if k not in ("#meta", "action")}))
        except (KeyError, TypeError, ValueError) as e:
            raise TraceFileError(f"{path}: state {i}: malformed action ({type(e).__name__}: {e})") from None
    return out


def difference(a: Any, b: Any, where: str = "") -> str | None:
    """The first place two ITF values differ, as `where: model X, trace Y`; None if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if where.endswith(".at") and a != b:  # a position reads best whole
            return f"{where}: the model has {_short(plain(a))}, the trace {_short(plain(b))}"
        if "#map" in a and "#map" in b:
            ma = {json.dumps(k, sort_keys=True): (k, v) for k, v in a["#map"]}
            mb = {json.dumps(k, sort_keys=True): (k, v) for k, v in b["#map"]}
            for key in list(ma) + [k for k in mb if k not in ma]:
                label = f"{where}[{_short(plain((ma.get(key) or mb.get(key))[0]))}]"
                if key not in mb:
                    return f"{label}: present in the model, absent from the trace"
                if key not in ma:
                    return f"{label}: in the trace, absent from the model"
                d = difference(ma[key][1], mb[key][1], label)
                if d:
                    return d
            return None
        for k in list(a) + [k for k in b if k not in a]:
            if k == "#meta":
                continue
            label = f"{where}.{k}" if where else k
            if k not in b:
                return f"{label}: in the model, absent from the trace"
            if k not in a:
                return f"{label}: in the trace, absent from the model"
            d = difference(a[k], b[k], label)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = difference(x, y, f"{where}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{where}: the model has {len(a)} entries, the trace {len(b)}"
        return None
    if a != b:
        return f"{where}: the model has {_short(plain(a))}, the trace {_short(plain(b))}"
    return None


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 100 else s[:97] + "..."


# ---------------------------------------------------------------- replay


class Replayed:
    """What replaying a saved trace found: the trace, the check it was for, and whether it still fails."""

    def __init__(self, trace: Trace, kernel, check, still_fails: bool | None, source_changed: bool):
        self.trace = trace
        self.kernel = kernel
        self.check = check
        self.still_fails = still_fails  # None: the trace names no check
        self.source_changed = source_changed


def model_for(obj: dict, spec):
    """The kernel the trace was recorded with: the spec's program, the recorded mode and options."""
    from forkspec.frontend.specblock import MODES
    from forkspec.kernel import Config, Kernel

    meta = obj["#meta"]
    mode = meta.get("mode")
    if mode not in MODES:
        raise TraceFileError(f"the trace's stdout mode {mode!r} is not one of {', '.join(MODES)}")
    o = meta.get("options") or {}
    base = Config()
    try:
        config = Config(
            stdout=mode,
            max_procs=int(o.get("max_procs", base.max_procs)),
            fork_can_fail=bool(o.get("fork_can_fail", base.fork_can_fail)),
            inject=frozenset(o.get("inject", ())),
            merge_local=bool(o.get("merge_local", base.merge_local)),
            eager_reap=bool(o.get("eager_reap", base.eager_reap)),
            merge_woken=bool(o.get("merge_woken", base.merge_woken)),
        )
    except (TypeError, ValueError) as e:
        raise TraceFileError(f"the trace's #meta.options are malformed: {e}") from None
    return Kernel(spec.program, config)


def replay(obj: dict, spec, props=None, path: str = "trace") -> Replayed:
    """Take every step of a saved trace through the model. Raises trace.ReplayError at the first
    step the model does not produce."""
    from forkspec.kernel.state import FIRST_PID, INIT_PID
    from forkspec.trace import follow

    kernel = model_for(obj, spec)
    program = spec.program
    first = {k: v for k, v in obj["states"][0].items() if k not in ("#meta", "action")}
    trace = follow(
        kernel,
        lambda st: difference(state_vars(st, {FIRST_PID: "P0", INIT_PID: "init"}, program), first),
        recorded_steps(obj, path),
        lambda st, rec, names: difference(state_vars(st, names, program), rec),
    )
    meta = obj["#meta"]
    changed = bool(meta.get("source_sha256")) and meta.get("source_sha256") != spec_digest(spec.path)
    check = _find_check(meta.get("check"), spec, meta["mode"], props)
    still = None if check is None else fails_at_end(check, kernel, trace)
    return Replayed(trace, kernel, check, still, changed)


def _find_check(name, spec, mode, props):
    if not name:
        return None
    from forkspec.props import library
    from forkspec.session import Options, build_checks

    props = library() if props is None else props
    extra = (name,) if name in props else ()
    for c in build_checks(spec, mode, Options(properties=extra), props):
        if c.name == name:
            return c
    raise TraceFileError(f"the trace is a counterexample to {name!r}, which neither the spec nor the property "
                         "library defines any more")


def fails_at_end(check, kernel, trace: Trace) -> bool:
    """Does the trace's last state (or step) still show `check` failing?"""
    st = trace.final
    terminated = kernel.is_terminated(st)
    k = check.kind
    if k == "invariant":
        return not check.state_ok(st)
    if k == "step":
        if not trace.steps:
            return False
        prev = trace.steps[-2].state if len(trace.steps) > 1 else trace.initial
        return not check.step_ok(prev, trace.steps[-1].action, st)
    if k == "deadlock":
        return not terminated and not kernel.successors(st)
    if k == "forall":
        return terminated and not check.final(st)
    if k in ("~exists", "exists"):
        return terminated and bool(check.final(st))
    return False
