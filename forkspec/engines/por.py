"""Partial-order reduction: persistent sets of processes, computed from what each step touches.

In a state, a set `P` of processes is *persistent* when no sequence of steps of the
other processes (and of the processes they create) can contain a step that is
dependent with a step of `P` before some process of `P` moves. Exploring only the
steps of `P` then keeps every reachable dead state (terminated or deadlocked), so
every outcome and every deadlock is kept (Godefroid, LNCS 1032, thm. 4.3). Two
provisos keep the checks on the way: a set holding a *visible* step (an assert that
fails, a fork that reaches the process limit) is the whole enabled set, and a set one
of whose steps closes onto the current or an earlier BFS layer is expanded fully
(every cycle then holds a fully expanded state, so no step is postponed forever).

Where it applies (`refusal`): programs that use processes, wait and stdio only (no
signals, threads, fds beyond write, exec, vfork, shared memory); every wait/waitpid
waits for any child and blocks (pid -1 or 0, options 0); init reaps at once; the
checks are the program's asserts, outcome expectations and deadlock freedom (an
invariant or step property could observe any step, so it turns the reduction off).

What a step touches. Each process stops (after its merged local steps) at one
instruction; its next step is classified by that instruction: a fork, a wait, an
exit (_exit, abort), a write to stdout/stderr (write and every stdio call), getppid,
or local. Its *future* is every kind of step reachable from its call stack in the
program (a static over-approximation, `Futures`). Dependencies (`depends`):

* fork — with another process's fork, unless pid symmetry is on (two forks of
  different processes give states that differ only by swapping the two new pids, a
  symmetry: each new child is its parent's youngest either way). Process-limit
  effects are excluded by the visible-fork proviso: a fork that brings the count of
  processes created to the limit is visible, so the reduced search reaches such a
  state exactly when the full one does, and then it is started again without the
  reduction (`LimitReached`).
* write — with every other process that may still write (the streams' order).
* wait of q (reaps its lowest-pid zombie child z) — with the exit of a running child
  of q younger than... older than z (it would change which child is reaped); with
  no zombie it reports ECHILD, which no other process can change.
* exit of q — with its parent's waits, except when q is the youngest of its parent's
  unreaped children and the parent can fork no more (every wait the parent makes
  first reaps an older zombie, which q's exit does not change); with getppid of its
  children (they are adopted by init). Exits of a parent and a child commute (init
  reaps whatever is orphaned at once).
* getppid of q — with the exit of q's parent.
* local steps commute with everything.

A process outside `P` that is blocked (in wait) and may later take a dependent step
adds itself and its children (who alone can wake it) to `P`.
"""
from __future__ import annotations

from collections import Counter

from forkspec import ir
from forkspec.engines.symmetry import _const_int as _const, address_taken as _address_taken
from forkspec.kernel.state import EXITING, FIRST_PID, INIT_PID, ZOMBIE, State

FORK, WAIT, EXIT, WRITE, GETPPID, LOCAL, BLOCKED = "fork", "wait", "exit", "write", "getppid", "local", "blocked"
WRITE_CALLS = frozenset({"write", "printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc", "perror",
                         "fflush", "setvbuf", "setbuf", "__flush_all"})
KIND = {"fork": FORK, "wait": WAIT, "waitpid": WAIT, "_exit": EXIT, "_Exit": EXIT, "abort": EXIT,
        "getppid": GETPPID, "pause": BLOCKED, **{n: WRITE for n in WRITE_CALLS}}
LOCAL_CALLS = frozenset({"getpid", "getpgrp", "atexit", "__exit_begin", "__atexit_pop", "sleep", "usleep",
                         "sched_yield", "nondet_int", "assert", "malloc", "free",
                         "pthread_exit", "__atfork_next"})  # in routines every program carries, run only by threads/atfork
ALLOWED = frozenset(KIND) | LOCAL_CALLS
CHECK_KINDS = frozenset({"forall", "exists", "~exists", "deadlock"})


class LimitReached(Exception):
    """The search reached as many processes as the limit allows: forks may now fail, so they do not commute."""


def refusal(program: ir.Program, checks, config) -> str:
    """Why the reduction does not apply to this run ('' when it does)."""
    if not config.merge_local or not config.eager_reap:
        return "local steps are not merged or init's reaping is not immediate"
    if config.inject:
        return "faults are injected"
    for c in checks:
        if c.kind not in CHECK_KINDS and c.name != "assert":
            return f"{c.name} may observe any step"
    for f in _reachable(program):
        for ins in program.functions[f].body:
            if _may_crash(ins) and f != program.exit_routine:
                return f"a local step may crash (line {ins.loc.line}): its exit would be hidden in the step"
            if not isinstance(ins, ir.Builtin):
                continue
            if ins.name not in ALLOWED:
                return f"{ins.name}() is outside what the dependency relation knows (line {ins.loc.line})"
            if ins.name == "waitpid" and (_const(ins.args[0]) not in (-1, 0) or _const(ins.args[2]) != 0):
                return f"waitpid() does not wait for any child without options (line {ins.loc.line})"
    return ""


def _reachable(program: ir.Program) -> set[int]:
    """Functions main and the exit sequence may run (pointer calls reach every function whose address is taken)."""
    taken = _address_taken(program)
    seen, todo = set(), [program.main, program.exit_routine]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        for ins in program.functions[f].body:
            if isinstance(ins, ir.Call):
                todo.extend([ins.func] if isinstance(ins.func, int) else taken)
    return seen


def _may_crash(node) -> bool:
    """Could this instruction kill its process (a division, a pointer, a call through a pointer)?"""
    if isinstance(node, ir.Call) and not isinstance(node.func, int):
        return True
    if isinstance(node, ir.Deref):
        return True
    if isinstance(node, ir.BinOp) and node.op in ("/", "%") and not _const(node.right):
        return True
    if isinstance(node, tuple):
        return any(_may_crash(x) for x in node)
    for name in getattr(node, "__slots__", ()) or getattr(node, "__dataclass_fields__", ()):
        v = getattr(node, name, None)
        if isinstance(v, tuple) or hasattr(v, "__dataclass_fields__"):
            if _may_crash(v):
                return True
    return False


def output_chars(program: ir.Program) -> set | None:
    """Every character the program's output calls can write (to either stream), or None when unknown.

    Writes whose contents are runs of one same character commute (appending "x" then "xx"
    gives what "xx" then "x" gives), so when this is at most one character no two writes
    are dependent."""
    chars: set = set()

    def text(e) -> bool:
        while isinstance(e, ir.Wrap):
            e = e.operand
        if isinstance(e, ir.Const) and isinstance(e.value, str) and "%" not in e.value:
            chars.update(e.value.split("\0", 1)[0])
            return True
        return False

    def char(e) -> bool:
        v = _const(e)
        if v is None:
            return False
        chars.add(chr(v & 0xFF))
        return True

    for f in _reachable(program):
        for ins in program.functions[f].body:
            if not isinstance(ins, ir.Builtin) or ins.name not in WRITE_CALLS | {"assert"}:
                continue
            a = ins.args
            ok = {"printf": lambda: text(a[0]), "fprintf": lambda: text(a[1]), "fputs": lambda: text(a[0]),
                  "putchar": lambda: char(a[0]), "fputc": lambda: char(a[0]), "putc": lambda: char(a[0]),
                  "write": lambda: text(a[1]) and _const(a[2]) is not None and _const(a[2]) <= len(_const_str(a[1])),
                  "fflush": lambda: True, "setvbuf": lambda: True, "setbuf": lambda: True,
                  "__flush_all": lambda: True}.get(ins.name, lambda: False)()
            if not ok:
                return None
    return chars


def _const_str(e) -> str:
    while isinstance(e, ir.Wrap):
        e = e.operand
    return e.value


class Futures:
    """Per instruction: the kinds of steps a process at it may take from there on (calls followed)."""

    def __init__(self, program: ir.Program):
        self.program = program
        fns = program.functions
        taken = _address_taken(program)
        self.reach: list[list[frozenset]] = [[frozenset()] * len(fn.body) for fn in fns]
        summary = [frozenset()] * len(fns)
        changed = True
        while changed:  # a fixpoint over every function at once (recursion, pointer calls)
            changed = False
            pointer = frozenset().union(*(summary[f] for f in taken)) if taken else frozenset()
            for f, fn in enumerate(fns):
                reach = self.reach[f]
                for pc in range(len(fn.body) - 1, -1, -1):
                    ins = fn.body[pc]
                    kinds = set(reach[pc])
                    if isinstance(ins, ir.Builtin):
                        kinds.add(KIND.get(ins.name, LOCAL))
                    elif isinstance(ins, ir.Call):
                        kinds |= summary[ins.func] if isinstance(ins.func, int) else pointer
                    if not (isinstance(ins, ir.Call) and ins.func == program.exit_routine):  # exit() does not return
                        for nxt in _next(ins, pc, len(fn.body)):
                            kinds |= reach[nxt]
                    kinds = frozenset(kinds)
                    if kinds != reach[pc]:
                        reach[pc] = kinds
                        changed = True
                if fn.body and reach[0] != summary[f]:
                    summary[f] = reach[0]
                    changed = True
        # What every process may still do once main returns or exit() runs: the exit sequence.
        self.tail = summary[program.exit_routine] | {EXIT, WRITE}
        self.cache: dict = {}

    def of(self, p) -> frozenset:
        stack = p.stack
        hit = self.cache.get(id(stack))  # by identity: stored states share their stacks; the entry keeps it alive
        if hit is not None and hit[0] is stack:
            return hit[1]
        kinds = set(self.tail)
        for a in stack:
            reach = self.reach[a.func]
            if a.pc < len(reach):
                kinds |= reach[a.pc]
        got = frozenset(kinds)
        if len(self.cache) > 100_000:
            self.cache.clear()
        self.cache[id(stack)] = (stack, got)
        return got


def _next(ins, pc: int, n: int):
    if isinstance(ins, ir.Branch):
        return (ins.if_true, ins.if_false)
    if isinstance(ins, ir.Jump):
        return (ins.target,)
    if isinstance(ins, ir.Return):
        return ()
    return (pc + 1,) if pc + 1 < n else ()


class Reduction:
    """Chooses, in each state, the processes whose steps are explored (see the module docstring)."""

    def __init__(self, kernel, forks_commute: bool, siblings_alike: bool = False, sleep_sets: bool = True):
        self.kernel = kernel
        self.sleep_sets = sleep_sets  # the search also keeps sleep sets (`still_asleep`)
        self.context: tuple = (None,)  # (state, its records by pid, its children by parent) for `still_asleep`
        self.program = kernel.program
        self.futures = Futures(kernel.program)
        self.forks_commute = forks_commute
        self.siblings_alike = siblings_alike  # pid symmetry with interchangeable siblings: any zombie child is as good
        chars = output_chars(kernel.program)
        self.writes_commute = chars is not None and len(chars) <= 1
        self.limit = kernel.config.max_procs
        self.reduced = 0  # states expanded with fewer processes than were enabled
        self.shapes: dict = {}  # id of a process record -> (the record, its `shape`)
        self.chosen: dict = {}  # what `choose` reads of a state -> its answer

    def kind(self, p) -> tuple[str, bool, object]:
        """(kind of p's next step, can it fail an assert, the instruction)."""
        if p.pending:
            return WRITE, False, None
        if not p.stack:
            return LOCAL, False, None
        top = p.stack[-1]
        ins = self.program.functions[top.func].body[top.pc]
        if isinstance(ins, ir.Builtin):
            return KIND.get(ins.name, LOCAL), ins.name == "assert", ins
        return LOCAL, False, ins

    def shape(self, p) -> tuple:
        """All that `choose` reads of a process record: its pid and parent, whether it is a zombie or
        running or exiting, whether anything outside the reduction's scope is set (a signal, a thread,
        vfork, exec...), whether a write is pending, and where each of its frames is (which gives
        its next step's kind and its future). Remembered by the record's identity."""
        hit = self.shapes.get(id(p))
        if hit is not None and hit[0] is p:
            return hit[1]
        outside = bool(p.sigpending or p.alarm or p.cld_report or p.stopped or p.threads or p.vfork_child
                       or p.vfork_parent or p.image or p.handlers)
        got = (p.pid, p.ppid, p.state, outside, bool(p.pending), tuple((a.func, a.pc) for a in p.stack))
        if len(self.shapes) > 4096:  # the entries keep records alive: a few thousand recent ones are enough
            self.shapes.clear()
        self.shapes[id(p)] = (p, got)
        return got

    def choose(self, state: State):
        """The pids whose steps form a persistent set, or None for every process (full expansion).

        The answer is a function of the records' `shape`s and of whether one more fork reaches the
        process limit, so it is computed once per distinct such view: states that differ only in
        memory, output or exit statuses share it."""
        if state.next_pid - FIRST_PID >= self.limit:
            raise LimitReached(f"the search reached the process limit ({self.limit})")
        view = (state.next_pid - FIRST_PID + 1 >= self.limit, tuple(self.shape(p) for p in state.procs))
        if view in self.chosen:
            return self.chosen[view]
        got = self.persistent(state)
        if len(self.chosen) > 200_000:
            self.chosen.clear()
        self.chosen[view] = got
        return got

    def persistent(self, state: State):
        """`choose`, computed."""
        procs = state.procs
        info = {}
        children: dict[int, list] = {}
        for p in procs:
            if p.ppid == INIT_PID and p.state == ZOMBIE:
                return None  # init has a step (only without eager reaping)
            if p.state == ZOMBIE:
                children.setdefault(p.ppid, []).append(p)
                continue
            if p.sigpending or p.alarm or p.cld_report or p.stopped or p.threads or p.vfork_child or p.vfork_parent or \
                    p.state == EXITING or p.image or p.handlers:
                return None
            children.setdefault(p.ppid, []).append(p)
        for p in procs:
            if p.state == ZOMBIE:
                continue
            kind, may_assert, ins = self.kind(p)
            enabled = True
            if kind == WAIT:
                kids = children.get(p.pid, ())
                enabled = not kids or any(k.state == ZOMBIE for k in kids)
            elif kind == BLOCKED:
                enabled = False
            if enabled and may_assert:
                return None  # an assert: the step that fails it is visible (decided by the full expansion)
            if enabled and kind == FORK and state.next_pid - FIRST_PID + 1 >= self.limit:
                return None  # visible: this fork brings the processes created to the limit
            info[p.pid] = (p, kind, enabled, self.futures.of(p))
        enabled = [pid for pid, i in info.items() if i[2]]
        if len(enabled) <= 1:
            return None
        best = None
        for start in sorted(enabled, key=lambda pid: (info[pid][1] != LOCAL, -pid)):
            got = self.closure(start, info, children, len(enabled) if best is None else len(best))
            if got is not None and (best is None or len(got) < len(best)):
                best = got
                if len(best) == 1:
                    break
        if best is None or len(best) >= len(enabled):
            return None
        return tuple(best)

    @staticmethod
    def progress(state: State) -> int:
        """A measure no step lowers and every fork, exit and reap raises: 3 per process created,
        less 2 per running process and 1 per zombie. A step that raises it cannot be on a cycle,
        so the cycle proviso looks only at steps that keep it (see `bfs.explore`)."""
        running = zombies = 0
        for p in state.procs:
            if p.state == ZOMBIE:
                zombies += 1
            else:
                running += 1
        return 3 * state.next_pid - 2 * running - zombies

    def expand_fully(self, state: State, chosen, theirs: list) -> list:
        """Every successor of `state`, in the kernel's order, given `theirs`, the successors of the
        `chosen` processes: the other processes' steps are added. The kernel lists each process's
        steps together, in pid order (init's first, but `choose` picks no set while init has a
        step), so a stable sort by the mover's pid merges the two lists into that order."""
        others = {p.pid for p in state.procs} - set(chosen)
        both = list(theirs) + self.kernel.successors(state, others)
        return sorted(both, key=_mover)

    def asleep_after(self, state: State, succ: list, asleep: frozenset, maps: list) -> list[frozenset]:
        """Per successor of `state` explored in this order, the processes asleep in it, renamed by
        `maps` (the renaming that gives each successor's representative; None: none)."""
        single = Counter(a.pid for a, _ in succ)
        taken: list[int] = []  # movers with one step, explored before the current one
        out = []
        for (action, nxt), renaming in zip(succ, maps):
            covered = self.still_asleep(state, nxt, asleep.union(taken) if taken else asleep, action.pid)
            if covered and renaming:
                covered = frozenset(renaming.get(q, q) for q in covered)
            out.append(covered)
            if single[action.pid] == 1 and action.pid not in taken:
                taken.append(action.pid)
        return out

    def still_asleep(self, state: State, nxt: State, asleep, r: int) -> frozenset:
        """Sleep sets (Godefroid, LNCS 1032, ch. 5): of the processes `asleep` in `state` (their next step
        was explored from an earlier state, or from this one before r's), those still asleep after r's
        step to `nxt`: the ones whose next step commutes with r's (`depends`, asked for r's next step
        alone, either way round) and did not move in it. Taking such a step from `nxt` reaches only
        states an order already explored reaches."""
        if not asleep:
            return frozenset()
        if self.context[0] is not state:  # the successors of one state come one after another
            children: dict[int, list] = {}
            for p in state.procs:
                children.setdefault(p.ppid, []).append(p)
            self.context = (state, {p.pid: p for p in state.procs}, children)
        _, procs, children = self.context
        pr = procs.get(r)
        if pr is None or pr.state == ZOMBIE:
            return frozenset()
        after = {p.pid: p for p in nxt.procs}
        kr = self.kind(pr)[0]
        keep = []
        for q in asleep:
            pq, aq = procs.get(q), after.get(q)
            if q == r or pq is None or aq is None or aq.stack is not pq.stack or aq.state != pq.state \
                    or aq.pending != pq.pending:
                continue
            kq = self.kind(pq)[0]
            if not self.depends(pq, kq, pr, frozenset((kr,)), children) or \
                    not self.depends(pr, kr, pq, frozenset((kq,)), children):
                keep.append(q)
        return frozenset(keep)

    def closure(self, start: int, info: dict, children: dict, bound: int):
        """The enabled pids of the smallest persistent set grown from `start`; None past `bound` of them."""
        members = {start}
        todo = [start]
        steps = [start]
        while todo:
            q = todo.pop()
            p, kind, enabled, _ = info[q]
            if not enabled:  # blocked in wait: only its children can wake it
                adds = [c.pid for c in children.get(q, ()) if c.state != ZOMBIE]
            else:
                adds = [r for r, i in info.items() if r not in members and self.depends(p, kind, i[0], i[3], children)]
            for r in adds:
                if r in members:
                    continue
                members.add(r)
                todo.append(r)
                if info[r][2]:
                    steps.append(r)
                    if len(steps) >= bound:
                        return None
        return steps

    def depends(self, q, kind: str, r, future: frozenset, children: dict) -> bool:
        """May a step of r (or of a process r creates; `future` is what r may still do), before q moves,
        be dependent with q's next step?"""
        if kind == LOCAL:
            return False
        if kind == FORK:
            return not self.forks_commute and FORK in future
        if kind == WRITE:
            return not self.writes_commute and WRITE in future
        if kind == GETPPID:
            return r.pid == q.ppid
        if kind == WAIT:
            if r.ppid != q.pid or self.siblings_alike:
                return False
            zombies = [k.pid for k in children.get(q.pid, ()) if k.state == ZOMBIE]
            return not zombies or r.pid < min(zombies)
        if kind == EXIT:
            if r.ppid == q.pid:
                return GETPPID in future
            if r.pid != q.ppid or WAIT not in future or self.siblings_alike:
                return False
            if FORK in future:
                return True
            return any(k.pid > q.pid for k in children.get(r.pid, ()))
        return True


def _mover(successor) -> int:
    return successor[0].pid
