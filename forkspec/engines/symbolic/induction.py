"""k-induction: a proof that a check holds in executions of any length, for programs with
no completeness threshold (a spin loop, a WNOHANG poll, a retry loop).

Which checks: those whose violation is a predicate of one state or of one step, which is
every check `bmc` watches: an `assert` (an event of a step), all-reaped and the other
event properties, no-deadlock (a state: nothing enabled, not terminated),
orphans-reparented and no-orphaned-stopped-group (states). Expectations on outcomes
(`forall`, `exists`) speak of terminated executions as a whole and are left to the
completeness threshold.

Write B_j for "step j violates one of the checks S, or leaves the encoding" (the frame
after it has `oob`: more processes than slots, a full buffer). The step case for k
unrolls k steps from a *free* frame (every state variable a fresh constant) and asks
for lemma-respecting frames 0..k-1 that are pairwise distinct, with no B_j for j < k-1
and B_{k-1}. Unsatisfiable, together with the base case (bounded model checking found
no B_j for j < k-1 from the initial state), proves that no execution ever has a B_j:
take an execution whose first B is at the least index N; it may be taken canonical
(`Encoder.canonical_order` swaps keep its length and every step's events, and a
violation moved earlier contradicts N's minimality) and its frames before step N
distinct (a repeated frame cuts out a loop and moves the violation earlier), so its
last k steps would satisfy the step case. The distinctness ignores the output strings:
the bit-vector tactic cannot reason about a string, so an answer from it means no
constraint reads one, and the rest of the frame alone decides the future.

The lemmas are invariants of the encoding computed first: the abstract states, each a
control (every slot's state and location) with, for each other variable, the few values
it takes there. They start from the initial frame and grow until one step from any
frame within them stays within them (each query's model names a new control or the
values to add; a variable that takes too many values in one control is left free
there). They hold in every reachable frame because they hold initially and are closed
under a step; without a fixed point in time there is no lemma (every frame allowed).
A step-case model is not a counterexample (its first frame need not be reachable): it
only means "not k-inductive", and a larger k is tried, up to a bound; then the check
stays inconclusive.
"""
from __future__ import annotations

import time

import z3

from forkspec.engines.symbolic import diameter
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.engines.symbolic.unroll import Encoder, _fresh

VALUES = 8  # the most values a lemma lists for a data variable in one control
CONTROLS = 400  # the most controls (every slot's state and location) the lemma lists
ROUNDS = 1000  # lemma queries: without a fixed point after them, no lemma
QUERY_MS = 20_000  # each step-case or lemma query (an unanswered one proves nothing)


def _solver(timeout_ms: int) -> z3.Solver:
    s = z3.Then('simplify', 'solve-eqs', 'bit-blast', 'sat').solver()
    s.set("timeout", timeout_ms)
    return s


class Induction:
    """The step case of k-induction over one unrolling from a free frame, extended a step at
    a time (earlier steps are never re-encoded)."""

    def __init__(self, program, config, slots: int, initial: dict, timeout_ms: int = QUERY_MS):
        self.enc = Encoder(program, config, slots)
        first = self.enc.frames[0]
        odd = [n for n, v in first.items() if isinstance(v, z3.ExprRef)
               and not isinstance(v, (z3.BitVecRef, z3.BoolRef, z3.SeqRef, z3.ArithRef))]
        if odd:
            raise NotEncoded(f"a state variable of sort {first[odd[0]].sort()} left free", limit=True)
        self.state = [n for n, v in first.items() if isinstance(v, z3.ExprRef) and not isinstance(v, z3.SeqRef)]
        self.enc.frames[0] = {n: _fresh(n, "free", v) if isinstance(v, z3.ExprRef) else v for n, v in first.items()}
        self.enc.values[0] = {n: None for n in first}  # a free frame: any value (`Encoder.might_be`)
        self.initial = initial
        self.timeout_ms = timeout_ms
        self.solver = _solver(timeout_ms)
        self.control = [n for n in self.state if n[0] in ("st", "loc")]
        self.lemma = None  # control -> {variable: its values, None if free}
        self._terms: dict = {}  # (frame, control) -> the frame within that control's sets
        self.seconds = 0.0
        self.queries = 0

    # ------------------------------------------------------------------ lemmas

    def _control(self, frame: dict) -> list:
        return [frame[n] for n in self.control]



    def _within(self, frame: dict):
        """The frame is one of the abstract states: a known control (every slot's state and
        location) and each other variable within that control's set of values."""
        return z3.Or([self._member(frame, c) for c in self.lemma])

    def _member(self, frame: dict, c: tuple):
        key = (id(frame), c)
        if key not in self._terms:
            eq = [x == v for x, v in zip(self._control(frame), c)]
            eq += [frame[n] == next(iter(vals)) if len(vals) == 1 else z3.Or([frame[n] == v for v in vals])
                   for n, vals in self.lemma[c].items() if vals is not None]
            self._terms[key] = z3.And(eq)
        return self._terms[key]

    def _compute_lemmas(self, step0: list) -> None:
        """The abstract states, grown to a fixed point of one step (see the module docstring).
        Without a fixed point in time (too many controls or rounds, a solver unknown), the
        lemma says nothing: `self.lemma` is None and every frame is allowed."""
        f0, f1 = self.enc.frames[0], self.enc.frames[1]
        data = [n for n in self.state if n not in self.control]
        init = {n: z3.simplify(self.initial[n]) for n in self.state}
        self.lemma = {tuple(z3.simplify(init[n]) for n in self.control): {n: {init[n]} for n in data}}
        # one incremental solver: each membership is a literal defined once, each round's
        # question an assumption, so what the solver learnt about the step carries over
        s = z3.SolverFor("QF_BV")
        s.set("timeout", self.timeout_ms)
        s.add(*step0)
        literals: dict = {}
        for r in range(ROUNDS):
            ins = []
            for f in (f0, f1):
                for c in self.lemma:
                    term = self._member(f, c)
                    if term.get_id() not in literals:  # the term is kept with it: its id is never reused
                        literals[term.get_id()] = (term, z3.Bool(f"within{len(literals)}"))
                        s.add(literals[term.get_id()][1] == term)
                    ins.append((f, literals[term.get_id()][1]))
            ask = z3.Bool(f"round{r}")
            s.add(z3.Implies(ask, z3.And(z3.Or([b for f, b in ins if f is f0]),
                                         z3.Not(z3.Or([b for f, b in ins if f is f1])))))
            answer = self._check(s, ask)
            if answer == z3.unsat:
                return
            if answer == z3.unknown or len(self.lemma) > CONTROLS:
                break
            model = s.model()
            c = tuple(model.eval(x, model_completion=True) for x in self._control(f1))
            key = next((k for k in self.lemma if all(a.eq(b) for a, b in zip(k, c))), None)
            values = {n: model.eval(f1[n], model_completion=True) for n in data}
            if key is None:
                self.lemma[c] = {n: {v} for n, v in values.items()}
                continue
            sets = self.lemma[key]
            self._terms = {k: t for k, t in self._terms.items() if k[1] is not key}
            for n, v in values.items():
                if sets[n] is not None and not any(v.eq(x) for x in sets[n]):
                    sets[n].add(v)
                    if len(sets[n]) > VALUES:
                        sets[n] = None
        self.lemma = None

    def _check(self, s: z3.Solver, *assumptions):
        t = time.perf_counter()
        answer = s.check(*assumptions)
        self.seconds += time.perf_counter() - t
        self.queries += 1
        return answer

    # ------------------------------------------------------------------ step case

    def _extend(self) -> None:
        t = len(self.enc.steps)
        cons = self.enc.unroll()
        if t == 0:
            self._compute_lemmas(cons)
        self.solver.add(*cons)
        if self.lemma is not None:
            self.solver.add(*[self._within(self.enc.frames[i]) for i in ((0, 1) if t == 0 else (t + 1,))])
        cur = self.enc.frames[t]
        for i in range(t):  # frames before the last step pairwise distinct
            other = self.enc.frames[i]
            self.solver.add(z3.Or(diameter.unequal(cur, other, self.state) or [z3.BoolVal(False)]))

    def prove(self, pending: list, term, k: int) -> list:
        """The checks of `pending` ([(check, how)]) whose conjunction with staying within the
        encoding is k-inductive (`term(enc, how, j)`: the check's violation at step j). The
        caller has the base case: no violation before step k-1 from the initial state. A
        model of the step case drops the checks it violates (they are not k-inductive
        together with the rest) and the question is asked again for the others."""
        while len(self.enc.steps) < k:
            self._extend()
        j = k - 1
        oob = [self.enc.frames[i][("oob",)] for i in range(k + 1)]
        S = list(pending)
        while S:
            self.solver.push()
            try:
                self.solver.add(z3.Not(oob[0]))
                for i in range(j):
                    self.solver.add(z3.Not(oob[i + 1]), *[z3.Not(term(self.enc, how, i)) for _, how in S])
                last = {c.name: term(self.enc, how, j) for c, how in S}
                self.solver.add(z3.Or(oob[j + 1], *last.values()))
                answer = self._check(self.solver)
                if answer == z3.unsat:
                    return [c for c, _ in S]
                if answer == z3.unknown:
                    return []
                model = self.solver.model()
                if z3.is_true(model.eval(oob[j + 1], model_completion=True)):
                    return []
                S = [(c, how) for c, how in S if not z3.is_true(model.eval(last[c.name], model_completion=True))]
            finally:
                self.solver.pop()
        return []


__all__ = ["Induction"]
