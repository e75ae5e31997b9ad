"""Breadth-first search on several processes, states partitioned by hash.

Each *shard* owns the states whose hash falls to it: their visited set and the
part of the frontier made of them. The search goes level by level: every shard
expands its frontier and sorts the successors by owner (`expand`); the owners
take them in, drop those they have seen, check invariants on the new ones and
keep them as the next frontier (`absorb`). The coordinator only routes batches and
adds up figures, so a shard's two operations are the whole interface:

    Shard.absorb(states) -> frontier size      Shard.expand() -> list of batches, one per shard
                                               (its own batch stays with it)
    Shard.report() -> what it found and counted

`LocalPool` runs one shard per forked process and talks to it over a pipe. A
cluster engine needs only another pool with the same `call_all`: with Ray, each
shard is an actor (`ray.remote(Shard).remote(...)`) and `call_all` is
`ray.get([getattr(a, name).remote(*args) for a, args in ...])`; with Dask, shards
are actors of a `distributed.Client` the same way. Nothing else changes.

The parallel search decides verdicts and counts states; it keeps no parent links.
When a check needs a trace (a violation, or an `exists` witness), the session runs
the sequential search for it, which gives the shortest one.
"""
from __future__ import annotations

import multiprocessing
import time

from forkspec.engines import bfs, visited
from forkspec.engines.result import VIOLATED, CheckResult, Exploration, Stats, Witness


class Shard:
    """The states owned by one worker: visited set, frontier, findings."""

    def __init__(self, index: int, count: int, model, checks, canon=None, diverged=(), fingerprints=False):
        self.index, self.count = index, count
        self.model, self.checks, self.canon, self.diverged = model, checks, canon, diverged
        self.key = visited.fingerprint if fingerprints else (lambda s: s)
        self.seen: set = set()
        self.own: list = []  # successors this shard owns, from its last expansion
        self.frontier: list = []
        self.found: set[str] = set()
        self.finals: list = []  # terminated states (their outcomes are the run's outcomes)
        self.generated = self.terminated = self.deadlocks = 0
        self.cut = ""
        self.invariants = [c for c in checks if c.kind == "invariant"]
        self.steps = [c for c in checks if c.kind == "step"]
        self.final_checks = [c for c in checks if c.kind in ("forall", "exists", "~exists")]
        self.deadlock_checks = [c for c in checks if c.kind == "deadlock"]

    def absorb(self, states: list) -> int:
        states, self.own = self.own + states, []
        for s in states:
            k = self.key(s)
            if k in self.seen:
                continue
            self.seen.add(k)
            for c in self.invariants:
                if c.name not in self.found and not c.state_ok(s):
                    self.found.add(c.name)
            self.frontier.append(s)
        return len(self.frontier)

    def expand(self) -> list[list]:
        out: list[dict] = [{} for _ in range(self.count)]
        n = self.count
        canon = self.canon
        for state in self.frontier:
            try:
                succ = self.model.successors(state)
            except self.diverged as e:
                self.cut = str(e)
                continue
            self.generated += len(succ)
            if not succ:
                if self.model.is_terminated(state):
                    self.terminated += 1
                    self.finals.append(state)
                    for c in self.final_checks:
                        ok = bool(c.final(state))
                        if (c.kind == "forall" and not ok) or (c.kind in ("exists", "~exists") and ok):
                            self.found.add(c.name)
                else:
                    self.deadlocks += 1
                    self.found.update(c.name for c in self.deadlock_checks)
                continue
            for action, nxt in succ:
                for c in self.steps:
                    if c.name not in self.found and not c.step_ok(state, action, nxt):
                        self.found.add(c.name)
                if canon is not None:
                    nxt = canon(nxt)
                out[hash(nxt) % n][nxt] = None
        self.frontier = []
        self.own = list(out[self.index])  # kept here: no need to travel
        out[self.index] = {}
        return [list(d) for d in out]

    def report(self) -> dict:
        return {"found": self.found, "finals": self.finals, "distinct": len(self.seen), "generated": self.generated,
                "terminated": self.terminated, "deadlocks": self.deadlocks, "cut": self.cut}


def _serve(conn, shard: Shard) -> None:
    while True:
        msg = conn.recv()
        if msg is None:
            conn.close()
            return
        name, args = msg
        conn.send(getattr(shard, name)(*args))


class LocalPool:
    """One forked process per shard; `call_all` runs a method on every shard and returns the answers in order."""

    def __init__(self, shards: list[Shard]):
        ctx = multiprocessing.get_context("fork")  # shards hold closures (checks): they are inherited, not pickled
        self.conns, self.procs = [], []
        for shard in shards:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_serve, args=(child, shard), daemon=True)
            p.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(p)

    def call_all(self, name: str, args_per_shard: list[tuple]) -> list:
        for conn, args in zip(self.conns, args_per_shard):
            conn.send((name, args))
        return [conn.recv() for conn in self.conns]

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for p in self.procs:
            p.join(timeout=5)


def explore(model, checks, workers: int, max_states: int | None = None, max_depth: int | None = None,
            stop_at_first: bool = False, diverged=(), canon=None, fingerprints: bool = False,
            pool_factory=LocalPool) -> Exploration:
    """Decide every check with `workers` shards; the figures match the sequential search's."""
    start = time.perf_counter()
    shards = [Shard(i, workers, model, checks, canon, diverged, fingerprints) for i in range(workers)]
    init = model.initial_state()
    if canon is not None:
        init = canon(init)
    pool = pool_factory(shards)
    stats = Stats()
    try:
        inbox = [[] for _ in range(workers)]
        inbox[hash(init) % workers].append(init)
        depth = 0
        while True:
            sizes = pool.call_all("absorb", [(b,) for b in inbox])
            if not any(sizes):
                break
            reports = pool.call_all("report", [()] * workers)
            distinct = sum(r["distinct"] for r in reports)
            if max_states is not None and distinct >= max_states:
                stats.complete, stats.cut = False, f"state limit {max_states} reached"
                break
            if stop_at_first and any(r["found"] & {c.name for c in checks if c.kind != "exists"} for r in reports):
                stats.complete, stats.cut = False, "stopped at the first violation"
                break
            if max_depth is not None and depth >= max_depth:
                stats.complete, stats.cut = False, f"depth bound {max_depth} reached"
                break
            outs = pool.call_all("expand", [()] * workers)
            inbox = [[s for out in outs for s in out[w]] for w in range(workers)]
            depth += 1
        reports = pool.call_all("report", [()] * workers)
    finally:
        pool.close()
    found = set().union(*(r["found"] for r in reports))
    finals = [s for r in reports for s in r["finals"]]
    stats.distinct = sum(r["distinct"] for r in reports)
    stats.generated = sum(r["generated"] for r in reports)
    stats.terminated = sum(r["terminated"] for r in reports)
    stats.deadlocks = sum(r["deadlocks"] for r in reports)
    stats.depth = depth
    cuts = [r["cut"] for r in reports if r["cut"]]
    if cuts:
        stats.complete, stats.cut = False, cuts[0]
    stats.seconds = time.perf_counter() - start
    if fingerprints:
        stats.fingerprint_collision = visited.collision_probability(stats.distinct)
    results = [_verdict(c, c.name in found, stats) for c in checks]
    return Exploration(results, stats, finals, [-1] * len(finals), list(range(len(finals))), None, True, canon)


def _verdict(c, found: bool, stats: Stats) -> CheckResult:
    """The sequential search's verdict rule; no witness is kept."""
    result = bfs._verdict(c, Witness(-1) if found else None, stats)
    result.witness = None
    return result


def needs_trace(exploration: Exploration) -> bool:
    """Does a result call for a counterexample trace, which the parallel search does not keep?"""
    return any(r.verdict == VIOLATED and r.check.kind != "exists" for r in exploration.results)
