"""Dead-variable reduction: a local no execution will read again is stored as 0.

Two states that differ only in the value of a dead variable have the same futures
(the same steps, outputs, exit statuses and deadlocks: the value is overwritten
before anything reads it), so the search keeps one of them. SPIN does the same
(its dataflow optimisation, on by default). The payoff is where a variable is
written in a loop and read only on the next round: W4's `status` holds whichever
child was reaped last, a value that multiplies the states by the number of reap
orders until the next `waitpid` overwrites it.

Which locals are dead (`Liveness`): a backward dataflow analysis over each
function's instructions. A store to a variable kills it; any read (in an expression,
an argument, a partial `s[i] = c` store) makes it live; a return, `exit()` and
`_exit()` end every local. It is exact for variables whose address is never taken.
A function that takes a local's address (`&x`, an array) is left alone entirely —
a pointer could reach any of its cells — with one exception: `&status` as the status
argument of `wait`/`waitpid`, which only writes through it. That write is not a
kill in the static analysis (a wait that finds no child writes nothing), but in a
state where the process waits for any child, without options, and has a child,
the wait will write `status` before anything reads it (it reaps, or blocks for
good), so `status` is dead *in that state*. What a returned call left above the top frame is
dead too, provided every function writes each of its locals before reading it (`main`
aside, whose frame starts on fresh pages): then no later frame reads a leftover. That
condition is also what makes the reset sound for a dead local once its function has
returned, and what makes it canonical (the reset of a successor equals the reset of the
reset state's successor, so traces follow the real states): without it the reset is off.

Where it applies (`refusal`): no threads, atfork or signal handlers, vfork or
non-local jumps (they run other code on a process's stack or memory, and a handler
turns a wait into EINTR, which writes no status); no integer constant that points
into the stack. A process that has exec'd another image is left as it is. Every
check may stay: a property sees processes, frames' sharing and events, never a
cell's value, and a step's events are the same from either state (no step reads the
dead value). A cell is reset only in a frame whose every mapper (after fork a frame
is shared copy-on-write) finds that cell dead at the same address, so no process
sees a value change that it could read.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.engines.por import _next, _reachable as reachable
from forkspec.engines.symmetry import _const_int as _const, address_taken
from forkspec.kernel.state import ZOMBIE, State

# calls that put other code on a process's stack or memory: a handler (which also turns a wait into
# EINTR, so it writes no status), a vfork child, a non-local jump
UNSUPPORTED_CALLS = frozenset({"signal", "sigaction", "sigset", "bsd_signal", "vfork", "setjmp", "longjmp",
                               "sigsetjmp", "siglongjmp", "pthread_create", "pthread_atfork"})
WAITS = {"wait": 0, "waitpid": 1}  # name -> index of the status argument
STACK_VPN = ir.STACK_BASE >> 12
STACK_END = ir.STACK_BASE + (1 << 30)


def refusal(program: ir.Program, liveness: "Liveness") -> str:
    """Why the reduction does not apply to this run ('' when it does)."""
    if liveness.reader:
        return liveness.reader
    for f in reachable(program):
        for ins in program.functions[f].body:
            if isinstance(ins, ir.Builtin) and ins.name in UNSUPPORTED_CALLS:
                return f"{ins.name}() puts other code on a process's stack (line {ins.loc.line})"
            for e in _exprs(ins):
                for c in _walk(e):
                    if isinstance(c, ir.Const) and isinstance(c.value, int) and ir.STACK_BASE <= c.value < STACK_END:
                        return f"a constant points into the stack (line {ins.loc.line})"
    return ""


class Liveness:
    """Per function and instruction: the local slots live before it (None: the function is left alone)."""

    def __init__(self, program: ir.Program):
        self.program = program
        self.live_in: list[list[frozenset] | None] = []
        self.named: list[frozenset] = []  # slots each function names directly
        for f, fn in enumerate(program.functions):
            named, pinned = _slots(fn)
            self.named.append(frozenset(named))
            self.live_in.append(None if pinned else _live_in(fn, program.exit_routine))
        self.reader = self._uninitialised_reader()

    def _uninitialised_reader(self) -> str:
        """A function that may read a local before writing it, so may read what an earlier call left
        on the stack ('' when there is none). Then that leftover is not dead, nor is a dead local
        once its function returns, and the reset is off. `main` is exempt when nothing calls it
        again: its frame starts on fresh zero pages."""
        program = self.program
        again = any(isinstance(ins, ir.Call) and ins.func == program.main
                    for fn in program.functions for ins in fn.body) or program.main in address_taken(program)
        for f in reachable(program):
            if f == program.main and not again:
                continue
            fn, live = program.functions[f], self.live_in[f]
            if live is None:
                return f"{fn.name}() takes a local's address"
            if live and not live[0] <= set(fn.params):
                return f"{fn.name}() may read a local before writing it"
        return ""

    def dead(self, func: int, pc: int, caller: bool = False) -> frozenset:
        """The named slots of `func` that are dead before instruction `pc` (for a caller's
        activation, `pc` is where the call returns to: after `exit()`, nowhere)."""
        live = self.live_in[func]
        if live is None:
            return frozenset()
        body = self.program.functions[func].body
        if caller and 0 < pc <= len(body) and isinstance(body[pc - 1], ir.Call) and \
                body[pc - 1].func == self.program.exit_routine:
            return self.named[func]
        if pc >= len(live):
            return frozenset()
        return self.named[func] - live[pc]


def _exprs(ins) -> list:
    """The expressions an instruction evaluates (its reads), targets' address parts included."""
    if isinstance(ins, ir.SetTemp):
        return [ins.value]
    if isinstance(ins, ir.Store):
        return [ins.value] + ([ins.target.addr] if isinstance(ins.target, ir.Deref) else [])
    if isinstance(ins, ir.StoreChar):
        return [ins.target, ins.index, ins.value]
    if isinstance(ins, ir.Branch):
        return [ins.cond]
    if isinstance(ins, ir.Call):
        return list(ins.args) + ([] if isinstance(ins.func, int) else [ins.func])
    if isinstance(ins, ir.Return):
        return [] if ins.value is None else [ins.value]
    if isinstance(ins, ir.Builtin):
        return list(ins.args)
    return []


def _walk(e):
    """Every node of an expression tree."""
    todo = [e]
    while todo:
        e = todo.pop()
        yield e
        for name in getattr(e, "__slots__", ()):
            v = getattr(e, name)
            if isinstance(v, (ir.Const, ir.Temp, ir.Cell, ir.AddrOf, ir.Deref, ir.BinOp, ir.UnOp, ir.Cond, ir.Wrap,
                              ir.StrIndex)):
                todo.append(v)


def status_slot(ins) -> int | None:
    """The local whose address is a wait/waitpid's status argument (`&status`), if any."""
    if isinstance(ins, ir.Builtin) and ins.name in WAITS and len(ins.args) > WAITS[ins.name]:
        a = ins.args[WAITS[ins.name]]
        if isinstance(a, ir.AddrOf) and a.cell.region == "local":
            return a.cell.slot
    return None


def _slots(fn: ir.Function) -> tuple[set, bool]:
    """(the local slots the function names, does it take a local's address other than as a wait status)."""
    named, pinned = set(), False
    for ins in fn.body:
        status = status_slot(ins)
        if isinstance(ins, (ir.Store, ir.StoreChar)) and isinstance(ins.target, ir.Cell) and ins.target.region == "local":
            named.add(ins.target.slot)
        for e in _exprs(ins):
            if status is not None and e is ins.args[WAITS[ins.name]]:
                named.add(status)
                continue
            for c in _walk(e):
                if isinstance(c, ir.Cell) and c.region == "local":
                    named.add(c.slot)
                elif isinstance(c, ir.AddrOf) and c.cell.region == "local":
                    pinned = True
    return named, pinned


def _uses(ins) -> frozenset:
    status = status_slot(ins)
    out = set()
    for e in _exprs(ins):
        if status is not None and e is ins.args[WAITS[ins.name]]:
            continue
        out.update(c.slot for c in _walk(e) if isinstance(c, ir.Cell) and c.region == "local")
    return frozenset(out)


NO_RETURN = frozenset({"_exit", "_Exit", "abort", "exit"})


def _successors(ins, pc: int, n: int, exit_routine: int) -> tuple:
    """Where control goes next: nowhere after exit(), _exit() or abort()."""
    if (isinstance(ins, ir.Call) and ins.func == exit_routine) or (isinstance(ins, ir.Builtin) and ins.name in NO_RETURN):
        return ()
    return _next(ins, pc, n)


def _live_in(fn: ir.Function, exit_routine: int) -> list[frozenset]:
    """Backward fixpoint: live_in[pc] = uses(pc) | (live_out(pc) - kills(pc))."""
    body = fn.body
    n = len(body)
    uses = [_uses(ins) for ins in body]
    kills = [frozenset({ins.target.slot}) if isinstance(ins, ir.Store) and isinstance(ins.target, ir.Cell)
             and ins.target.region == "local" else frozenset() for ins in body]
    succ = [_successors(ins, pc, n, exit_routine) for pc, ins in enumerate(body)]
    live = [frozenset()] * n
    changed = True
    while changed:
        changed = False
        for pc in range(n - 1, -1, -1):
            out = frozenset().union(*(live[s] for s in succ[pc])) if succ[pc] else frozenset()
            new = uses[pc] | (out - kills[pc])
            if new != live[pc]:
                live[pc] = new
                changed = True
    return live


class DeadReset:
    """The state with every dead local cell set to 0 (see the module docstring)."""

    def __init__(self, program: ir.Program, liveness: Liveness | None = None):
        self.program = program
        self.liveness = liveness or Liveness(program)
        self.by_stack: dict = {}  # (stack, page table) -> their dead places: few distinct pairs recur
        self.by_record: dict = {}  # id of a process record -> (the record, its dead places): no hashing for a record seen before
        self.reset = 0  # states changed

    def __call__(self, state: State) -> State:
        mem = state.mem
        parents = {p.ppid for p in state.procs}
        dead_of: dict[int, tuple] = {}
        nonzero = []  # (pid, frame, cell) of dead cells holding a value
        for p in state.procs:
            if p.state == ZOMBIE or not p.stack or p.image or p.threads or p.handlers or p.vfork_child \
                    or p.vfork_parent:
                continue
            places, addrs, above, tops = self.record_places(p)[0 if p.pending or p.pid not in parents else 1]
            dead_of[p.pid] = (addrs, above)
            for _, pfn, c in places:
                frame = mem[pfn]
                if c < len(frame) and frame[c] != 0:
                    nonzero.append((p.pid, pfn, c))
            for pfn, first in tops:  # what returned calls left above the top frame
                frame = mem[pfn]
                if len(frame) > first:
                    nonzero.extend((p.pid, pfn, c) for c in range(first, len(frame)) if frame[c] != 0)
        if not nonzero:
            return state
        return self.apply(state, dead_of, nonzero)

    def with_mapping(self, state: State) -> tuple[State, None]:
        """The representative, and no renaming: the reset changes no pid."""
        return self(state), None

    def record_places(self, p) -> tuple:
        """`dead_places` of a process record, remembered by the record's identity: most records of a
        successor are the very objects of the state it came from (the entry keeps the record alive)."""
        hit = self.by_record.get(id(p))
        if hit is not None and hit[0] is p:
            return hit[1]
        got = self.dead_places(p.stack, p.ptes)
        if len(self.by_record) > 4096:  # the entries keep records alive: a few thousand recent ones are enough
            self.by_record.clear()
        self.by_record[id(p)] = (p, got)
        return got

    def dead_places(self, stack: tuple, ptes: tuple) -> tuple:
        """For a process with this stack and page table: ((address, frame, cell) of each mapped dead
        local, their addresses, where the dead space above the top frame starts, and (frame, first
        cell) of each stack page from there), first without a child, then with one (see `wait_writes`)."""
        key = (stack, ptes)
        hit = self.by_stack.get(key)
        if hit is not None:
            return hit
        places: list = []
        last = len(stack) - 1
        for i, a in enumerate(stack):
            for slot in self.liveness.dead(a.func, a.pc, caller=i < last):
                places.extend(_place(ir.STACK_BASE + (a.base + slot) * ir.CELL, ptes))
        more = list(places)
        top = stack[-1]
        status = self.wait_writes(top)
        if status is not None and status not in {addr for addr, _, _ in places}:
            more.extend(_place(status, ptes))
        above = ir.STACK_BASE + (top.base + self.program.functions[top.func].nlocals) * ir.CELL
        tops = tuple((pfn, max(0, (above - (vpn << 12)) >> 3)) for vpn, pfn, _ in ptes if vpn >= STACK_VPN)
        got = tuple((tuple(ps), frozenset(addr for addr, _, _ in ps), above, tops) for ps in (places, more))
        if len(self.by_stack) > 100_000:
            self.by_stack.clear()
        self.by_stack[key] = got
        return got

    def wait_writes(self, top) -> int | None:
        """The address of `status` when the next step is a wait for any child without options: if the
        process has a child, that wait reaps one (writing `status`) or blocks for good."""
        fn = self.program.functions[top.func]
        if top.pc >= len(fn.body):
            return None
        ins = fn.body[top.pc]
        slot = status_slot(ins)
        if slot is None:
            return None
        if ins.name == "waitpid" and not (_const(ins.args[0]) == -1 and _const(ins.args[2]) == 0):
            return None
        return ir.STACK_BASE + (top.base + slot) * ir.CELL

    def apply(self, state: State, dead_of: dict, nonzero: list) -> State:
        """Zero the dead cells of frames whose every mapper agrees they are dead."""
        wanted = {pfn for _, pfn, _ in nonzero}
        mappers: dict[int, list] = {}  # frame -> [(pid, vpn)]
        for p in state.procs:
            for vpn, pfn, _ in p.ptes:
                if pfn in wanted:
                    mappers.setdefault(pfn, []).append((p.pid, vpn))
        changes: dict[int, set] = {}
        for pid, pfn, c in nonzero:
            if all(q == pid or _is_dead((v << 12) | (c << 3), dead_of.get(q)) for q, v in mappers[pfn]):
                changes.setdefault(pfn, set()).add(c)
        if not changes:
            return state
        new = list(state.mem)
        for pfn, cs in changes.items():
            data = list(new[pfn])
            for c in cs:
                data[c] = 0
            while data and data[-1] == 0:
                data.pop()
            new[pfn] = tuple(data)
        self.reset += 1
        return state._replace(mem=tuple(new))


def _is_dead(addr: int, dead) -> bool:
    """Is this stack address dead for a process whose (dead addresses, dead space above) is `dead`?"""
    if dead is None:
        return False
    addrs, above = dead
    return addr in addrs or above <= addr < STACK_END


def _place(addr: int, ptes: tuple) -> tuple:
    """((address, frame, cell),) for a mapped stack address, else () (an unmapped cell reads as 0)."""
    vpn = addr >> 12
    for v, pfn, _ in ptes:
        if v == vpn:
            return ((addr, pfn, (addr & 0xFFF) >> 3),)
    return ()


class Then:
    """Dead cells reset, then pid symmetry: one canonicalising function. A trace asks it for the
    renaming (`mapping`) of a real state, which is the symmetry's renaming of the reset state."""

    def __init__(self, reset: DeadReset, symmetry):
        self.reset, self.symmetry = reset, symmetry
        self.free = symmetry.free

    def __call__(self, state: State) -> State:
        return self.symmetry(self.reset(state))

    def mapping(self, state: State):
        return self.symmetry.mapping(self.reset(state))

    def with_mapping(self, state: State):
        return self.symmetry.with_mapping(self.reset(state))
