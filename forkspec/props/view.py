"""What a property condition sees of a state: processes, page frames and output."""
from __future__ import annotations

from typing import NamedTuple

from forkspec.kernel.state import FIRST_PID, PTE_COW, PTE_SHARED, PTE_WRITE, ZOMBIE, State
from forkspec.kernel.threads import live_count


class ProcView(NamedTuple):
    pid: int
    ppid: int
    pgid: int
    state: str  # running | zombie | suspended (a vfork parent) | stopped (by a signal)
    first: bool  # the program's first process
    status: int  # wait status word (zombies)
    atexit: int  # handlers registered
    children: int  # processes whose parent it is
    threads: int = 1  # live threads (a zombie: 0)
    sid: int = 0  # session (0: the one the program was started in)


class FrameView(NamedTuple):
    pfn: int
    mappers: int  # processes mapping the frame
    writable_mappers: int  # of which with a writable entry
    shared: bool  # a MAP_SHARED mapping
    cow: int  # entries marked copy-on-write


PROC_ATTRIBUTES = frozenset(ProcView._fields)
FRAME_ATTRIBUTES = frozenset(FrameView._fields)
STATE_NAMES = frozenset({"processes", "frames", "stdout", "stderr", "created"})


_last: list = [None, {}]  # one-entry cache: several properties look at the same state


def state_env(state: State, needed: frozenset = STATE_NAMES) -> dict:
    """The names a condition may read, computed only as far as `needed` asks."""
    if _last[0] is not state:
        _last[0], _last[1] = state, {}
    env = _last[1]
    for name in needed:
        if name not in env:
            env[name] = _BUILDERS[name](state)
    return env


def _processes(state: State) -> list:
    kids: dict[int, int] = {}
    for q in state.procs:
        kids[q.ppid] = kids.get(q.ppid, 0) + 1
    out = []
    for p in state.procs:
        st = p.state if p.state != "running" else ("suspended" if p.vfork_child else "stopped" if p.stopped else "running")
        out.append(ProcView(p.pid, p.ppid, p.pgid, st, p.pid == FIRST_PID, p.status, len(p.atexit), kids.get(p.pid, 0),
                            live_count(p) if p.state != ZOMBIE else 0, p.sid))
    return out


def _frames(state: State) -> list:
    frames: dict[int, list] = {}
    for p in state.procs:
        for _, pfn, fl in p.ptes:
            f = frames.setdefault(pfn, [0, 0, False, 0])
            f[0] += 1
            f[1] += 1 if fl & PTE_WRITE else 0
            f[2] = f[2] or bool(fl & PTE_SHARED)
            f[3] += 1 if fl & PTE_COW else 0
    return [FrameView(pfn, *v) for pfn, v in sorted(frames.items())]


_BUILDERS = {
    "processes": _processes,
    "frames": _frames,
    "stdout": lambda s: s.stdout,
    "stderr": lambda s: s.stderr,
    "created": lambda s: s.next_pid - FIRST_PID,
}
