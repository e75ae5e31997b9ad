"""Breadth-first search on several processes, states partitioned by hash.

Each *shard* owns the states whose hash falls to it: their visited set and the
part of the frontier made of them. The search goes level by level: every shard
expands its frontier and sorts the successors by owner (`expand`); the owners
take them in, drop those they have seen, check invariants on the new ones and
keep them as the next frontier (`absorb`). The coordinator only routes batches and
adds up figures, so a shard's two operations are the whole interface:

    Shard.absorb(pairs) -> frontier size       Shard.expand() -> list of batches, one per shard
    (pairs: (state, processes asleep))         (its own batch stays with it)
    Shard.report() -> what it found and counted

`LocalPool` runs one shard per forked process and talks to it over a pipe. A
cluster engine needs only another pool with the same `call_all`: with Ray, each
shard is an actor (`ray.remote(Shard).remote(...)`) and `call_all` is
`ray.get([getattr(a, name).remote(*args) for a, args in ...])`; with Dask, shards
are actors of a `distributed.Client` the same way. Nothing else changes.

With partial-order reduction (`por`) each shard chooses the persistent set of every state it
expands (the set is a function of the state alone). The cycle proviso of the sequential
search asks whether a successor was visited at the current or an earlier layer, which only
its owner knows; the shards use a stronger rule that needs no one else: a state one of
whose chosen steps makes no progress (`por.progress`, which no step lowers) is expanded
fully. Along every step of a state not expanded fully progress then grows, so a cycle,
whose steps all keep it, holds only fully expanded states. Sleep sets travel with the
states (`absorb` takes (state, processes asleep) pairs, already renamed to the state's
representative): the owner keeps, per state, what is asleep on every path to it, and
expands a state again when a new path needs a step it let sleep.

The parallel search decides verdicts and counts states; it keeps no parent links.
When a check needs a trace (a violation, or an `exists` witness), the session runs
the sequential search for it, which gives the shortest one.
"""
from __future__ import annotations

import multiprocessing
import time

from forkspec.engines import bfs, visited
from forkspec.engines.por import LimitReached

NONE: frozenset = frozenset()


class Keyed:
    """A state with its hash computed once: the routing, the batches and the visited map all hash
    it, and a state's hash (of nested tuples) is not cached by Python."""

    __slots__ = ("state", "h")

    def __init__(self, state, h: int | None = None):
        self.state = state
        self.h = hash(state) if h is None else h

    def __hash__(self) -> int:
        return self.h

    def __eq__(self, other) -> bool:
        return self.h == other.h and self.state == other.state

    def __reduce__(self):
        return Keyed, (self.state, self.h)
from forkspec.engines.result import VIOLATED, CheckResult, Exploration, Stats, Witness


class Shard:
    """The states owned by one worker: visited set, frontier, findings."""

    def __init__(self, index: int, count: int, model, checks, canon=None, diverged=(), fingerprints=False, por=None):
        self.index, self.count = index, count
        self.por = por
        self.limit = ""  # the process limit was reached: the reduction does not hold (see `por.LimitReached`)
        self.model, self.checks, self.canon, self.diverged = model, checks, canon, diverged
        self.key = (lambda s: s.h) if fingerprints else (lambda s: s)  # s: a `Keyed`; its hash is the fingerprint
        self.seen: dict = {}  # key -> the processes asleep in the state (see `absorb`)
        self.expanded: set = set()  # keys expanded with their present sleep set
        self.expanded_once: set = set()  # keys expanded at least once
        self.own: list = []  # successors this shard owns, from its last expansion
        self.frontier: list = []
        self.found: set[str] = set()
        self.finals: list = []  # terminated states (their outcomes are the run's outcomes)
        self.generated = self.terminated = self.deadlocks = 0
        self.cut = ""
        self.invariants = [c for c in checks if c.kind == "invariant"]
        self.checks_per_step = [c for c in checks if c.kind == "step"]
        self.final_checks = [c for c in checks if c.kind in ("forall", "exists", "~exists")]
        self.deadlock_checks = [c for c in checks if c.kind == "deadlock"]

    def absorb(self, states: list) -> int:
        """Take in (state, asleep) pairs: new states join the frontier; a state seen before keeps the
        processes asleep on every path to it, and goes back to the frontier if it was expanded with a
        process asleep that this path needs."""
        states, self.own = self.own + states, []
        for s, asleep in states:
            k = self.key(s)
            before = self.seen.get(k)
            if before is None:
                self.seen[k] = asleep
                for c in self.invariants:
                    if c.name not in self.found and not c.state_ok(s.state):
                        self.found.add(c.name)
                self.frontier.append(s)
            elif not before <= asleep:
                self.seen[k] = before & asleep
                if k in self.expanded:
                    self.expanded.discard(k)
                    self.frontier.append(s)
        return len(self.frontier)

    def expand(self) -> list[list]:
        out: list[dict] = [{} for _ in range(self.count)]
        n = self.count
        for keyed in self.frontier:
            state, k = keyed.state, self.key(keyed)
            if k in self.expanded:
                continue  # listed twice in one frontier
            again = k in self.expanded_once
            self.expanded.add(k)
            self.expanded_once.add(k)
            try:
                succ, reps, maps, asleep = self.steps_of(state, k)
            except self.diverged as e:
                self.cut = str(e)
                continue
            except LimitReached as e:
                self.limit = str(e)
                break
            self.generated += len(succ)
            if not succ and (again or (asleep and self.model.successors(state))):
                continue  # every step from here is covered by another order, or was taken before
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
            sleeping = self.por is not None and self.por.sleep_sets
            after = self.por.asleep_after(state, succ, asleep, maps) if sleeping else None
            for i, (action, nxt) in enumerate(succ):
                for c in self.checks_per_step:
                    if c.name not in self.found and not c.step_ok(state, action, nxt):
                        self.found.add(c.name)
                covered = after[i] if after is not None else NONE
                rep = Keyed(reps[i])
                batch = out[rep.h % n]
                batch[rep] = covered & batch[rep] if rep in batch else covered
        self.frontier = []
        self.own = list(out[self.index].items())  # kept here: no need to travel
        out[self.index] = {}
        return [list(d.items()) for d in out]

    def steps_of(self, state, k):
        """The steps explored from `state`: (successors, their representatives, the renamings that give
        them, the processes asleep here). With the reduction: the persistent set less the processes
        asleep, or every step when one of the chosen makes no progress (see the module docstring)."""
        por, model = self.por, self.model
        asleep = self.seen.get(k) or NONE
        chosen = movers = por.choose(state) if por is not None else None
        if asleep:
            movers = tuple(p for p in (chosen or [p.pid for p in state.procs]) if p not in asleep)
        succ = model.successors(state) if movers is None else model.successors(state, movers) if movers else []
        if movers and not succ:  # the chosen processes could not move after all: every process moves
            chosen, succ, asleep = None, model.successors(state), NONE
        reps, maps = self.represent(succ)
        if chosen is not None and succ:
            here = por.progress(state)
            if all(por.progress(r) > here for r in reps):
                por.reduced += 1
            else:
                succ, asleep = por.expand_fully(state, movers, succ), NONE
                reps, maps = self.represent(succ)
        if not asleep and self.seen.get(k):
            self.seen[k] = NONE
        return succ, reps, maps, asleep

    def represent(self, succ):
        """The successors' representatives and the renamings that give them (None: none)."""
        canon = self.canon
        if canon is None:
            return [n for _, n in succ], [None] * len(succ)
        if self.por is not None and self.por.sleep_sets:
            pairs = [canon.with_mapping(n) for _, n in succ]
            return [r for r, _ in pairs], [m for _, m in pairs]
        return [canon(n) for _, n in succ], [None] * len(succ)

    def report(self) -> dict:
        return {"found": self.found, "finals": self.finals, "distinct": len(self.seen), "generated": self.generated,
                "terminated": self.terminated, "deadlocks": self.deadlocks, "cut": self.cut, "limit": self.limit,
                "reduced": self.por.reduced if self.por is not None else 0}


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
            pool_factory=LocalPool, por=None) -> Exploration:
    """Decide every check with `workers` shards; without `por` the figures match the sequential search's.
    Raises `LimitReached` when a reduced search reaches the process limit (search again without it)."""
    start = time.perf_counter()
    shards = [Shard(i, workers, model, checks, canon, diverged, fingerprints, por) for i in range(workers)]
    init = model.initial_state()
    if canon is not None:
        init = canon(init)
    pool = pool_factory(shards)
    stats = Stats()
    try:
        inbox = [[] for _ in range(workers)]
        init = Keyed(init)
        inbox[init.h % workers].append((init, NONE))
        depth = 0
        while True:
            sizes = pool.call_all("absorb", [(b,) for b in inbox])
            if not any(sizes):
                break
            reports = pool.call_all("report", [()] * workers)
            limit = next((r["limit"] for r in reports if r["limit"]), "")
            if limit:
                raise LimitReached(limit)
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
    if por is not None:
        por.reduced = sum(r["reduced"] for r in reports)
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
