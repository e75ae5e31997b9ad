"""Human-readable reports: verdict tables, traces, outcome listings."""
from __future__ import annotations

from forkspec.engines.result import HOLDS, INCONCLUSIVE, VIOLATED, CheckResult, Stats
from forkspec.kernel.exec import program_of
from forkspec.kernel.state import FIRST_PID, INIT_PID, ZOMBIE
from forkspec.trace import Trace, names_by_step, offstage


def c_string(s: str) -> str:
    """A C-style escaped, double-quoted string."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 32 or o == 127:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def decode_status(word: int) -> str:
    sig = word & 0x7F
    if word == 0xFFFF:
        return "continued"
    if sig == 0:
        return f"exited {(word >> 8) & 0xFF}"
    if sig == 0x7F:
        return f"stopped by signal {(word >> 8) & 0xFF}"
    return f"killed by signal {sig}"


def describe_event(e, names: dict[int, str]) -> str:
    n = lambda pid: f"{names.get(pid, '?')} [{pid}]"
    k = e.kind
    if k == "fork":
        return f"fork() = {e.child}: new process {n(e.child)}"
    if k == "fork_failed":
        return "fork() = -1 (EAGAIN)"
    if k == "cow_copy":
        return f"COW fault on page {e.vpn:#x}: frame copied"
    if k == "cow_reuse":
        return f"COW fault on page {e.vpn:#x}: last sharer, made writable"
    if k == "shared_write":
        return f"write to page {e.vpn:#x}, mapped by {e.others} other process(es)"
    if k == "write":
        return f"write({e.fd}) {c_string(e.data)}"
    if k == "exit":
        return f"{decode_status(e.status)}; zombie until reaped"
    if k == "reap":
        return f"reaped {n(e.child)} ({decode_status(e.status)})"
    if k == "reparent":
        return f"{n(e.pid)} reparented to {'init' if e.parent == INIT_PID else n(e.parent)}"
    if k == "atexit_call":
        extra = "" if e.handler == e.expected else f" (expected {e.expected or 'none'})"
        return f"atexit handler {e.handler}(){extra}"
    if k == "atexit_skipped":
        return f"exit abandoned: {e.remaining} atexit handler(s) never run"
    if k == "assert_failed":
        return f"assertion `{e.text}' failed"
    if k == "killed":
        return f"killed by signal {e.signal} ({e.text})"
    if k == "wait_echild":
        return "wait: no child to wait for (ECHILD)"
    if k in FD_EVENTS:
        return FD_EVENTS[k](e)
    return describe_signal_event(e, n) or e.attrs.get("text") or k


# File descriptor and exec events, in words.
FD_EVENTS = {
    "open": lambda e: f"open {e.text!r} = fd {e.fd}",
    "close": lambda e: f"close(fd {e.fd})",
    "dup2": lambda e: f"dup2: fd {e.fd} now refers to fd {e.old}'s file",
    "read": lambda e: f"read(fd {e.fd}) {c_string(e.data)}",
    "file_write": lambda e: f"write(fd {e.fd}) {c_string(e.data)} to {e.text!r}",
    "pipe_write": lambda e: f"write(fd {e.fd}) {c_string(e.data)} to a pipe",
    "lost_write": lambda e: f"overwrote {c_string(e.old)} of {e.text!r}, written through another open file description",
    "lock": lambda e: f"lock {e.text} through fd {e.fd}",
    "exec": lambda e: f"exec {e.text!r}: new image",
    "exec_failed": lambda e: f"exec {e.text!r} failed (ENOENT)",
    "exec_discards": lambda e: f"exec discards unflushed {c_string(e.data)}",
}


def describe_signal_event(e, n) -> str | None:
    """Signals, stops, wait reports, process groups (kernel/signals.py)."""
    from forkspec.kernel.signals import name

    k = e.kind
    texts = {
        "signal_sent": lambda: f"{name(e.signal)} sent to {n(e.target)}",
        "stopped": lambda: f"stopped by {name(e.signal)}",
        "continued": lambda: f"continued by {name(e.signal)}",
        "handler_call": lambda: f"{name(e.signal)}: handler {e.handler}() runs",
        "handler_return": lambda: f"handler of {name(e.signal)} returns",
        "unsafe_call": lambda: f"{e.text}() called in the handler of {name(e.signal)}: not async-signal-safe",
        "autoreap": lambda: f"{n(e.child)} reaped by the kernel (SIGCHLD ignored or SA_NOCLDWAIT)",
        "wait_report": lambda: f"wait reports {n(e.child)} {decode_status(e.status)}",
        "sigaction": lambda: f"disposition of {name(e.signal)} set",
        "setpgid": lambda: f"{n(e.target)} moved to process group {e.child}",
        "setsid": lambda: "new session",
        "alarm": lambda: "alarm expired: SIGALRM pending",
    }
    return texts[k]() if k in texts else None


def changes(action, names: dict[int, str]) -> str:
    """What a step changed, in words; another process's events are prefixed with its name."""
    return "; ".join((describe_event(e, names) if e.pid == action.pid or e.kind == "reparent"
                      else f"{names.get(e.pid, e.pid)}: {describe_event(e, names)}") for e in action.events) or "-"


def render_trace(trace: Trace, title: str = "", conclusion: str = "", program=None) -> str:
    """One line per step: step number, process, source line, what it executed, what changed;
    then the last state and, when given, what is wrong with it."""
    per_step = names_by_step(trace)
    names = per_step[-1]
    lines = [title] if title else []
    rows = []
    for i, step in enumerate(trace.steps, start=1):
        a = step.action
        before, after = per_step[i - 1], per_step[i]
        who = f"{before.get(a.pid, '?')} [{a.pid}]"
        where = f"line {a.line}" if a.line else ("init" if a.pid == INIT_PID else offstage(a.text))
        what = changes(a, after)
        text = a.text if len(a.text) <= 44 else a.text[:41] + "..."
        if not a.line and text == "exit":
            text = ""
        if a.choice == "fail":
            what = "(fork fails) " + what
        rows.append((str(i), who, where, text, what))
    if rows:
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        for r in rows:
            lines.append(("  " + "  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4]).rstrip())
    else:
        lines.append("  (the initial state)")
    lines.append(render_state(trace.final, names, program))
    if conclusion:
        lines.append(f"  => {conclusion}")
    return "\n".join(lines)


def conclusion(check, trace: Trace | None = None) -> str:
    """What the last state (or step) of a counterexample to `check` shows."""
    k = check.kind
    desc = f": {check.description}" if check.description and k not in ("forall", "~exists") else ""
    if k == "invariant":
        return f"this state violates {check.name}{desc}"
    if k == "step" and check.origin == "assert":
        return "the last step fails an assert()"
    if k == "step":
        return f"the last step violates {check.name}{desc}"
    if k == "deadlock":
        return f"stuck: no process can move, yet not all have exited and been reaped ({check.name})"
    if k == "forall":
        return f"this execution ends with an outcome that violates `{check.name}`"
    if k == "~exists":
        return f"this execution ends with an outcome that `{check.name}` rules out"
    return f"witness for {check.name}"


def render_state(state, names: dict[int, str] | None = None, program=None) -> str:
    names = names or {FIRST_PID: "P0"}
    parts = []
    for p in state.procs:
        name = f"{names.get(p.pid, '?')} [{p.pid}]"
        if p.state == ZOMBIE:
            st = f"zombie ({decode_status(p.status)})"
        elif p.vfork_child:
            st = "suspended (vfork)"
        else:
            st = {"stuck": "blocked for ever", "undefined": "stopped (undefined behaviour)"}.get(
                p.main_state, "running") + _position(p, program)
            if p.threads:
                st += f", {len(p.threads)} more thread(s)"
        parts.append(f"{name} {st}, parent {p.ppid}")
    procs = "; ".join(parts) if parts else "none left (all reaped)"
    out = [f"  state: processes: {procs}", f"         stdout: {c_string(state.stdout)}"]
    if state.stderr:
        out.append(f"         stderr: {c_string(state.stderr)}")
    return "\n".join(out)


def _position(p, program) -> str:
    """` at line N (`text`)`: where a live process stands, when the program is known."""
    if program is None or not p.stack:
        return ""
    top = p.stack[-1]
    try:
        loc = program_of(program, p).functions[top.func].body[top.pc].loc
    except (IndexError, AttributeError):
        return ""
    if not loc.line:
        return " in exit()"
    text = loc.text if len(loc.text) <= 40 else loc.text[:37] + "..."
    return f" at line {loc.line} `{text}`"


def verdict_word(r: CheckResult) -> str:
    if r.check.expect_violation:
        return {VIOLATED: "violated, as expected", HOLDS: "HOLDS, but a violation was expected",
                INCONCLUSIVE: "inconclusive"}[r.verdict]
    return {HOLDS: "holds", VIOLATED: "VIOLATED", INCONCLUSIVE: "inconclusive"}[r.verdict]


def status_tag(r: CheckResult) -> str:
    if r.verdict == INCONCLUSIVE:
        return "??  "
    return "ok  " if r.passed else "FAIL"


def render_stats(s: Stats) -> str:
    line = (f"  {s.generated} states generated, {s.distinct} distinct, depth {s.depth}, "
            f"{s.seconds:.2f} s ({s.states_per_second:,.0f} states/s)")
    if s.deadlocks:
        line += f", {s.deadlocks} stuck"
    if getattr(s, "queued", 0):
        line += f", {s.queued} left on queue"
    if not s.complete:
        line += f"\n  search incomplete: {s.cut}"
    if s.fingerprint_collision is not None:
        line += (f"\n  states stored as 64-bit fingerprints: probability that one was missed "
                 f"{s.fingerprint_collision:.2g} (birthday bound)")
        if s.table_bytes and s.distinct:
            line += f"; {s.table_bytes / s.distinct:.0f} bytes a state"
    return line
