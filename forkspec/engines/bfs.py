"""Explicit-state breadth-first search.

The order of work per successor follows TLC: compute it, test-and-insert into the
visited table, check invariants on new states only, enqueue. Breadth-first order
makes the first violation found a shortest one. The engine knows nothing of fork:
it sees a model with `initial_state`, `successors` and `is_terminated`, and checks
given as predicates.
"""
from __future__ import annotations

import time
from array import array
from collections import deque
from typing import Protocol

from forkspec.engines import visited
from forkspec.engines.result import (
    HOLDS, INCONCLUSIVE, VIOLATED, Check, CheckResult, Exploration, Stats, Witness,
)


class Model(Protocol):
    def initial_state(self): ...
    def successors(self, state) -> list: ...
    def is_terminated(self, state) -> bool: ...


NONE: frozenset = frozenset()


class LimitReached(Exception):
    pass


# `progress(distinct, generated, queue, depth, seconds)` is called every PROGRESS_EVERY
# expanded states; when it returns true the search stops, cut short by INTERRUPTED.
PROGRESS_EVERY = 256
INTERRUPTED = "interrupted by the user"


def explore(
    model: Model,
    checks: list[Check],
    max_states: int | None = None,
    max_depth: int | None = None,
    stop_at_first: bool = False,
    count_paths: bool = False,
    diverged: tuple[type[BaseException], ...] = (),
    progress=None,
    canon=None,
    fingerprints: bool = False,
    intern: bool = True,
    por=None,
) -> Exploration:
    """Explore every reachable state; decide every check.

    `canon`, when given, maps a state to the representative of its class under a
    reduction that keeps every check's verdict (pid symmetry): states are stored,
    checked and expanded as representatives; step checks see the real transition.
    `fingerprints` stores 64-bit hashes instead of states (see `visited`); `intern`
    keeps each stored state as the numbers of its interned parts (`visited.CompactTable`). `por`, when given,
    chooses a persistent set of processes per state (`forkspec.engines.por`); a set one of
    whose steps leads back to the current or an earlier BFS layer without progress (`por.progress`,
    which no step decreases) is expanded fully.
    """
    start = time.perf_counter()
    stats = Stats()
    found: dict[str, Witness] = {}  # first violation (or exists-witness) per check name
    invariants = [c for c in checks if c.kind == "invariant"]
    steps = [c for c in checks if c.kind == "step"]
    finals = [c for c in checks if c.kind in ("forall", "exists", "~exists")]
    deadlock_checks = [c for c in checks if c.kind == "deadlock"]

    init = model.initial_state()
    if canon is not None:
        init = canon(init)
    parents = array("i", [-1])
    depth_of = array("i", [0])
    if fingerprints:
        states = visited.FingerprintTable(model, canon, parents)
    else:
        states = visited.CompactTable(type(init)) if intern else visited.ExactTable()
    key = states.key
    ids = count_paths or por is not None  # counting paths needs each state's id on every edge; otherwise membership is enough
    index = {key(init): 0} if ids else {key(init)}
    states.add(init)
    edges: list[tuple[int, int]] | None = [] if count_paths else None
    final_ids: list[int] = []
    # With compact storage the queue holds ids and states are rebuilt from the table when
    # expanded, so the frontier costs no more than the table does.
    by_id = isinstance(states, visited.CompactTable)
    queue = deque([0] if by_id else [(0, init)])

    def note(check: Check, witness: Witness) -> None:
        if check.name not in found:
            found[check.name] = witness

    def violation_found() -> bool:
        return any(name in found for name in violation_kinds)

    violation_kinds = {c.name for c in checks if c.kind != "exists"}

    for c in invariants:
        if not c.state_ok(init):
            note(c, Witness(0))

    # Sleep sets (`por.sleep_sets`): per state, the processes whose next step need not be taken from it,
    # because an order that takes it first was explored (it commutes with the step that led here).
    sleep: dict[int, frozenset] | None = {} if por is not None and por.sleep_sets else None
    expanded = bytearray(1)  # per state: taken from the queue once already
    n_expanded = 0
    while queue:
        if stop_at_first and violation_found():
            stats.complete = False
            stats.cut = "stopped at the first violation"
            break
        n_expanded += 1
        if progress is not None and n_expanded % PROGRESS_EVERY == 0 and \
                progress(len(states), stats.generated, len(queue), stats.depth, time.perf_counter() - start):
            stats.complete = False
            stats.cut = INTERRUPTED
            break
        if by_id:
            sid = queue.popleft()
            state = states[sid]
        else:
            sid, state = queue.popleft()
        d = depth_of[sid]
        stats.depth = max(stats.depth, d)
        if max_depth is not None and d >= max_depth:
            if model.is_terminated(state):
                _final(model, state, sid, finals, note, final_ids, stats)
                states.keep(sid, state)
                continue
            stats.complete = False
            stats.cut = f"depth bound {max_depth} reached"
            continue
        asleep = sleep.get(sid, NONE) if sleep is not None else NONE  # steps covered from here (sleep sets)
        again = sleep is not None and bool(expanded[sid])
        if sleep is not None:
            expanded[sid] = 1
        try:
            chosen = por.choose(state) if por is not None else None
            movers = chosen
            if asleep:
                movers = tuple(p for p in (chosen or [p.pid for p in state.procs]) if p not in asleep)
            succ = model.successors(state) if movers is None else model.successors(state, movers) if movers else []
            if movers and not succ:  # the chosen processes could not move after all: every process moves
                chosen, movers, succ = None, None, model.successors(state)
                if asleep:
                    asleep = NONE
                    del sleep[sid]
            reps = rep_keys = maps = None  # the successors' representatives, keys and renamings, when computed
            if sleep is not None:
                pairs = [canon.with_mapping(n) for _, n in succ] if canon is not None else [(n, None) for _, n in succ]
                reps, maps = [r for r, _ in pairs], [m for _, m in pairs]
                rep_keys = [key(n) for n in reps]
            elif chosen is not None:
                reps = [canon(n) for _, n in succ] if canon is not None else [n for _, n in succ]
                rep_keys = [key(n) for n in reps]
            if chosen is not None:
                for n, k_n in zip(reps, rep_keys):  # the cycle proviso
                    nid = index.get(k_n)
                    if nid is not None and depth_of[nid] <= d and not por.progress(n) > por.progress(state):
                        succ, reps, rep_keys, maps = _expand_fully(por, state, movers, succ, reps, rep_keys, maps)
                        if sleep is not None:  # fully expanded: nothing is left asleep here
                            if asleep:
                                asleep = NONE
                                del sleep[sid]
                            for i, rep in enumerate(reps):
                                if rep is None:
                                    n = succ[i][1]
                                    reps[i], maps[i] = canon.with_mapping(n) if canon is not None else (n, None)
                                    rep_keys[i] = key(reps[i])
                        break
                else:
                    por.reduced += 1
        except diverged as e:
            stats.complete = False
            stats.cut = str(e)
            continue
        stats.generated += len(succ)
        if not succ and (again or (asleep and model.successors(state))):
            continue  # every step from here is covered by another order (sleep sets), or was taken before
        if not succ:
            states.keep(sid, state)
            if model.is_terminated(state):
                _final(model, state, sid, finals, note, final_ids, stats)
            else:
                stats.deadlocks += 1
                for c in deadlock_checks:
                    note(c, Witness(sid))
            continue
        after = por.asleep_after(state, succ, asleep, maps) if sleep is not None else None
        for k, (action, nxt) in enumerate(succ):
            covered = after[k] if after is not None else NONE
            for c in steps:
                if c.name not in found and not c.step_ok(state, action, nxt):
                    note(c, Witness(sid, k))
                    states.keep(sid, state)
            if reps is not None and reps[k] is not None:
                nxt, k_nxt = reps[k], rep_keys[k]
            else:
                if canon is not None:
                    nxt = canon(nxt)
                k_nxt = key(nxt)
            nid = index.get(k_nxt) if ids else (-1 if k_nxt in index else None)
            if nid is None:
                if max_states is not None and len(states) >= max_states:
                    stats.complete = False
                    stats.cut = f"state limit {max_states} reached"
                    continue
                nid = len(states)
                if ids:
                    index[k_nxt] = nid
                else:
                    index.add(k_nxt)
                states.add(nxt, k_nxt)
                parents.append(sid)
                depth_of.append(d + 1)
                if sleep is not None:
                    expanded.append(0)
                    if covered:
                        sleep[nid] = covered
                for c in invariants:
                    if c.name not in found and not c.state_ok(nxt):
                        note(c, Witness(nid))
                        states.keep(nid, nxt)
                queue.append(nid if by_id else (nid, nxt))
            elif sleep is not None and nid in sleep:
                before = sleep[nid]
                if not before <= covered:
                    now = before & covered
                    if now:
                        sleep[nid] = now
                    else:
                        del sleep[nid]
                    if expanded[nid]:  # expanded with steps asleep that this path needs: expand it again
                        queue.append(nid if by_id else (nid, nxt))
            if edges is not None:
                edges.append((sid, nid))

    stats.distinct = len(states)
    stats.queued = len(queue)
    stats.seconds = time.perf_counter() - start
    if fingerprints:
        stats.fingerprint_collision = visited.collision_probability(len(states))
        stats.table_bytes = visited.table_bytes(index, parents, depth_of, states)
    elif by_id:
        stats.table_bytes = visited.table_bytes(index, parents, depth_of) + states.parts_bytes()
    results = [_verdict(c, found.get(c.name), stats) for c in checks]
    paths, exact = (None, True)
    if edges is not None:
        paths, exact = _count_paths(len(states), edges)
    return Exploration(results, stats, states, parents, final_ids, paths, exact, canon)


def _expand_fully(por, state, chosen, succ, reps, rep_keys, maps):
    """Every successor of `state` (the cycle proviso), reusing the chosen processes' steps and their
    representatives, keys and renamings already computed (None for the others' steps): only the other
    processes' steps are computed."""
    full = por.expand_fully(state, chosen, succ)
    known = {id(n): (rep, k, m) for (_, n), rep, k, m in zip(succ, reps, rep_keys, maps or [None] * len(succ))}
    got = [known.get(id(n), (None, None, None)) for _, n in full]
    return full, [g[0] for g in got], [g[1] for g in got], [g[2] for g in got]


def _final(model, state, sid, finals, note, final_ids, stats) -> None:
    stats.terminated += 1
    final_ids.append(sid)
    for c in finals:
        ok = bool(c.final(state))
        if (c.kind == "forall" and not ok) or (c.kind in ("exists", "~exists") and ok):
            note(c, Witness(sid))


def _verdict(c: Check, witness: Witness | None, stats: Stats) -> CheckResult:
    why = stats.cut or "the search was cut short"
    if c.kind == "exists":
        if witness is not None:
            return CheckResult(c, HOLDS, witness)
        if stats.complete:
            return CheckResult(c, VIOLATED, None, "no terminated execution satisfies it")
        return CheckResult(c, INCONCLUSIVE, None, why)
    if witness is not None:
        return CheckResult(c, VIOLATED, witness)
    if stats.complete:
        return CheckResult(c, HOLDS)
    return CheckResult(c, INCONCLUSIVE, None, why)


def _count_paths(n: int, edges: list[tuple[int, int]]) -> tuple[list[int], bool]:
    """Number of distinct paths from the initial state to each state (exact when the graph is acyclic)."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    paths = [0] * n
    paths[0] = 1
    order = deque(i for i in range(n) if indeg[i] == 0)
    seen = 0
    while order:
        a = order.popleft()
        seen += 1
        for b in succ[a]:
            paths[b] += paths[a]
            indeg[b] -= 1
            if indeg[b] == 0:
                order.append(b)
    exact = seen == n
    if not exact:  # cycles: count what the acyclic part gives, at least one path each
        paths = [max(p, 1) for p in paths]
    return paths, exact


def path_to(exploration: Exploration, sid: int) -> list[int]:
    """State ids from the initial state to `sid` along BFS parent links (a shortest path)."""
    out = []
    while sid != -1:
        out.append(sid)
        sid = exploration.parents[sid]
    return out[::-1]
