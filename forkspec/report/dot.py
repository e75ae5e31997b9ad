"""The process tree of a trace, for Graphviz: who forked whom, how each process ended,
who reaped it, and which orphans init adopted (dashed edges).

`to_dot` returns DOT text; `to_svg` runs Graphviz's `dot` on it and raises
`GraphvizMissing` when `dot` is not installed.
"""
from __future__ import annotations

import shutil
import subprocess

from forkspec.errors import ForkspecError
from forkspec.kernel.exec import program_of
from forkspec.kernel.state import FIRST_PID, INIT_PID, ZOMBIE
from forkspec.report.text import decode_status
from forkspec.trace import Trace, names_by_step


class GraphvizMissing(ForkspecError):
    """`--format svg` needs Graphviz's `dot` program."""


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(trace: Trace, title: str = "", program=None) -> str:
    per_step = names_by_step(trace)
    names = per_step[-1]
    born: dict[int, int] = {FIRST_PID: 0}  # pid -> step that created it
    order = [FIRST_PID]
    forks: list[tuple[int, int, int]] = []  # parent, child, step
    adoptions: list[tuple[int, int]] = []  # child, step
    ended: dict[int, tuple[int, int]] = {}  # pid -> (status word, step)
    reaped: dict[int, tuple[int, int]] = {}  # pid -> (reaper, step)
    uses_init = False
    last_actor = trace.steps[-1].action.pid if trace.steps else None
    for i, step in enumerate(trace.steps, start=1):
        for e in step.action.events:
            if e.kind == "fork":
                born[e.child] = i
                order.append(e.child)
                forks.append((e.pid, e.child, i))
            elif e.kind == "reparent":
                adoptions.append((e.pid, i))
                uses_init = True
            elif e.kind == "exit":
                ended[e.pid] = (e.status, i)
            elif e.kind == "reap":
                reaped[e.child] = (e.pid, i)
                uses_init = uses_init or e.pid == INIT_PID
    final = {p.pid: p for p in trace.final.procs}
    lines = ["digraph forkspec {", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="monospace"];',
             '  edge [fontname="monospace", fontsize=10];']
    if title:
        lines.append(f"  labelloc=t; label={_q(title)};")
    if uses_init:
        lines.append(f'  p{INIT_PID} [label={_q("init [1]")}, shape=ellipse, fillcolor="#eeeeee"];')
    for pid in dict.fromkeys(order):
        label = [f"{names.get(pid, '?')} [{pid}]"]
        if pid == FIRST_PID:
            label.append("started by init")
        if pid in ended:
            status, i = ended[pid]
            label.append(f"{decode_status(status)} (step {i})")
        if pid in reaped:
            who, i = reaped[pid]
            label.append(f"reaped by {names.get(who, '?')} (step {i})")
        elif pid in final:
            p = final[pid]
            if p.state == ZOMBIE:
                label.append("zombie at the end")
            elif p.vfork_child:
                label.append("suspended (vfork) at the end")
            else:
                label.append("running at the end" + _where(p, program))
        attrs = [f"label={_q(chr(10).join(label))}"]
        if pid in reaped:
            attrs.append('fillcolor="#e8e8e8"')
        elif pid in final and final[pid].state == ZOMBIE:
            attrs.append('fillcolor="#fff3c4"')
        if pid == last_actor:
            attrs.append('color="#c0392b", penwidth=2')
        lines.append(f"  p{pid} [{', '.join(attrs)}];")
    if uses_init:
        lines.append(f'  p{INIT_PID} -> p{FIRST_PID} [label="starts", style=dotted];')
    for parent, child, i in forks:
        lines.append(f'  p{parent} -> p{child} [label={_q(f"fork (step {i})")}];')
    for child, i in adoptions:
        lines.append(f'  p{INIT_PID} -> p{child} [label={_q(f"adopted (step {i})")}, style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _where(p, program) -> str:
    if program is None or not p.stack:
        return ""
    top = p.stack[-1]
    try:
        line = program_of(program, p).functions[top.func].body[top.pc].loc.line
    except (IndexError, AttributeError):
        return ""
    return f", line {line}" if line else ", in exit()"


def graphviz() -> str | None:
    return shutil.which("dot")


def to_svg(dot_text: str) -> str:
    exe = graphviz()
    if exe is None:
        raise GraphvizMissing("--format svg needs Graphviz's `dot` program, which is not installed "
                              "(e.g. `apt-get install graphviz`); use --format dot and render it elsewhere")
    done = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ForkspecError(f"dot failed: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout
