"""Pid symmetry: states that differ only in how processes are numbered are one state.

When it is sound. Renaming processes is harmless exactly when nothing can tell two
numberings apart. The kernel itself looks at pid values in three places: `wait`
and `waitpid(-1)` reap the *oldest* (lowest-pid) zombie child, a new process gets
`next_pid` (larger than every pid so far), and init treats the first process
(`FIRST_PID`) as the shell's child. So a renaming `g` is a symmetry of the
transition system when it fixes init and the first process, keeps every pid
below `next_pid` and above `FIRST_PID`, and keeps the pid order among the children
of each parent. Init's children keep their order as well; and `eager_reap` must be
on, so that init reaps every zombie child within the step that made it and a
process adopted by init is never compared by pid with its new siblings. The
program must not be able to tell either:

* a pid value (the result of fork, vfork, getpid, getppid, getpgrp, wait,
  waitpid) may be copied into a temporary or a variable, and used only in a
  comparison with a constant no renamed pid can equal (at most `FIRST_PID`, so
  0, -1 and 1 are fine) or as a truth value. It may not reach an output, an
  argument, arithmetic, a pointer, or a return value. Values left in memory are
  not renamed: no use the program makes of them can see the difference.
* `waitpid`'s pid argument is a constant of at most `FIRST_PID`;
* every library call is one whose pid behaviour is known (an unknown call refuses);
* fault injection is off, and `eager_reap` is on;
* every check looks at pids only through equality (the spec's outcome checks
  see no pids at all; properties are vetted by `property_sees_pids`).

Canonical form. Number the processes in depth-first order of the process tree,
children in pid order (the order a renaming must keep), roots likewise: the first
process keeps `FIRST_PID`, the rest get `FIRST_PID + 1, ...`. Two states in one
orbit have the same ordered tree, so they get the same numbering. Process records
are renamed field by field; a state holding a pid-like number in a field this
module does not know (one added to `State` or `Proc` later) is left as it is,
which is always sound (only less reduced). Page frames are renumbered afterwards.

When no one can read a child's exit status (every wait/waitpid passes NULL, no
check mentions a status), siblings are interchangeable as well: wait reaps *some*
zombie child, and once the statuses of zombies other than the first process are
set to 0 (an abstraction of data nothing reads) all zombie children of a parent
look alike. Children are then ordered by a hash of their subtree's content.

Path counts stay exact: by symmetry every state of an orbit has the same number of
transitions into each other orbit, so counting paths over orbits, with one edge per
transition, counts the same paths as the unreduced search.
"""
from __future__ import annotations

import zlib

from forkspec import ir
from forkspec.kernel.state import FIRST_PID, INIT_PID, ZOMBIE, Proc, State
from forkspec.kernel.step import canonical_memory

PID_SOURCES = frozenset({"fork", "vfork", "getpid", "getppid", "getpgrp", "wait", "waitpid"})
# Library calls known to neither read nor produce pids beyond PID_SOURCES (waitpid's
# first argument is checked separately). A call not listed here refuses symmetry.
PID_BLIND = frozenset({
    "fork", "vfork", "getpid", "getppid", "getpgrp", "wait", "waitpid", "_exit", "_Exit", "abort", "assert",
    "atexit", "__exit_begin", "__atexit_pop", "__flush_all", "sleep", "usleep", "sched_yield", "pause", "mmap",
    "write", "printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc", "perror", "fflush", "setvbuf",
    "setbuf",
    "pthread_exit", "__atfork_next",  # in the routines every program carries (a thread's end, pthread_atfork's handlers)
})
# Library calls that may be given a pid but only test it against 0 (the routine fork runs pthread_atfork handlers with).
PID_TESTED = frozenset({"__atfork_next"})
COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})
TRUTH_TESTS = frozenset({"!", "!!"})
# Proc fields this module renames or knows to hold no pid.
PID_FIELDS = ("pid", "ppid", "vfork_child", "vfork_parent")
KNOWN_PROC_FIELDS = frozenset(PID_FIELDS + (
    "pgid", "state", "status", "stack", "ptes", "out", "err", "atexit", "exit_plan", "pending", "mmap_next"))
KNOWN_STATE_FIELDS = frozenset({"procs", "mem", "stdout", "stderr", "next_pid", "first_status"})
# Property names that carry pids: a property using one may compare pids with
# constants or order them, so symmetry is refused unless the property is vetted.
PID_NAMES = frozenset({"pid", "ppid", "pgid", "child", "parent", "old", "pfn"})
EQUIVARIANT_PROPERTIES = frozenset({"pid-unique", "orphans-reparented"})  # pids compared only with each other for equality


def _const_int(e) -> int | None:
    """The value of a constant integer expression (`-1` is a negation of 1), else None."""
    while isinstance(e, ir.Wrap):
        e = e.operand
    if isinstance(e, ir.UnOp) and e.op == "-":
        v = _const_int(e.operand)
        return None if v is None else -v
    return e.value if isinstance(e, ir.Const) and isinstance(e.value, int) else None


def _constants(node):
    """Integer constants anywhere in an instruction or expression."""
    if isinstance(node, ir.Const):
        if isinstance(node.value, int):
            yield node.value
        return
    if isinstance(node, tuple):
        for x in node:
            yield from _constants(x)
        return
    for name in getattr(node, "__slots__", ()):
        v = getattr(node, name, None)
        if isinstance(v, (tuple,)) or hasattr(v, "__slots__"):
            yield from _constants(v)


def _small_const(e) -> bool:
    v = _const_int(e)
    return v is not None and v <= FIRST_PID


class _Analysis:
    """Which temporaries and variables may hold pids, and whether every use of them is blind to renaming."""

    def __init__(self, program: ir.Program):
        self.program = program
        self.temps: set = set()  # (function index, temp)
        self.cells: set = set()  # ("global", slot) or (function index, slot)
        self.returning: set = set()  # functions that may return a pid (fork's wrapper that runs pthread_atfork handlers)
        self.why = ""

    def cell_key(self, f: int, c: ir.Cell):
        return ("global", c.slot) if c.region == "global" else (f, c.slot)

    def is_pid(self, f: int, e) -> bool:
        while isinstance(e, ir.Wrap):
            e = e.operand
        if isinstance(e, ir.Temp):
            return (f, e.index) in self.temps
        if isinstance(e, ir.Cell):
            return self.cell_key(f, e) in self.cells
        return False

    def propagate(self) -> None:
        changed = True
        while changed:
            changed = False
            for f, fn in enumerate(self.program.functions):
                for ins in fn.body:
                    new = None
                    if isinstance(ins, ir.Builtin) and ins.dst is not None and ins.name in PID_SOURCES:
                        new = (self.temps, (f, ins.dst))
                    elif isinstance(ins, ir.SetTemp) and self.is_pid(f, ins.value):
                        new = (self.temps, (f, ins.dst))
                    elif isinstance(ins, ir.Store) and isinstance(ins.target, ir.Cell) and self.is_pid(f, ins.value):
                        new = (self.cells, self.cell_key(f, ins.target))
                    elif isinstance(ins, ir.Return) and ins.value is not None and self.is_pid(f, ins.value):
                        new = (self.returning, f)
                    elif isinstance(ins, ir.Call) and isinstance(ins.func, int) and ins.func in self.returning \
                            and ins.dst is not None:
                        new = (self.temps, (f, ins.dst))
                    if new is not None and new[1] not in new[0]:
                        new[0].add(new[1])
                        changed = True

    def blind(self, f: int, e) -> bool:
        """Is expression `e` blind to the pid values it may contain?"""
        if self.is_pid(f, e):
            return False
        if isinstance(e, ir.BinOp):
            if e.op in COMPARISONS:
                if self.is_pid(f, e.left) and _small_const(e.right):
                    return True
                if self.is_pid(f, e.right) and _small_const(e.left):
                    return True
            return self.blind(f, e.left) and self.blind(f, e.right)
        if isinstance(e, ir.UnOp):
            return (e.op in TRUTH_TESTS and self.is_pid(f, e.operand)) or self.blind(f, e.operand)
        if isinstance(e, ir.AddrOf):
            return self.cell_key(f, e.cell) not in self.cells
        if isinstance(e, ir.Deref):
            return self.blind(f, e.addr)
        if isinstance(e, ir.Wrap):
            return self.blind(f, e.operand)
        if isinstance(e, ir.Cond):
            return self.truth(f, e.cond) and self.blind(f, e.then) and self.blind(f, e.other)
        if isinstance(e, ir.StrIndex):
            return self.blind(f, e.string) and self.blind(f, e.index)
        return True

    def truth(self, f: int, e) -> bool:
        return self.is_pid(f, e) or self.blind(f, e)

    def instruction_ok(self, f: int, ins) -> str:
        if isinstance(ins, ir.Branch):
            return "" if self.truth(f, ins.cond) else "a pid is used in a condition other than a comparison with 0, -1 or 1"
        if isinstance(ins, ir.SetTemp):
            return "" if self.is_pid(f, ins.value) or self.blind(f, ins.value) else "a pid is computed with"
        if isinstance(ins, ir.Store):
            if isinstance(ins.target, ir.Deref):
                if self.is_pid(f, ins.value) or not self.blind(f, ins.value) or not self.blind(f, ins.target.addr):
                    return "a pid is stored through a pointer"
                return ""
            if self.is_pid(f, ins.value):
                return ""
            if not self.blind(f, ins.value):
                return "a pid is computed with"
            if self.cell_key(f, ins.target) in self.cells and not _small_const(ins.value):
                return "a variable holds both pids and other numbers"
            return ""
        if isinstance(ins, ir.Builtin):
            if ins.name not in PID_BLIND:
                return f"{ins.name}() is not known to ignore pids"
            args = ins.args
            if ins.name in PID_TESTED:
                args = tuple(a for a in args if not self.is_pid(f, a))
            if ins.name == "waitpid":
                if not _small_const(args[0]):
                    return "waitpid() is given a pid"
                args = args[1:]
            return "" if all(self.blind(f, a) for a in args) else f"a pid reaches {ins.name}()"
        if isinstance(ins, ir.Call):
            exprs = ins.args + (() if isinstance(ins.func, int) else (ins.func,))
            return "" if all(self.blind(f, a) for a in exprs) else "a pid is passed to a function"
        if isinstance(ins, ir.Return):
            if ins.value is not None and self.is_pid(f, ins.value):  # only to direct callers, which are checked
                return "" if f not in self.address_taken() else "a pid is returned through a function pointer"
            return "" if ins.value is None or self.blind(f, ins.value) else "a pid is returned"
        if isinstance(ins, ir.StoreChar):
            ok = all(self.blind(f, x) for x in (ins.index, ins.value)) and (
                not isinstance(ins.target, ir.Deref) or self.blind(f, ins.target.addr))
            return "" if ok else "a pid is stored into a string"
        if isinstance(ins, ir.Jump):
            return ""
        return f"an instruction this analysis does not know ({type(ins).__name__})"

    def address_taken(self) -> set[int]:
        if not hasattr(self, "_taken"):
            self._taken = set(address_taken(self.program))
        return self._taken

    def run(self) -> str:
        self.propagate()
        for f, fn in enumerate(self.program.functions):
            for ins in fn.body:
                why = self.instruction_ok(f, ins)
                if why:
                    line = ins.loc.line
                    return f"{why} (line {line})" if line else why
        return ""


def address_taken(program: ir.Program) -> list[int]:
    """Functions whose address appears as a constant (atexit handlers, function pointers), in order."""
    n, out = len(program.functions), set()
    for fn in program.functions:
        for ins in fn.body:
            for v in _constants(ins):
                k, r = divmod(v - ir.FUNC_BASE, ir.FUNC_STRIDE)
                if r == 0 and 0 <= k < n:
                    out.add(k)
    return sorted(out)


def statuses_read(program: ir.Program) -> bool:
    """Can the program read a child's exit status? (Only through a non-NULL status argument of wait/waitpid.)"""
    for fn in program.functions:
        for ins in fn.body:
            if isinstance(ins, ir.Builtin) and ins.name in ("wait", "waitpid"):
                if _const_int(ins.args[0] if ins.name == "wait" else ins.args[1]) != 0:
                    return True
    return False


def siblings_interchangeable(program: ir.Program, properties: dict[str, str]) -> bool:
    """May children of one parent be reordered? Yes when no one reads their exit statuses (see `PidSymmetry`)."""
    import re

    return not statuses_read(program) and not any(
        "status" in re.findall(r"[A-Za-z_]+", text) for text in properties.values())


def program_refusal(program: ir.Program) -> str:
    """Why pid symmetry is unsound for this program, or '' when it is sound."""
    return _Analysis(program).run()


def refusal(program: ir.Program, eager_reap: bool, inject, properties: dict[str, str]) -> str:
    """Why pid symmetry may not be used for this run ('' when it may); `properties` maps names to conditions."""
    if not eager_reap:
        return "init's reaping is not immediate"
    if inject:
        return "faults are injected"
    for name, text in properties.items():
        if property_sees_pids(name, text):
            return f"property {name} looks at pids"
    return program_refusal(program)


def property_sees_pids(name: str, condition_text: str) -> bool:
    """Could this property tell two numberings apart?

    A pid-valued name (pid, ppid, pgid, an event's child/parent/old) may appear only in
    `==`/`!=` against a constant no renamed pid can equal (at most FIRST_PID, e.g. init's
    1); frame numbers (pfn) never. Vetted library properties compare pids only with each
    other for equality."""
    import ast

    if name in EQUIVARIANT_PROPERTIES:
        return False
    try:
        tree = ast.parse(condition_text, mode="eval")
    except SyntaxError:
        return True
    parent_of = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        ident = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if ident not in PID_NAMES:
            continue
        cmp = parent_of.get(node)
        if ident != "pfn" and isinstance(cmp, ast.Compare) and len(cmp.ops) == 1 and \
                isinstance(cmp.ops[0], (ast.Eq, ast.NotEq)):
            other = cmp.comparators[0] if cmp.left is node else cmp.left
            if isinstance(other, ast.Constant) and type(other.value) is int and other.value <= FIRST_PID:
                continue
        return True
    return False


def _holds_pid_like(value, lo: int, hi: int) -> bool:
    """Does `value` (nested tuples) contain an integer in [lo, hi)?"""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return lo <= value < hi
    if isinstance(value, tuple):
        return any(_holds_pid_like(v, lo, hi) for v in value)
    return False


class PidSymmetry:
    """The canonicalising function of a sound pid symmetry (see the module docstring).

    With `interchangeable_siblings` (no one can read a child's exit status: every
    wait/waitpid passes NULL and no check looks at statuses) the order among siblings
    stops mattering too: wait reaps *some* zombie child, and zombies other than the
    first process differ in nothing anyone can see once their statuses are set to 0.
    Children are then ordered by a hash of their whole subtree's content, not by age,
    which merges the states that differ only in which of two look-alike processes got
    ahead. A tie between different subtrees only costs reduction, never soundness: any
    order is a symmetry then.
    """

    def __init__(self, proc_type=Proc, state_type=State, interchangeable_siblings: bool = False):
        self.unknown_proc = tuple(f for f in proc_type._fields if f not in KNOWN_PROC_FIELDS)
        self.unknown_state = tuple(f for f in state_type._fields if f not in KNOWN_STATE_FIELDS)
        self.free = interchangeable_siblings
        known = [f for f in proc_type._fields if f in KNOWN_PROC_FIELDS]
        # the unknown fields as one slice of the record, when they all come after the known ones
        self.tail = len(known) if proc_type._fields[:len(known)] == tuple(known) else None
        self.default_tails = ()
        if self.tail is not None:
            defaults = tuple(proc_type._field_defaults.get(f) for f in proc_type._fields[self.tail:])
            self.default_tails = (defaults, (((),) + defaults[1:]))  # a running process's, a zombie's (no fds)
        self.tails_clear: dict = {}  # unknown-field values -> holds no integer that could be a renamed pid
        self.content_ids: dict = {}  # subtree content -> its CRC (an order the same in every run and process)
        self.refused = 0  # states left as they were because a field this module does not know holds a pid-like value

    def __call__(self, state: State) -> State:
        if self.free:
            state = _statuses_cleared(state)
        mapping = self.mapping(state)
        return state if mapping is None else rename(state, mapping)

    def with_mapping(self, state: State) -> tuple[State, dict[int, int] | None]:
        """The representative and the renaming that gives it (None: no pid changes)."""
        if self.free:
            state = _statuses_cleared(state)
        mapping = self.mapping(state)
        return (state if mapping is None else rename(state, mapping)), mapping

    def mapping(self, state: State) -> dict[int, int] | None:
        """The renaming (old pid -> new pid) to the canonical numbering; None when it is the identity or refused."""
        if self.free:
            state = _statuses_cleared(state)
        procs = state.procs
        kids: dict[int, list[int]] = {}
        get = kids.get
        for p in procs:  # procs are sorted by pid, so each list is in pid order
            if p[2] != FIRST_PID:  # pgid
                return None
            siblings = get(p[1])  # ppid
            if siblings is None:
                kids[p[1]] = [p[0]]
            else:
                siblings.append(p[0])
        if self.free and any(len(v) > 1 for v in kids.values()):
            _order_by_content(state, kids, self.content_ids)
        order: list[int] = []
        todo = get(INIT_PID, [])[::-1]
        while todo:
            pid = todo.pop()
            order.append(pid)
            children = get(pid)
            if children:
                todo.extend(children[::-1])
        if len(order) != len(procs):
            return None  # a parent outside the table other than init: leave it
        new = [FIRST_PID + 1 + i for i in range(len(order))]
        if order and order[0] == FIRST_PID:  # the first process keeps its pid
            new = [FIRST_PID] + new[:-1]
        if order == new:
            return None
        if (self.unknown_state or self.unknown_proc) and not self._unknown_fields_clear(state):
            self.refused += 1
            return None
        return dict(zip(order, new))

    def _unknown_fields_clear(self, state: State) -> bool:
        lo, hi = FIRST_PID + 1, state.next_pid
        extra = tuple(getattr(state, f) for f in self.unknown_state)
        clear = self.tails_clear.get(extra)
        if clear is None:
            clear = self.tails_clear[extra] = not _holds_pid_like(extra, lo, 1 << 62)
        if not clear and _holds_pid_like(extra, lo, hi):
            return False
        if self.tail is None:
            return not any(_holds_pid_like(getattr(p, f), lo, hi) for p in state.procs for f in self.unknown_proc)
        memo, k = self.tails_clear, self.tail
        defaults = self.default_tails
        for p in state.procs:
            tail = p[k:]
            if tail in defaults:  # compared item by item, identical objects first: no hashing
                continue
            clear = memo.get(tail)
            if clear is None:  # records repeat a lot: decide each distinct tail once, for every bound
                clear = memo[tail] = not _holds_pid_like(tail, lo, 1 << 62)
                if len(memo) > 50_000:
                    memo.clear()
            if not clear and _holds_pid_like(tail, lo, hi):
                return False
        return True


def _statuses_cleared(state: State) -> State:
    """Exit statuses of zombies no one can read (all but the first process's) set to 0."""
    if not any(p.status and p.state == ZOMBIE and p.pid != FIRST_PID for p in state.procs):
        return state
    return state._replace(procs=tuple(p._replace(status=0) if p.status and p.state == ZOMBIE and p.pid != FIRST_PID
                                      else p for p in state.procs))


def _order_by_content(state: State, kids: dict[int, list[int]], ids: dict) -> None:
    """Sort each parent's children (in place) by their subtree: content without pids, pages by content.

    Subtrees are keyed by a CRC of their text (cached in `ids`), not by `hash`, whose value
    for strings changes from run to run: the representatives, and so the figures, are the
    same in every run and in every worker process. The first process stays first among init's children: it is the shell's child."""
    mem = state.mem
    by_pid = {p.pid: p for p in state.procs}
    memo: dict[int, int] = {}

    def subtree(pid: int) -> int:
        h = memo.get(pid)
        if h is None:
            p = by_pid[pid]
            content = p._replace(pid=0, ppid=0, vfork_child=bool(p.vfork_child), vfork_parent=bool(p.vfork_parent),
                                 ptes=tuple((vpn, fl, mem[pfn]) for vpn, pfn, fl in p.ptes))
            key = (content, tuple(sorted(subtree(c) for c in kids.get(pid, ()))))
            h = ids.get(key)
            if h is None:
                h = ids[key] = zlib.crc32(repr(key).encode())
                if len(ids) > 200_000:
                    ids.clear()
            memo[pid] = h
        return h

    for parent, children in kids.items():
        if len(children) > 1:
            head = [FIRST_PID] if parent == INIT_PID and children[0] == FIRST_PID else []
            rest = children[len(head):]
            rest.sort(key=lambda c: (subtree(c), c))
            children[:] = head + rest


def rename(state: State, mapping: dict[int, int]) -> State:
    """The state with processes renumbered by `mapping` (pids it does not name are kept), frames renumbered."""
    renamed = [_renamed(p, mapping.get) for p in state.procs]
    if all(a.pid < b.pid for a, b in zip(renamed, renamed[1:])):
        # the order of the processes is kept, so the frames (numbered in order of first use) are too
        return state._replace(procs=tuple(renamed))
    renamed.sort(key=_pid)
    procs, mem = canonical_memory(tuple(renamed), state.mem)
    return state._replace(procs=procs, mem=mem)


def _renamed(p: Proc, get) -> Proc:
    """One record renumbered; the record itself when no pid in it changes (interned parts stay shared)."""
    new = (get(p.pid, p.pid), get(p.ppid, p.ppid), get(p.vfork_child, p.vfork_child), get(p.vfork_parent, p.vfork_parent))
    if new == (p.pid, p.ppid, p.vfork_child, p.vfork_parent):
        return p
    return p._replace(pid=new[0], ppid=new[1], vfork_child=new[2], vfork_parent=new[3])


def _pid(p: Proc) -> int:
    return p.pid
