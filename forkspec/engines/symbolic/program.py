"""The program as the symbolic engine sees it: call contexts inlined into locations.

A process's position is its call stack, `((func, pc), ...)` outermost first, with the
callers' return pcs: the same projection of `kernel.state.Proc.stack` that replay uses
to follow a Z3 schedule in the concrete kernel. Enumerating every stack reachable
from `main` gives a finite set of locations (recursion deeper than a bound is
refused). Locals live at absolute stack cells (`base + slot`, as in the kernel), so
a location fixes which cells an instruction touches.

A *boundary* is an instruction another process can see or be affected by (a system
call, output that reaches write(2)): a step of the encoding runs one process from a
boundary up to its next boundary, and a fork runs its child up to the child's first
boundary within the same step (as the kernel's merged local steps do).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from forkspec import ir
from forkspec.engines.symbolic import sigprogram as sg
from forkspec.engines.symbolic.strings import literals
from forkspec.frontend.lower import eval_binop, wrap
from forkspec.frontend.routines import FORK_ATFORK, THREAD_START
from forkspec.kernel import threads
from forkspec.kernel.exec import EXEC_CALLS
from forkspec.kernel.evaluate import reads_memory_indirectly

MAX_DEPTH = 12
MAX_LOCATIONS = 4000

SUPPORTED = ("fork, vfork (in a child that never forks; no atfork handler runs), wait, waitpid, exit, _exit, abort, atexit, "
             "stdio to stdout or stderr, fflush, perror, setvbuf and setbuf of stdout with constant arguments, "
             "open (a constant name and flags), close, dup, dup2, pipe, read into a char array, write(2) to any fd, "
             "lseek, fcntl (record locks F_GETLK, F_SETLK, F_SETLKW too), flock, "
             "execl and execlp of /bin/true, /bin/false, /bin/echo and spec files with constant arguments, "
             "execv, execvp and execve with an argv array (not of /bin/echo), exec in a program with signal "
             "dispositions (caught ones reset, ignored ones kept), "
             "getpid, getppid, nondet_int with `input:`, assert, string literals kept in variables (printf %s, "
             "puts, strcmp, strlen), arrays and pointers "
             "to variables, anonymous mmap and malloc/calloc/free with constant sizes, madvise of a whole mapping, "
             "munmap of whole mappings (a later touch is SIGSEGV); prctl PR_SET/GET_CHILD_SUBREAPER and "
             "PR_SET/GET_PDEATHSIG; "
             "pthread_create, pthread_join, pthread_exit, "
             "pthread_self, pthread_equal, pthread mutexes (init, destroy, lock, trylock, unlock) and "
             "pthread_atfork; "
             "kill, raise, signal and sigaction with SIG_IGN, SIG_DFL (default actions: terminate, stop, continue, "
             "ignore; SIGCHLD and its autoreap) or a handler function (one at a time; EINTR, SA_RESTART, "
             "SA_NODEFER, SA_RESETHAND, SA_NOCLDSTOP, SA_NOCLDWAIT, abort's handler), sigprocmask, sigpending, sigemptyset, sigfillset, sigaddset, sigdelset, "
             "sigismember, setpgid, getpgid, getpgrp, waitpid with WUNTRACED and WCONTINUED, "
             "alarm, the late SIGCHLD of a stop or continue, signals with vfork (no handler there); "
             "stdout to a file, a pipe or a terminal; the injected faults no-reparent and pid-reuse; the properties "
             "all-reaped, atexit-reverse-order, no-deadlock, no-lost-write, orphans-reparented, pid-unique, "
             "cow-isolation, no-shared-writable-page, fork-thread-safety, vfork-safety, no-orphaned-stopped-group, "
             "signal-safety")

# builtins that are steps of their own (as in the kernel, where they may be visible)
BOUNDARY = frozenset({"fork", "vfork", "wait", "waitpid", "_exit", "_Exit", "abort", "printf", "fprintf", "puts",
                      "putchar", "fputs", "fputc", "putc", "fflush", "__flush_all", "getppid", "write",
                      "nondet_int", "assert", "pause", "setvbuf", "setbuf", "perror",
                      "open", "close", "dup2", "lseek", "fcntl", "flock", "read", "prctl"}) | threads.VISIBLE | EXEC_CALLS \
    | sg.SIGNAL_BOUNDARY
# builtins the encoding runs inside a step
LOCAL = frozenset({"getpid", "getpgrp", "atexit", "sleep", "usleep", "sched_yield", "__exit_begin",
                   "__atexit_pop", "pipe", "dup", "pthread_self", "pthread_equal", "pthread_atfork",
                   "__atfork_next", "mmap", "malloc", "calloc", "free", "madvise", "munmap", "__echo_err"}) | sg.SIGNAL_LOCAL

# stdio calls that only fill a fully buffered stdout's buffer (a full buffer is beyond the encoding)
STDOUT_BUFFERED = frozenset({"printf", "puts", "putchar"})
STREAM_CALLS = {"fprintf": 0, "fputs": 1, "fputc": 1, "putc": 1}  # name -> index of the FILE* argument


def is_boundary(ins: ir.Builtin, line_buffered: bool = False) -> bool:
    """A step of its own: visible to, or affected by, another process. Output into a fully
    buffered stdout's buffer is not; on a terminal (line buffered) it may write."""
    if ins.name in STDOUT_BUFFERED:
        return line_buffered
    if ins.name in STREAM_CALLS:
        arg = ins.args[STREAM_CALLS[ins.name]]
        return line_buffered or not (isinstance(arg, ir.Const) and arg.value == ir.STREAM_BASE + 1)
    return ins.name in BOUNDARY
ENDS = frozenset({"_exit", "_Exit", "abort"})


class NotEncoded(Exception):
    """Something the program does that the symbolic encoding does not model (yet).

    `where` is the instruction's source position (an `ir.Loc`, or a line number).
    A construct (a call, an expression form, a configuration) is bad input for the Z3
    engine; a `limit` (more paths, locations or outcomes than the encoder enumerates)
    only cuts its search short, as a bound does."""

    def __init__(self, what: str, where=None, limit: bool = False, header: str = ""):
        self.what = what
        self.header = header  # the spec header entry it comes from (a property's name), if any
        self.line = getattr(where, "line", where) or 0
        self.col = getattr(where, "col", 1) or 1
        self.limit = limit
        super().__init__(self.message)

    @property
    def message(self) -> str:
        head = "a limit of the z3 encoding" if self.limit else "not encoded for z3"
        return f"{head}: {self.what}" + (f" at line {self.line}" if self.line else "")


@dataclass
class Layout:
    program: ir.Program
    locations: list = field(default_factory=list)  # id -> key
    ids: dict = field(default_factory=dict)  # key -> id
    boundaries: set = field(default_factory=set)  # keys whose instruction is a boundary
    starts: list = field(default_factory=list)  # keys a step can start from
    mem_keys: set = field(default_factory=set)  # ('g', slot) and ('s', cell)
    temp_keys: set = field(default_factory=set)  # (depth, index)
    handlers: tuple = ()  # function indices whose address is taken (atexit handlers, pointers)
    routine_targets: dict = field(default_factory=dict)  # libc routine's index -> the functions it may call
    atexit_sites: int = 0
    children_fork: bool = True  # can a process created by fork() fork in turn (see `children_fork`)
    exact: bool = False  # stdout through the libio transcription (the program calls setvbuf or setbuf)
    setvbuf_calls: list = field(default_factory=list)  # (has_buffer, mode, size) each call may make
    pending_keys: set = field(default_factory=set)  # after a stdio call that may issue several write(2)s
    vforks: bool = False  # the program calls vfork (the fragment `symbolic.vfork` encodes)
    cow_pages: tuple = ()  # it calls fork too: the pages whose copy-on-write state is kept (`symbolic.vfork`)
    regions: list = field(default_factory=list)  # allocation sites (`symbolic.memory`)
    signals: sg.SignalUse = field(default_factory=sg.SignalUse)  # what of signals and groups the program uses
    resumes: set = field(default_factory=set)  # where a process stopped within a step goes on from
    char_cells: dict = field(default_factory=dict)  # memory key -> characters, for char arrays (`chars`)
    threads: int = 1  # thread indices a process may use (1: the program creates no thread)
    atfork_sites: int = 0  # pthread_atfork calls (the registrations a process may hold)
    thread_points: set = field(default_factory=set)  # steps of their own while a process has two live threads
    store_keys: set = field(default_factory=set)  # after a store whose value reads shared memory (two steps)
    exec_offsets: dict = field(default_factory=dict)  # (image, echo's argv) -> its first function (`symbolic.exec`)
    strings: tuple = ()  # the literals a variable may hold, by number (`symbolic.strings`)
    prctl: bool = False  # the program calls prctl: subreapers and parent-death signals (`symbolic.prctl`)

    @property
    def start(self):
        """The thread start routine's index, when the program creates threads."""
        return self.program.function_index.get(THREAD_START) if self.threads > 1 else None

    def targets(self, f: int) -> tuple:
        """The functions a call through a pointer in function f may reach: the exit routine
        calls only atexit handlers, the thread start routine start functions, the fork
        routine pthread_atfork handlers (each registered as a constant); anything else
        any function whose address is taken."""
        return self.routine_targets.get(f, self.handlers)

    def any_thread(self, key) -> bool:
        """Can a thread other than index 0 be at `key`? Only under the start routine or in exit
        after the last pthread_exit: code under main runs on the first thread of the first
        process, and a fork child keeps its caller's index."""
        return key[0][0] in (self.start, self.program.exit_routine)

    def id(self, key) -> int:
        return self.ids[key]

    def instr(self, key):
        f, pc = key[-1]
        return self.program.functions[f].body[pc]

    def live_temps(self, key) -> set:
        """(depth, temp) pairs that may be read after control reaches `key`: the temps the
        instruction there reads or the kernel keeps live past it, and the callers' live temps."""
        out = set()
        for depth, (f, pc) in enumerate(key):
            fn = self.program.functions[f]
            if depth == len(key) - 1:
                out.update((depth, i) for i in _temps_read(fn.body[pc]))
                out.update((depth, i) for i in (fn.live_out[pc] if fn.live_out else range(fn.ntemps)))
            elif key[depth + 1][0] in self.signals.handlers:  # interrupted at pc: what pc reads is live
                out.update((depth, i) for i in _temps_read(fn.body[pc]))
                out.update((depth, i) for i in (fn.live_out[pc] if fn.live_out else range(fn.ntemps)))
            else:
                out.update((depth, i) for i in (fn.live_out[pc - 1] if fn.live_out else range(fn.ntemps)))
        return out

    def bases(self, key, k: int = 0) -> list[int]:
        """Each frame's first stack cell for thread index k: a thread's stack starts at its own
        region (kernel: threads.THREAD_CELLS); main, and exit after the last pthread_exit, at 0."""
        out, base = [], 0
        if key and self.start is not None and key[0][0] == self.start:
            base = k * threads.THREAD_CELLS
        for f, _ in key:
            out.append(base)
            base += self.program.functions[f].nlocals
        return out


def initial_key(program: ir.Program) -> tuple:
    return ((program.main, 0),)


SETVBUF = frozenset({"setvbuf", "setbuf"})
MULTI_WRITE = frozenset({"printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc"})


def setvbuf_calls(program: ir.Program) -> list | None:
    """The (has_buffer, mode, size) of each setvbuf/setbuf call (both answers for a buffer
    argument that is not a constant), or None when the program makes none. A mode or a
    size that is not a constant is refused."""
    out, seen = [], False
    for fn in program.functions:
        for ins in fn.body:
            if not (isinstance(ins, ir.Builtin) and ins.name in SETVBUF):
                continue
            seen = True
            buf = ins.args[1]
            has = [buf.value != 0] if isinstance(buf, ir.Const) and isinstance(buf.value, int) else [True, False]
            if ins.name == "setbuf":
                out += [(h, 0 if h else 2, 8192) for h in has]
                continue
            mode, size = ins.args[2], ins.args[3]
            if not (isinstance(mode, ir.Const) and isinstance(size, ir.Const)):
                raise NotEncoded("setvbuf() with a mode or a size that is not a constant", ins.loc)
            out += [(h, mode.value, size.value) for h in has]
    return out if seen else None


def layout(program: ir.Program, line_buffered: bool = False) -> Layout:
    from forkspec.engines.symbolic import exec as ex

    program, offsets = ex.merge(program)  # the images it can exec appended
    lay = Layout(program, strings=literals(program))
    lay.exec_offsets = offsets
    lay.prctl = any(isinstance(ins, ir.Builtin) and ins.name == "prctl" for fn in program.functions for ins in fn.body)
    calls = setvbuf_calls(program)
    if calls is not None:  # every stdio call may write: each is a step of its own
        lay.exact, lay.setvbuf_calls, line_buffered = True, calls, True
    lay.handlers = tuple(sorted(_address_taken(program)))
    lay.routine_targets = _routine_targets(program)
    lay.threads = 1 + _count_calls(program, "pthread_create")
    if lay.exact and lay.threads > 1:  # each thread has its own pending write(2)s in the kernel
        raise NotEncoded("setvbuf or setbuf in a program that creates threads")
    lay.atfork_sites = _count_calls(program, "pthread_atfork")
    lay.signals = sg.signal_use(program, lay.exact)
    start = initial_key(program)
    starts = {start}
    todo = [start]
    if lay.start is not None:  # a new thread runs its local prefix in pthread_create's step
        todo.append(((lay.start, 0),))
    seen = set(todo)
    while todo:
        key = todo.pop()
        if len(key) > MAX_DEPTH:
            raise NotEncoded(f"calls nested deeper than {MAX_DEPTH} (recursion?)", lay.instr(key[:-1]).loc, limit=True)
        lay.locations.append(key)
        ins = lay.instr(key)
        _collect(lay, key, ins)
        if isinstance(ins, ir.Builtin):
            if ins.name not in BOUNDARY and ins.name not in LOCAL:
                raise NotEncoded(f"{ins.name}()", ins.loc)
            if is_boundary(ins, line_buffered) or lay.signals.boundary(ins):
                lay.boundaries.add(key)
                starts.add(key)
            if lay.signals.may_stop and sg.may_deliver(ins):
                f, pc = key[-1]
                lay.resumes.add(key[:-1] + ((f, pc + 1),))
            if ins.name == "atexit":
                lay.atexit_sites += 1
            if ins.name == "__echo_err":  # where the step after echo's failed write goes on (`symbolic.exec`)
                lay.resumes.add(key)
            if ins.name == "vfork":  # the parent's step ends at vfork; it resumes from the next instruction
                f, pc = key[-1]
                starts.add(key[:-1] + ((f, pc + 1),))
            if lay.exact and ins.name in MULTI_WRITE:
                f, pc = key[-1]
                lay.pending_keys.add(key[:-1] + ((f, pc + 1),))
        if lay.threads > 1:
            fn = program.functions[key[-1][0]]
            if isinstance(ins, ir.Builtin) or threads.touches_shared(fn, ins):
                lay.thread_points.add(key)
                starts.add(key)
            if isinstance(ins, ir.Store) and threads.touches_shared(fn, ins.value):
                f, pc = key[-1]
                lay.store_keys.add(key[:-1] + ((f, pc + 1),))
        nexts = successors(lay, key, ins)
        if lay.signals.catching:
            sg.refuse_at(lay, key, ins)
        entry = len(key) > 1 and key[-1][1] == 0 and key[-1][0] in lay.signals.handlers  # a delivery's step ends
        if lay.signals.catching and (entry or sg.conflicts(lay.signals.footprint, ins)  # a handler may interrupt
                                     or sg.before_interruptible(lay, nexts)):
            lay.boundaries.add(key)
            starts.add(key)
            nexts = nexts + sg.interruptions(lay, key, ins)
        if lay.signals.catching and isinstance(ins, ir.Builtin):  # or on the way back from the call
            nexts = nexts + [k for n in nexts[:1] for k in sg.interruptions(lay, n, lay.instr(n))]
        for nxt in nexts:
            if nxt not in seen:
                if len(seen) >= MAX_LOCATIONS:
                    raise NotEncoded(f"more than {MAX_LOCATIONS} program locations", limit=True)
                seen.add(nxt)
                todo.append(nxt)
    for slot in range(max([len(program.globals_init), 1] + [len(p.globals_init) for _, p in program.images])):
        lay.mem_keys.add(("g", slot))
    lay.resumes &= seen
    starts |= lay.resumes
    lay.locations.sort()
    lay.children_fork = children_fork(lay) or (lay.signals.catching and any(  # a child's handler may fork
        lay.signals.in_handler(k) and isinstance(lay.instr(k), ir.Builtin) and lay.instr(k).name in FORKS
        for k in lay.locations))
    from forkspec.engines.symbolic.chars import char_cells

    lay.char_cells = char_cells(lay)
    from forkspec.engines.symbolic import memory
    from forkspec.engines.symbolic.vfork import check_fragment

    lay.regions = memory.regions(lay)
    lay.mem_keys.update(memory.region_keys(lay))
    if any(r.shared for r in lay.regions):  # kernel: with a shared mapping every dereference is visible
        for key in lay.locations:
            if reads_memory_indirectly(lay.instr(key)):
                lay.boundaries.add(key)
                starts.add(key)
    check_fragment(lay)
    if lay.signals.used and (lay.threads > 1 or lay.atfork_sites or lay.regions):
        raise NotEncoded("signals in a program that creates threads or maps memory")
    if lay.signals.catching and lay.vforks:  # a handler's frame on the stack a vfork child shares
        raise NotEncoded("a signal handler in a program that calls vfork")
    lay.ids = {k: i for i, k in enumerate(lay.locations)}
    lay.starts = sorted(starts)
    return lay


FORKS = frozenset({"fork", "vfork"})


def children_fork(lay: Layout) -> bool:
    """Whether a child can reach a fork: the locations reachable from each fork's
    continuation, knowing only that fork() returned 0 there (the child's value, kept in a
    temp or a local variable until overwritten; a call forgets it). A branch whose
    condition that knowledge decides is followed one way only. When no child can fork,
    every process but the first is childless: its exit reparents no one and its wait
    finds no child, and the encoding leaves those cases out (which is also what makes
    most steps of different children independent)."""
    todo = []
    for key in lay.locations:
        ins = lay.instr(key)
        if isinstance(ins, ir.Builtin) and ins.name in FORKS:
            f, pc = key[-1]
            known = {("t", ins.dst): 0} if ins.dst is not None else {}
            todo.append((key[:-1] + ((f, pc + 1),), tuple(sorted(known.items()))))
    seen = set(todo)
    while todo:
        key, known = todo.pop()
        ins = lay.instr(key)
        if isinstance(ins, ir.Builtin) and ins.name in FORKS:
            return True
        facts = dict(known)
        nxt = successors(lay, key, ins)
        if isinstance(ins, ir.Branch):
            c = _known_value(ins.cond, facts)
            if c is not None:
                nxt = [nxt[0] if c else nxt[1]]
        elif isinstance(ins, ir.SetTemp):
            facts.pop(("t", ins.dst), None)
            v = _known_value(ins.value, dict(known))
            if v is not None:
                facts[("t", ins.dst)] = v
        elif isinstance(ins, ir.Store):
            if isinstance(ins.target, ir.Cell) and ins.target.region == "local":
                facts.pop(("c", ins.target.slot), None)
                v = _known_value(ins.value, dict(known))
                if v is not None:
                    facts[("c", ins.target.slot)] = v
            else:
                facts = {k: v for k, v in facts.items() if k[0] == "t"}  # a store elsewhere may alias a local
        elif isinstance(ins, ir.Builtin):
            if ins.dst is not None:
                facts.pop(("t", ins.dst), None)
            if any(_takes_address(a) for a in ins.args):
                facts = {k: v for k, v in facts.items() if k[0] == "t"}
        else:
            facts = {}  # a call or a return changes the frame: forget everything
        for k in nxt:
            item = (k, tuple(sorted(facts.items())))
            if item not in seen:
                seen.add(item)
                todo.append(item)
    return False


def _takes_address(e) -> bool:
    return isinstance(e, ir.AddrOf) or any(_takes_address(getattr(e, n)) for n in ("left", "right", "operand")
                                           if getattr(e, n, None) is not None and not isinstance(getattr(e, n), (int, str)))


def _known_value(e, facts: dict):
    """The value of a side-effect-free expression over known temps and locals, or None."""
    if isinstance(e, ir.Const):
        return e.value if isinstance(e.value, int) else None
    if isinstance(e, ir.Temp):
        return facts.get(("t", e.index))
    if isinstance(e, ir.Cell):
        return facts.get(("c", e.slot)) if e.region == "local" else None
    if isinstance(e, ir.Wrap):
        v = _known_value(e.operand, facts)
        return None if v is None else wrap(v, e.bits, e.signed)
    if isinstance(e, ir.UnOp) and e.op in ("-", "!", "!!", "~"):
        v = _known_value(e.operand, facts)
        if v is None:
            return None
        return {"-": -v, "!": int(not v), "!!": int(bool(v)), "~": ~v}[e.op]
    if isinstance(e, ir.BinOp) and e.op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
        a, b = _known_value(e.left, facts), _known_value(e.right, facts)
        if e.op == "&&" and (a == 0 or b == 0):
            return 0
        if e.op == "||" and ((a is not None and a != 0) or (b is not None and b != 0)):
            return 1
        if a is None or b is None:
            return None
        return int(eval_binop(e.op, a, b)) if e.op not in ("&&", "||") else int(bool(a) and bool(b) if e.op == "&&" else bool(a) or bool(b))
    return None


def successors(lay: Layout, key: tuple, ins) -> list[tuple]:
    """Where control can go from `key` (statically; a fork's child goes to the same place)."""
    f, pc = key[-1]
    here = key[:-1]
    prog = lay.program
    if isinstance(ins, (ir.SetTemp, ir.Store, ir.StoreChar)):
        return [here + ((f, pc + 1),)]
    if isinstance(ins, ir.Jump):
        return [here + ((f, ins.target),)]
    if isinstance(ins, ir.Branch):
        return [here + ((f, ins.if_true),), here + ((f, ins.if_false),)]
    if isinstance(ins, ir.Builtin):
        if ins.name == "pthread_exit":  # the thread ends, or (the last one) runs exit(0) on a new stack
            return [((prog.exit_routine, 0),)]
        if ins.name == "fork" and lay.atfork_sites and prog.functions[f].name != FORK_ATFORK:
            return [here + ((f, pc + 1),), here + ((f, pc + 1), (prog.function_index[FORK_ATFORK], 0))]
        if ins.name in EXEC_CALLS and lay.exec_offsets:  # the image's main, or on failure the next instruction
            from forkspec.engines.symbolic.exec import image_start

            return [here + ((f, pc + 1),)] + image_start(lay, ins)
        return [] if ins.name in ENDS else [here + ((f, pc + 1),)]
    if isinstance(ins, ir.Call):
        targets = [ins.func] if isinstance(ins.func, int) else list(lay.targets(f))
        return [here + ((f, pc + 1), (t, 0)) for t in targets]
    if isinstance(ins, ir.Return):
        if not here:
            if f == prog.exit_routine:
                return []
            return [((prog.exit_routine, 0),)]
        return [here]
    raise NotEncoded(f"the instruction {type(ins).__name__}", ins.loc)


ROUTINE_CALLS = {"atexit": (0,), "pthread_create": (2,), "pthread_atfork": (0, 1, 2)}


def _routine_targets(program: ir.Program) -> dict:
    """{routine index: functions registered with the call that feeds it}, for the routines whose
    every registration is a constant function (or NULL); the others may call any handler."""
    names = {"atexit": program.exit_routine, "pthread_create": program.function_index.get(THREAD_START),
             "pthread_atfork": program.function_index.get(FORK_ATFORK)}
    found: dict = {name: set() for name in ROUTINE_CALLS}
    n = len(program.functions)
    for fn in program.functions:
        for ins in fn.body:
            if not (isinstance(ins, ir.Builtin) and ins.name in ROUTINE_CALLS) or found[ins.name] is None:
                continue
            for i in ROUTINE_CALLS[ins.name]:
                a = ins.args[i] if i < len(ins.args) else None
                v = a.value if isinstance(a, ir.Const) and isinstance(a.value, int) else None
                off = None if v is None else v - ir.FUNC_BASE
                if v == 0 and ins.name == "pthread_atfork":
                    continue
                if off is None or off < 0 or off % ir.FUNC_STRIDE or off // ir.FUNC_STRIDE >= n:
                    found[ins.name] = None
                    break
                found[ins.name].add(off // ir.FUNC_STRIDE)
    return {names[k]: tuple(sorted(v)) for k, v in found.items() if v is not None and names[k] is not None}


def _count_calls(program: ir.Program, name: str) -> int:
    return sum(isinstance(ins, ir.Builtin) and ins.name == name for fn in program.functions for ins in fn.body)


def _temps_read(e) -> set[int]:
    out = set()
    if isinstance(e, ir.Temp):
        out.add(e.index)
    for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value",
                 "target", "func"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)):
            out |= _temps_read(sub)
    for a in getattr(e, "args", ()) or ():
        out |= _temps_read(a)
    return out


def _address_taken(program: ir.Program) -> set[int]:
    """Functions whose address appears as a constant (atexit(f), a function pointer)."""
    out = set()
    n = len(program.functions)

    def visit(e):
        if isinstance(e, ir.Const) and isinstance(e.value, int):
            off = e.value - ir.FUNC_BASE
            if off >= 0 and off % ir.FUNC_STRIDE == 0 and off // ir.FUNC_STRIDE < n:
                out.add(off // ir.FUNC_STRIDE)
        for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value"):
            sub = getattr(e, name, None)
            if sub is not None and not isinstance(sub, (int, str)):
                visit(sub)
        for a in getattr(e, "args", ()) or ():
            visit(a)

    for fn in program.functions:
        for ins in fn.body:
            visit(ins)
    return out


def _collect(lay: Layout, key: tuple, ins) -> None:
    """The memory cells and temps an instruction at `key` may touch."""
    threaded = lay.start is not None and key[0][0] == lay.start
    tops = [lay.bases(key, k)[-1] for k in range(lay.threads if threaded else 1)]
    depth = len(key) - 1
    fn = lay.program.functions[key[-1][0]]
    for i in range(fn.ntemps):
        lay.temp_keys.add((depth, i))
    for slot in range(fn.nlocals):
        lay.mem_keys.update(("s", top + slot) for top in tops)

    def visit(e):
        if isinstance(e, ir.Cell):
            if e.region == "global":
                lay.mem_keys.add(("g", e.slot))
            else:
                lay.mem_keys.update(("s", top + e.slot) for top in tops)
        for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value",
                     "target", "cell"):
            sub = getattr(e, name, None)
            if sub is not None and not isinstance(sub, (int, str)):
                visit(sub)
        for a in getattr(e, "args", ()) or ():
            visit(a)

    visit(ins)
    lay.mem_keys.add(("g", ir.ERRNO_SLOT))
