"""Bounded model checking with a completeness threshold: the Z3 engine's search.

First a few random executions in the concrete kernel (`_simulate`): a check one of them
violates is decided with that execution as its trace (a bug that every execution hits
costs no solving at all). Then:

One unrolling is extended a step at a time (earlier steps are never re-encoded); each
question is put to a new solver built from Z3's bit-vector tactic (simplify, solve-eqs,
bit-blast, SAT), which refutes these unrollings faster than the incremental solver and
re-solves from scratch on every check anyway. Below the longest of a few
random runs made at the encoding's granularity (`guess`) no question is asked: some
execution is known to go on there, and the question at that depth covers every step
before it (without a guess, from depth 0 on, with probes). At each depth k:

* a probe, with a short time limit (at most as long as the last depth's question):
  is a check violated at step k? A model is a counterexample, replayed in the
  concrete kernel before it is reported. A probe that runs out of time decides
  nothing;
* one question for everything still open (`_round`): can a process still move at
  step k, is an open check violated at some step up to k, does an execution need
  more slots or go beyond the encoding? A model's answers are acted on and the
  question asked again without them. Unsatisfiable means no execution is longer
  than k steps (k is the completeness threshold: the unrolling covers every
  execution) and every open check holds: one refutation settles them all.

While no threshold is found, once a depth's model repeats a state (an execution that can
go round for ever: no threshold will come) or from depth `Options.induction_from` on,
each depth is also the base case of k-induction (`symbolic.induction`) for one more k
(1, 2, ... up to `Options.induction`): the step case proves the checks still
open whose violation is a state or a step, together with never leaving the encoding;
each proved one holds with its k as the reason, and a run whose every check is decided
stops there (`proof` "k-induction").

Once a depth's model repeats a state with no string written in between, each depth k
also asks whether some execution of k steps repeats no frame (`diameter`); unsatisfiable,
every reachable frame is reached within k-1 steps, and k serves as the threshold (`proof`
"recurrence"): the unrolling holds every state, every step's violation and every
terminated outcome, though executions go on.

Expectations on outcomes are then decided over the terminated states at the
threshold: `exists`/`~exists` by one satisfiability question each where the
condition translates (`condition`), the rest on every outcome, enumerated by
blocking schedules on an incremental solver. A solver `unknown`, a bound reached
first, or a path beyond the encoding (more processes than slots, a full stdio
buffer) leaves the verdict inconclusive, with the reason; a construct the encoding
lacks raises NotEncoded before any verdict.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import z3

from forkspec import ir
from forkspec.engines.result import (
    HOLDS, INCONCLUSIVE, VIOLATED, Check, CheckResult, Exploration, Stats, Witness,
)
from forkspec.engines.symbolic import diameter, replay as rp
from forkspec.engines.symbolic.condition import translate
from forkspec.engines.symbolic.guess import longest_run
from forkspec.engines.symbolic.induction import Induction
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.engines.symbolic.unroll import Encoder
from forkspec.frontend.routines import FORK_ATFORK
from forkspec.kernel import Kernel
from forkspec.kernel.state import FIRST_PID, State
from forkspec.trace import ReplayError

# bundled properties the encoding decides: name -> how
EVENT_PROPERTIES = {"all-reaped": "reparent", "atexit-reverse-order": "atexit_bad", "no-lost-write": "lost_write",
                    "fork-thread-safety": "orphaned_forked", "vfork-safety": "vfork_unsafe"}
# in a program that calls vfork or maps memory, the structural properties are events of the encoding
# (`symbolic.vfork`, `symbolic.memory`)
VFORK_EVENTS = {"cow-isolation": "shared_write", "no-shared-writable-page": "shared_frame"}
# properties that hold by construction of the encoded fragment: pids are slot numbers and
# never reused (but under pid-reuse: `pid_clash`); without mmap, vfork or injected faults, fork marks every shared private
# page copy-on-write, so no frame is shared writable and no private write is seen by another
STRUCTURAL = frozenset({"pid-unique", "cow-isolation", "no-shared-writable-page"})
# no handler function runs in the encoded fragment (a program that installs one is refused),
# so no handler calls a function outside signal-safety(7); where one may, the event `unsafe_call`
NO_HANDLERS = frozenset({"signal-safety"})
MAX_OUTCOMES = 5000
FIRST_SLOTS = 2
PROBE_MS = 50
EXISTS_MS = 500
INDUCTION_MS = 20_000  # each step-case question of k-induction (unanswered: not proved for that k)
INDUCTION_LOOP_FROM = 4  # the first depth at which an execution that repeats a state starts k-induction
SIM_RUNS = 4  # random concrete executions tried before solving
SIM_STEPS = 1000
SIM_SECONDS = 0.25  # and no longer than this in all (a program that never ends runs the steps out)


@dataclass
class Options:
    max_bound: int = 200
    slots: int = 16
    timeout_ms: int = 120_000
    simulate: bool = True  # random concrete runs before solving (`_simulate`)
    induction: int = 4  # the largest k tried by k-induction (`symbolic.induction`); 0: never
    recurrence: bool = True  # once an execution repeats a state, look for the recurrence diameter (`diameter`)
    induction_from: int = 40  # the depth of the first step case (k = 1), one k more at each depth after it;
    # sooner once an execution repeats a state (`_repeats`): a program with a longest execution rarely pays


@dataclass
class Figures:
    """What the Z3 engine reports besides verdicts."""

    bound: int = 0  # steps unrolled
    threshold: int | None = None  # longest execution, when found; with proof "recurrence", a depth
    # that no execution passes without repeating a frame (every frame is reached before it)
    queries: int = 0
    solver_seconds: float = 0.0
    outcomes: int | None = None
    slots: int = 0
    slots_full: bool = False  # some execution creates more processes than there are slots
    outcome_set: list = field(default_factory=list)  # kernel Outcomes at the threshold
    proof: str | None = None  # what proves the checks that hold: "threshold", "recurrence" or "k-induction"
    induction: dict = field(default_factory=dict)  # check name -> the k it is k-inductive for
    statistics: dict = field(default_factory=dict)


class Unknown(Exception):
    pass


def explore(kernel: Kernel, checks: list[Check], library_descriptions: dict, opts: Options = Options(),
            max_alive: bool = False, outcomes: bool = False) -> Exploration:
    """Decide every check. Process slots start at the most processes a few concrete runs
    create (so a program that always creates N gets N slots at once) and double while an
    execution needs more."""
    start = time.perf_counter()
    cap = min(opts.slots, kernel.config.max_procs + 1) if _forks(kernel.program) else 1
    slots = min(max(FIRST_SLOTS, _sampled_processes(kernel)), cap)
    while True:
        ex = _explore(kernel, checks, library_descriptions, opts, max_alive, outcomes, slots, start)
        figures = ex.stats.solver
        if not figures.slots_full or slots >= cap:
            return ex
        slots = min(slots * 2, cap)


def _forks(program) -> bool:
    """Does the program call fork or vfork (outside the libc fork routine, reached only from fork)?"""
    return any(isinstance(ins, ir.Builtin) and ins.name in ("fork", "vfork")
               for fn in program.functions if fn.name != FORK_ATFORK for ins in fn.body)


def _sampled_processes(kernel: Kernel, runs: int = 4, steps: int = 2000) -> int:
    """The most processes any of a few random concrete executions creates (a lower bound on
    the slots every proof needs; forks that may fail are taken as succeeding)."""
    rng = random.Random(0)
    best = 1
    for _ in range(runs):
        state = kernel.initial_state()
        for _ in range(steps):
            succ = kernel.successors(state)
            if not succ:
                break
            ok = [x for x in succ if x[0].choice != "fail"] or succ
            state = rng.choice(ok)[1]
        best = max(best, state.next_pid - FIRST_PID)
    return best


def _explore(kernel: Kernel, checks: list[Check], library_descriptions: dict, opts: Options, max_alive: bool,
             outcomes: bool, slots: int, start: float) -> Exploration:
    figures = Figures()
    replay_kernel = Kernel(kernel.program, kernel.config._replace(merge_local=False))
    chain = _Chains(replay_kernel)
    try:
        enc = precheck(kernel, checks, library_descriptions, slots)
    except NotEncoded as e:
        if not e.limit:
            raise
        why = f"{e.message} (use --engine bfs)"
        return _finish([CheckResult(c, INCONCLUSIVE, None, why) for c in checks], chain, figures, start, why)
    figures.slots = enc.slots
    search = _Search(enc, opts, figures)
    results: dict[str, CheckResult] = {}
    watch = []  # (check, kind, term builder)
    finals = []
    for c in checks:
        how = _how(c, library_descriptions)
        if how == "structural" and (enc.layout.vforks or enc.layout.regions) and c.name in VFORK_EVENTS:
            how = VFORK_EVENTS[c.name]
        if how == "structural" and c.name == "pid-unique" and enc.reuse:
            how = "pid_clash"  # the injected fault pid-reuse: a fork may give a zombie's pid (`Step.reuse_pid`)
        if how == "structural" and c.name in NO_HANDLERS and enc.layout.signals.catching:
            how = "unsafe_call"  # a handler may run: its calls are events of the encoding
        if how == "final":
            finals.append(c)
        elif how == "structural":
            pass
        else:
            watch.append((c, how))
    if opts.simulate:
        _simulate(replay_kernel, chain, watch, results)
    can_grow = slots < min(opts.slots, kernel.config.max_procs + 1)
    induction, tried, looping, spinning, ask_loop_free = None, 0, False, False, True
    cut = ""
    complete = False
    beyond = False
    skip = _first_question(replay_kernel, enc, opts) if watch or finals or outcomes or max_alive else 0
    try:
        for k in range(opts.max_bound + 1):
            search.extend()
            figures.bound = k
            if k < skip:
                continue  # some execution still moves here (`guess`): the question at `skip` covers these steps
            if not skip:  # (past a guess, the one question per depth covers every step: no probe)
                _probe(search, enc, chain, watch, results, k)
            outcome, beyond = _round(search, enc, chain, watch, results, k, can_grow, beyond)
            if outcome == "slots":
                figures.slots_full = True  # more processes than slots: start again with more
                return _finish([], chain, figures, start, "more processes than slots")
            if outcome == "done":
                figures.threshold = k
                figures.proof = "threshold"
                complete = True
                break
            looping = looping or (k >= INDUCTION_LOOP_FROM and _repeats(enc, search.last_model, k))
            spinning = spinning or (looping and _repeats(enc, search.last_model, k, exactly=True))
            if spinning and opts.recurrence and not beyond and ask_loop_free:
                free = search.loop_free(k)
                if free is False:
                    figures.threshold = k  # every frame is reached within k-1 steps (`diameter`)
                    figures.proof = "recurrence"
                    complete = True
                    break
                ask_loop_free = free is not None  # a question that ran out of time is not asked again
            if not beyond and (looping or k >= opts.induction_from) and tried < opts.induction:
                induction = induction or _induction(kernel, enc, min(opts.timeout_ms, INDUCTION_MS))
                tried += 1  # k = tried <= k + 1: the base case covers it
                if _induct(induction, watch, results, figures, tried, search) and figures.induction \
                        and not (finals or outcomes or max_alive):
                    break  # every check decided
        if not complete and figures.induction and len(results) == len(watch) and not (finals or outcomes or max_alive):
            figures.proof = "k-induction"
            complete = True
        elif not complete:
            cut = f"bound {figures.bound} reached: some execution is longer (no completeness threshold yet)"
        elif beyond:
            complete, cut = False, "some execution goes " + _beyond_reason(enc, search.outside_why)
        if complete and figures.threshold is not None:
            finals = _decide_by_queries(search, enc, chain, finals, results, figures.threshold)
        if complete and figures.threshold is not None and (finals or outcomes):
            _decide_finals(search, enc, chain, finals, results, figures, witnesses=outcomes)
        if max_alive and complete:
            figures.statistics["max_alive"] = search.maximise_alive()
    except Unknown as e:
        cut = f"the solver answered unknown ({e}) at bound {figures.bound}"
        complete = False
    except NotEncoded as e:
        if not e.limit:
            raise  # a construct the encoding lacks: bad input for this engine, never a verdict
        cut = f"{e.message} (use --engine bfs)"
        complete = False
    out = []
    for c in checks:
        r = results.get(c.name)
        if r is None:
            if not complete:
                r = CheckResult(c, INCONCLUSIVE, None, cut)
            elif c.kind == "exists":
                r = CheckResult(c, VIOLATED, None, "no terminated execution satisfies it")
            else:
                r = CheckResult(c, HOLDS)
        out.append(r)
    figures.statistics.update(search.statistics())
    if induction is not None:
        figures.statistics["induction"] = {"queries": induction.queries, "solver_seconds": round(induction.seconds, 4),
                                           "abstract_controls": len(induction.lemma or {})}
    return _finish(out, chain, figures, start, cut)


def _first_question(kernel: Kernel, enc: Encoder, opts: Options) -> int:
    """The first depth worth a question: the longest of a few random runs (`guess.longest_run`).
    Below it some execution is known to move on, so the question there would only come back
    "deeper"; at it, the question covers every step up to it, and unsatisfiable makes it the
    longest execution (a run that long exists). 0 without a guess (a run that does not end,
    signals, threads or vfork, whose moves the runs do not make)."""
    lay = enc.layout
    if lay.signals.used or lay.vforks or lay.threads > 1:
        return 0
    n = longest_run(kernel, lay.boundaries)
    return 0 if n is None else min(n, opts.max_bound)


def _repeats(enc: Encoder, model, k: int, exactly: bool = False) -> bool:
    """Does the execution of this model repeat a frame (its non-string variables) within
    k steps? Then it can go round for ever: no bound ever covers every execution, and
    only induction can prove a check. `exactly`: with no string written in between either
    (`diameter`), so the loop changed nothing at all."""
    if model is None:
        return False
    names = [n for n, v in enc.frames[0].items() if isinstance(v, z3.ExprRef) and not isinstance(v, z3.SeqRef)]
    seen = set()
    for t, f in enumerate(enc.frames[:k + 1]):
        if t and not z3.is_true(model.eval(enc.steps[t - 1].moved, model_completion=True)):
            continue  # nothing moved: the same frame again is no loop
        wrote = enc.steps[t - 1].strings if t else None
        if exactly and wrote is not None and z3.is_true(model.eval(wrote, model_completion=True)):
            seen = set()  # no frame before a write is the same as one after it
        row = tuple(str(model.eval(f[n], model_completion=True)) for n in names)
        if row in seen:
            return True
        seen.add(row)
    return False


def _induction(kernel: Kernel, enc: Encoder, timeout_ms: int) -> Induction | None:
    try:
        return Induction(kernel.program, kernel.config, enc.slots, enc.frames[0], timeout_ms)
    except NotEncoded:  # a state the step case cannot leave free: no proof by induction
        return None


def _induct(induction: Induction | None, watch: list, results: dict, figures: Figures, k: int,
            search: "_Search") -> bool:
    """The step case of k-induction for the watched checks still open, then the base case
    for each one it proves: no violation at a step before k-1 and no frame up to k-1 beyond
    the encoding, from the initial state (one question to the bounded search, which holds
    those steps); each one proved holds, with its k as the reason. Returns whether every
    watched check is decided."""
    pending = [(c, how) for c, how in watch if c.name not in results]
    try:
        proved = induction.prove(pending, _term, k) if pending and induction is not None else []
    except (NotEncoded, z3.Z3Exception):  # met only from a free frame: no proof, the bounded search goes on
        proved = []
    enc = search.enc
    how = dict((c.name, h) for c, h in watch)
    for c in proved:
        base = [_term(enc, how[c.name], j) for j in range(k - 1)] + [enc.frames[j][("oob",)] for j in range(k)]
        try:
            if search.find(z3.Or(base)) is not None:
                continue  # the base case fails: the bounded search goes on and finds the violation
        except Unknown:
            continue
        results[c.name] = CheckResult(c, HOLDS, None, f"{k}-inductive")
        figures.induction[c.name] = k
    return len(results) == len(watch)


def _simulate(kernel: Kernel, chain: "_Chains", watch: list, results: dict, runs: int = SIM_RUNS,
              steps: int = SIM_STEPS) -> None:
    """A few random executions in the concrete kernel, before any solving: a check one of
    them violates (an `assert` that fails in every execution, say) is reported with that
    execution as its trace, a real one by construction; the solver then only looks for
    the others. Finding nothing decides nothing."""
    rng = random.Random(1)
    stop = time.perf_counter() + SIM_SECONDS
    for _ in range(runs):
        open_checks = [(c, how) for c, how in watch if c.name not in results]
        if not open_checks:
            return
        state, path = kernel.initial_state(), []  # path: [(state, successor index, next state)]
        found = []  # (check, position in path, step check?)
        for _ in range(steps):
            if time.perf_counter() > stop:
                break
            try:
                succ = kernel.successors(state)
            except Exception:  # an error of the program's own (BFS reports it): the solver will meet it too
                return
            if not succ:
                if not kernel.is_terminated(state):
                    found += [(c, len(path), False) for c, how in open_checks if how == "deadlock"]
                break
            i = rng.randrange(len(succ))
            action, nxt = succ[i]
            for c, how in open_checks:
                if how == "deadlock" or any(c is f[0] for f in found):
                    continue
                if c.kind == "invariant":
                    if not c.state_ok(nxt):
                        found.append((c, len(path) + 1, False))
                elif not c.step_ok(state, action, nxt):
                    found.append((c, len(path), True))
            path.append((state, i, nxt))
            state = nxt
        if found:
            chain.run(path, found, results)


def _round(search, enc, chain, watch, results, k: int, can_grow: bool, beyond: bool) -> tuple[str, bool]:
    """One query for everything still open at depth k: can a process still move at step k,
    is a pending check violated at some step up to k, does an execution need more slots or
    go beyond the encoding? Each answer a model gives is acted on and the question asked
    again without it; unsatisfiable settles every part at once (one refutation instead of
    one per check). Returns "deeper", "done" or "slots", and whether some execution is
    known to go beyond the encoding (then a `holds` is out of reach)."""
    while True:
        goals = {"enabled": enc.steps[k].enabled}
        if can_grow:
            goals["slots"] = z3.Or([st.events["slots_full"] for st in enc.steps[:k + 1]])
        if not beyond:
            goals["beyond"] = enc.frames[k][("oob",)]
        pending = [(c, how) for c, how in watch if c.name not in results]
        terms = {c.name: [_term(enc, how, j) for j in range(k + 1)] for c, how in pending}
        for c, _ in pending:
            goals[c.name] = z3.Or(terms[c.name])
        t = time.perf_counter()
        model = search.find(z3.Or(list(goals.values())))
        search.last_round_ms = int((time.perf_counter() - t) * 1000)
        search.last_model = model
        if model is None:
            return "done", beyond
        true = {g for g, t in goals.items() if z3.is_true(model.eval(t, model_completion=True))}
        if "slots" in true:
            return "slots", beyond
        if "beyond" in true and not beyond:
            search.outside_why = enc.outside_reason(model, k)
        beyond = beyond or "beyond" in true
        for c, how in pending:
            if c.name in true:
                j = next(j for j, t in enumerate(terms[c.name]) if z3.is_true(model.eval(t, model_completion=True)))
                results[c.name] = chain.violation(c, enc, model, j + 1 if how != "deadlock" else j, how)
        if "enabled" in true:
            return "deeper", beyond


def precheck(kernel: Kernel, checks: list[Check], library_descriptions: dict, slots: int = FIRST_SLOTS) -> Encoder:
    """The encoder for this program and configuration; NotEncoded names what it lacks
    (a call, a configuration, a property) before any search starts."""
    for c in checks:
        if _how(c, library_descriptions) is None:
            source = "from a property file" if c.name not in library_descriptions else "of the library"
            raise NotEncoded(f"the property {c.name} ({source})", header=c.name)
    return Encoder(kernel.program, kernel.config, slots)


def _how(c: Check, library_descriptions: dict) -> str | None:
    if c.origin == "assert":
        return "assert_failed"
    if c.kind in ("forall", "exists", "~exists"):
        return "final"
    if c.origin == "property" and library_descriptions.get(c.name) == c.description:
        if c.name in EVENT_PROPERTIES:
            return EVENT_PROPERTIES[c.name]
        if c.name in STRUCTURAL or c.name in NO_HANDLERS:
            return "structural"
        if c.name == "no-orphaned-stopped-group":
            return "orphaned_stopped"
        if c.name == "no-deadlock":
            return "deadlock"
        if c.name == "orphans-reparented":
            return "orphans"
    return None


def _probe(search, enc, chain, watch, results, k: int) -> None:
    """Cheap questions at depth k (a short time limit): a shallow violation is found early,
    with a short counterexample; an unanswered probe is left to `_round`."""
    pending = [(c, how) for c, how in watch if c.name not in results]
    if not pending:
        return
    terms = {c.name: _term(enc, how, k) for c, how in pending}
    model = search.find(z3.Or(list(terms.values())), limit_ms=max(PROBE_MS, search.last_round_ms))
    if model is None:
        return
    for c, how in pending:
        if z3.is_true(model.eval(terms[c.name], model_completion=True)):
            results[c.name] = chain.violation(c, enc, model, k + 1 if how != "deadlock" else k, how)


def _term(enc: Encoder, how: str, k: int):
    if how == "deadlock":
        return enc.deadlocked(k)
    if how == "orphans":
        return enc.orphan_without_parent(k + 1)
    if how == "orphaned_stopped":
        return enc.orphaned_stopped_group(k + 1)
    return enc.steps[k].events[how]


def _beyond_reason(enc: Encoder, why: str | None = None) -> str:
    """The path's own reason when a model showed it, else what the encoding's bounds are."""
    if why:
        return f"beyond the encoding: {why}"
    return (f"beyond the encoding (at most {enc.slots} processes, {enc.atexit_cap} atexit handlers, "
            "a stdio buffer that never fills, fds and files within their shapes, "
            "stdout and stderr on the standard files, no read() into a char array's last byte)")


def _bit_blasting_solver(timeout_ms: int) -> z3.Solver:
    """A new solver for each question: the tactic re-solves from scratch on every check
    anyway, and one built when the question is asked is measured 2-3 times faster than one
    that held the unrolling while it grew (reap-6: 2.3 s against 6.5 s)."""
    s = z3.Then('simplify', 'solve-eqs', 'bit-blast', 'sat').solver()
    s.set("timeout", timeout_ms)
    return s


class _Search:
    """The unrolling, the solvers its questions are put to, and their figures."""

    def __init__(self, enc: Encoder, opts: Options, figures: Figures):
        self.enc = enc
        self.constraints = []  # the unrolling so far
        self.solver = _bit_blasting_solver(opts.timeout_ms)  # the last question's solver: its statistics
        self.figures = figures
        self.timeout_ms = opts.timeout_ms
        self._general = None
        self.last_round_ms = 0  # how long the last depth's main question took: a probe may take as long
        self.last_model = None  # the last depth's model: an execution, perhaps one that repeats a state
        self.outside_why = None  # why the first model beyond the encoding left it, if one did

    def extend(self) -> None:
        self.constraints.extend(self.enc.unroll())

    def find(self, *goal, limit_ms: int | None = None) -> z3.ModelRef | None:
        """A model of the unrolling and `goal`, or None if there is none. With `limit_ms`,
        None also when the solver gives up in that time (a probe, never a proof)."""
        self.solver = _bit_blasting_solver(limit_ms or self.timeout_ms)
        self.solver.add(*self.constraints, *goal)
        t = time.perf_counter()
        answer = self.solver.check()
        self.figures.solver_seconds += time.perf_counter() - t
        self.figures.queries += 1
        if answer == z3.unknown:
            if limit_ms is not None:
                return None
            raise Unknown(self.solver.reason_unknown())
        return self.solver.model() if answer == z3.sat else None

    def loop_free(self, k: int) -> bool | None:
        """Is there an execution of k steps that repeats no frame (`diameter.loop_free`)? None
        when the solver gives no answer in its time: the search goes on without one."""
        try:
            return self.find(*diameter.loop_free(self.enc, k)) is not None
        except Unknown:
            return None

    def incremental(self, *facts) -> z3.Solver:
        """A solver of its own holding the unrolling and `facts`, for a series of queries that
        only add constraints (an enumeration): Z3's incremental bit-vector solver keeps what
        it learnt from one query to the next, where the tactic re-solves from scratch."""
        s = z3.SolverFor("QF_BV")
        s.set("timeout", self.timeout_ms)
        s.add(*self.constraints)
        s.add(*facts)
        return s

    def find_in(self, s: z3.Solver) -> z3.ModelRef | None:
        t = time.perf_counter()
        answer = s.check()
        self.figures.solver_seconds += time.perf_counter() - t
        self.figures.queries += 1
        if answer == z3.unknown:
            raise Unknown(s.reason_unknown())
        return s.model() if answer == z3.sat else None

    def find_general(self, *goal, limit_ms: int | None = None) -> z3.ModelRef | None:
        """As `find`, with Z3's general solver (the unrolling is bit-vectors; an outcome's
        text is a string, which the bit-vector tactic does not reason about)."""
        if self._general is None:
            self._general = z3.Solver()
            self._general.set("timeout", self.timeout_ms)
            self._general.add(*self.constraints)
        s = self._general
        s.push()
        s.set("timeout", limit_ms or self.timeout_ms)
        try:
            s.add(*goal)
            return self.find_in(s)
        finally:
            s.pop()

    def maximise_alive(self) -> int:
        """The largest number of processes in the table at once, over every execution (Z3's optimiser)."""
        opt = z3.Optimize()
        opt.set("timeout", self.timeout_ms)
        opt.add(*self.constraints)
        k = self.figures.threshold
        best = z3.BitVec("max_alive", 16)
        opt.add(z3.Or([best == self.enc.alive(t) for t in range(k + 1)]))
        h = opt.maximize(best)
        if opt.check() != z3.sat:
            raise Unknown(opt.reason_unknown())
        return opt.upper(h).as_long()

    def statistics(self) -> dict:
        st = self.solver.statistics()
        out = {k: st.get_key_value(k) for k in st.keys() if k in ("conflicts", "decisions", "propagations",
                                                                  "memory", "max memory", "rlimit count")}
        out.update({"queries": self.figures.queries, "solver_seconds": round(self.figures.solver_seconds, 4)})
        return out


def _decide_by_queries(search: "_Search", enc: Encoder, chain: "_Chains", finals: list[Check], results: dict,
                       k: int) -> list[Check]:
    """Each `exists`/`~exists` expectation whose condition translates (`condition.translate`)
    as one question over the terminated executions ("can the output ever be X?"); a model
    is replayed into the witness or counterexample. The question has a short time limit
    (string reasoning over interleaved output can be slow to refute); an unanswered one,
    and every `forall` (all of them decided at once by one enumeration), are returned
    to be decided on the enumerated outcomes."""
    f = enc.frames[k]
    env = {"stdout": f[("out",)], "stderr": f[("err",)], "processes": enc.processes(k),
           "exit_status": z3.BV2Int(enc.exit_status(k), is_signed=True)}
    rest = []
    for c in finals:
        cond = translate(c.condition.tree, env) if c.condition is not None and c.kind != "forall" else None
        if cond is None or c.name in results:
            rest.append(c)
            continue
        try:
            model = search.find_general(enc.terminated(k), cond, limit_ms=EXISTS_MS)
        except Unknown:
            rest.append(c)
            continue
        if model is not None:
            results[c.name] = chain.final(c, enc, model, k)
    search.figures.statistics["expectations_by_query"] = len(finals) - len(rest)
    return rest


def _decide_finals(search: _Search, enc: Encoder, chain: "_Chains", finals: list[Check], results: dict,
                   figures: Figures, witnesses: bool = False) -> None:
    """Every outcome at the threshold, and the expectations evaluated on each.

    Each model is blocked by its schedule: which slot moved at each step and the
    choices it made (a failing fork, an input value), which fix the whole execution
    and so its outcome, and are bit-vectors the solver blocks cheaply. Blocking on
    less (which process wrote at each step, say) is not sound: two executions can
    agree on that and print different text. Steps that commute are taken in one
    canonical order (`Encoder.canonical_order`), so executions differing only in the
    order of independent steps are not enumerated twice; distinct schedules may still
    reach one outcome, and outcomes are compared as the kernel's `Outcome` values,
    so each is counted once."""
    k = figures.threshold
    f = enc.frames[k]
    out, err, procs = f[("out",)], f[("err",)], enc.processes(k)
    trail = [x for st in enc.steps[:k]
             for x in (st.who, st.fail, st.nondet, st.signal, st.early, st.left, *(st.kernel or {}).values())
             if x is not None]
    facts = [enc.terminated(k)]
    if figures.proof == "recurrence":  # every terminated frame is reached by an execution that repeats none
        facts += diameter.loop_free(enc, k, after_moves=True)
    solver = search.incremental(*facts)
    seen: set = set()
    models = 0
    while True:
        model = search.find_in(solver)
        if model is None:
            break
        models += 1
        if models > MAX_OUTCOMES:
            raise NotEncoded(f"more than {MAX_OUTCOMES} executions to enumerate", limit=True)
        word = model.eval(f[("first",)], model_completion=True).as_signed_long()
        n = model.eval(procs, model_completion=True).as_long()
        stdout = model.eval(out, model_completion=True).as_string()
        stderr = model.eval(err, model_completion=True).as_string()
        outcome = State((), (), stdout, stderr, FIRST_PID + n, word)
        key = Kernel.outcome(outcome)
        solver.add(z3.Not(z3.And([x == model.eval(x, model_completion=True) for x in trail])))
        if key in seen:
            continue
        seen.add(key)
        figures.outcome_set.append(key)
        if witnesses:  # the outcome's execution, replayed, as BFS leaves a final state per outcome
            ids, _ = chain._add(enc, model, k)
            chain.finals.append(ids[-1])
        for c in finals:
            if c.name in results:
                continue
            ok = bool(c.final(outcome))
            if (c.kind == "forall" and not ok) or (c.kind in ("exists", "~exists") and ok):
                results[c.name] = chain.final(c, enc, model, k)
    figures.outcomes = len(seen)


class _Chains:
    """Replayed counterexamples, stored as chains of concrete states from the initial one,
    in the shape BFS leaves its search (states and parent links), so every report works."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.decided_at: dict = {}  # check name -> when its counterexample or witness was replayed
        self.by_random_run: list = []  # checks decided by `_simulate`
        self.states = [kernel.initial_state()]
        self.parents = [-1]
        self.finals: list[int] = []

    def _add(self, enc: Encoder, model, upto: int, name: str = "") -> tuple[list[int], list]:
        if name:
            self.decided_at.setdefault(name, time.perf_counter())
        moves = rp.schedule(enc, model, upto)
        steps = rp.replay(self.kernel, enc.layout.boundaries, moves, enc.layout.signals.late_cld)
        ids = [0]
        for _, st in steps:
            self.states.append(st)
            self.parents.append(ids[-1])
            ids.append(len(self.states) - 1)
        return ids, steps

    def run(self, path: list, found: list, results: dict) -> None:
        """A concrete execution (`_simulate`) joins the chains; each violation found in it is
        decided with its place in it as the witness."""
        ids = [0]
        for _, _, nxt in path:
            self.states.append(nxt)
            self.parents.append(ids[-1])
            ids.append(len(self.states) - 1)
        now = time.perf_counter()
        for c, at, step in found:
            self.decided_at.setdefault(c.name, now)
            self.by_random_run.append(c.name)
            results[c.name] = CheckResult(c, VIOLATED, Witness(ids[at], path[at][1]) if step else Witness(ids[at]))

    def violation(self, c: Check, enc: Encoder, model, upto: int, how: str) -> CheckResult:
        try:
            ids, steps = self._add(enc, model, upto, c.name)
            if how == "deadlock":
                last = self.states[ids[-1]]
                if self.kernel.successors(last) or self.kernel.is_terminated(last):
                    raise ReplayError("the replayed state is not stuck")
                return CheckResult(c, VIOLATED, Witness(ids[-1]))
            if c.kind == "invariant":
                for i in ids:
                    if not c.state_ok(self.states[i]):
                        return CheckResult(c, VIOLATED, Witness(i))
                raise ReplayError("no replayed state violates it")
            for i, (sid, nid) in enumerate(zip(ids, ids[1:])):
                state, (action, nxt) = self.states[sid], steps[i]
                if not c.step_ok(state, action, nxt):
                    succ = self.kernel.successors(state)
                    k = next(j for j, (a, n) in enumerate(succ) if a == action and n == nxt)
                    del self.states[nid:], self.parents[nid:]
                    return CheckResult(c, VIOLATED, Witness(sid, k))
            raise ReplayError("no replayed step violates it")
        except ReplayError as e:
            return CheckResult(c, INCONCLUSIVE, None, f"the Z3 counterexample did not replay: {e}")

    def final(self, c: Check, enc: Encoder, model, k: int) -> CheckResult:
        try:
            ids, _ = self._add(enc, model, k, c.name)
            last = self.states[ids[-1]]
            if not self.kernel.is_terminated(last):
                raise ReplayError("the replayed execution does not terminate")
            ok = bool(c.final(last))
            if (c.kind == "forall" and ok) or (c.kind != "forall" and not ok):
                raise ReplayError("the replayed outcome does not decide the expectation")
            self.finals.append(ids[-1])
            verdict = HOLDS if c.kind == "exists" else VIOLATED
            return CheckResult(c, verdict, Witness(ids[-1]))
        except ReplayError as e:
            return CheckResult(c, INCONCLUSIVE, None, f"the Z3 witness did not replay: {e}")


def _finish(results, chain: _Chains, figures: Figures, start: float, cut: str) -> Exploration:
    complete = (figures.threshold is not None or figures.proof == "k-induction") and not cut
    stats = Stats(generated=len(chain.states), distinct=len(chain.states), depth=figures.bound,
                  seconds=time.perf_counter() - start, terminated=figures.outcomes or 0,
                  complete=complete, cut=cut)
    stats.engine = "z3"
    figures.statistics["decided_at"] = {n: round(t - start, 4) for n, t in chain.decided_at.items()}
    figures.statistics["found_by_random_run"] = chain.by_random_run
    stats.solver = figures
    return Exploration(results, stats, chain.states, chain.parents, chain.finals)
