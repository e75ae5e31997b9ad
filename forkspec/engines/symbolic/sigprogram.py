"""What a program does with signals and process groups, seen statically, for the Z3 encoding.

The encoding keeps a disposition only for the signals whose disposition the program
sets (a constant first argument of signal() or sigaction()); every other signal keeps
SIG_DFL. A function whose address the program takes (outside atexit) is a signal handler:
it runs only as one (a handler frame, `handler_functions`), pushed where the process rests
when one of the signals the program may send and catch is taken. The calls that the kernel makes visible steps (`kernel.signals`) are
boundaries here too, so a signal sent by another process is taken exactly where the
kernel can take it.
"""
from __future__ import annotations

from dataclasses import dataclass

from forkspec import ir
from forkspec.kernel import signals as ks
from forkspec.kernel.files import SIGPIPE
from forkspec.kernel.step import STDIO_CALLS

# calls that another process's signal or exit can observe: steps of their own (as in the kernel)
SIGNAL_BOUNDARY = frozenset({"kill", "raise", "signal", "sigaction", "sigprocmask", "sigpending", "setpgid"})
# calls on the caller's own memory only
SIGNAL_LOCAL = frozenset({"sigemptyset", "sigfillset", "sigaddset", "sigdelset", "sigismember", "getpgid"})
SIGNAL_CALLS = SIGNAL_BOUNDARY | SIGNAL_LOCAL
STOP_SIGNALS = frozenset(ks.DEFAULT_STOP)


@dataclass(frozen=True)
class SignalUse:
    used: bool = False  # the program sends signals or changes dispositions, masks or groups
    groups: bool = False  # it calls setpgid: a process's group can change
    tracked: tuple = ()  # signals whose disposition it may change
    may_stop: bool = False  # a stop signal may be delivered (a stop signal's number appears in it)
    possible: tuple = ()  # signals that may become pending (`sent_signals`)
    handlers: tuple = ()  # functions that may run as signal handlers (`handler_functions`)
    catching: bool = False  # a handler may run: a signal that may be sent may be caught
    footprint: frozenset | None = None  # what the handlers may touch (`handler_footprint`; None: anything)
    catchers: tuple = ()  # (signal, handlers it may be given), for the signals the program may send or abort

    def handlers_of(self, sig) -> tuple:
        """The handlers that may run for `sig` (None: for any signal that may be sent)."""
        if sig is not None:
            return dict(self.catchers).get(sig, ())
        return tuple(sorted(set().union(*(hs for g, hs in self.catchers if g in self.possible))))

    def in_handler(self, key) -> int:
        """How many handler frames a location's call stack holds."""
        return sum(f in self.handlers for f, _ in key)

    def boundary(self, ins: ir.Builtin) -> bool:
        """getpgrp/getpgid read what another process's setpgid changes: a step of their own then."""
        return self.groups and ins.name in ("getpgrp", "getpgid")


def may_deliver(ins) -> bool:
    """After this instruction the kernel may deliver a pending signal (a system call, or stdio that
    may write): a process stopped there goes on from the next instruction."""
    return isinstance(ins, ir.Builtin) and (ins.name in ks.SYSTEM_CALLS or ins.name in STDIO_CALLS)


def signal_use(program: ir.Program, exact: bool) -> SignalUse:
    from forkspec.engines.symbolic.program import NotEncoded

    calls = [ins for f in program.functions for ins in f.body if isinstance(ins, ir.Builtin)]
    if not any(ins.name in SIGNAL_CALLS for ins in calls):
        return SignalUse()
    if exact:
        first = next(ins for ins in calls if ins.name in SIGNAL_CALLS)
        raise NotEncoded(f"a signal call ({first.name}()) in a program that calls setvbuf or setbuf", first.loc)
    tracked = set()
    for ins in calls:
        if ins.name in ("signal", "sigaction"):
            sig = ins.args[0]
            if not (isinstance(sig, ir.Const) and isinstance(sig.value, int)):
                raise NotEncoded(f"a signal number that is not a constant in {ins.name}()", ins.loc)
            if 1 <= sig.value <= ks.NSIG_MODELLED:
                tracked.add(sig.value)
    handlers = handler_functions(program)
    possible = sent_signals(program)
    watch = next((ins for ins in calls if ins.name in ("sigprocmask", "sigpending")), None)
    if possible & (STOP_SIGNALS | {ks.SIGCONT}) and watch is not None:
        raise NotEncoded("the late SIGCHLD of a stop or continue (the kernel sends it in a later step) in a "
                         "program that blocks or inspects pending signals", watch.loc)
    aborts = ks.SIGABRT in tracked and any(ins.name == "abort" for ins in calls)
    catchers = _catchers(calls, handlers, (possible & tracked) | ({ks.SIGABRT} if aborts else set()))
    catching = bool(handlers) and any(hs for _, hs in catchers)
    return SignalUse(True, any(ins.name == "setpgid" for ins in calls), tuple(sorted(tracked)),
                     bool(possible & STOP_SIGNALS), tuple(sorted(possible)), handlers, catching,
                     handler_footprint(program, handlers) if catching else None, catchers)


NEST = 1  # handler frames a location may hold: a handler interrupted by another caught signal is beyond
INTERRUPTIBLE = ks.RESTARTABLE | {"pause"}  # calls a handler may end with EINTR


def _catchers(calls: list, handlers: tuple, signals: set) -> tuple:
    """Which handlers each signal may get: signal(sig, f) gives f; any other way of setting one
    (sigaction, a handler not constant) may give any."""
    out = {g: set() for g in signals}
    for ins in calls:
        if ins.name not in ("signal", "sigaction") or ins.args[0].value not in out:
            continue
        fn = ins.args[1] if ins.name == "signal" else None
        v = fn.value if isinstance(fn, ir.Const) and isinstance(fn.value, int) else None
        if v is None:
            out[ins.args[0].value] |= set(handlers)
        elif v >= ir.FUNC_BASE and (v - ir.FUNC_BASE) // ir.FUNC_STRIDE in handlers:
            out[ins.args[0].value].add((v - ir.FUNC_BASE) // ir.FUNC_STRIDE)
    return tuple((g, tuple(sorted(hs))) for g, hs in sorted(out.items()))


def handler_footprint(program: ir.Program, handlers: tuple):
    """The global slots the handlers (and what they call) may read or write, errno if they make a call;
    None if they dereference a pointer (then they may touch anything)."""
    from forkspec.kernel.evaluate import reads_memory_indirectly

    todo, seen, slots = list(handlers), set(handlers), set()
    while todo:
        for ins in program.functions[todo.pop()].body:
            if reads_memory_indirectly(ins):
                return None
            _globals(ins, slots)
            if isinstance(ins, ir.Builtin):
                slots.add(ir.ERRNO_SLOT)
            if isinstance(ins, ir.Call):
                if not isinstance(ins.func, int):
                    return None
                if ins.func not in seen:
                    seen.add(ins.func)
                    todo.append(ins.func)
    return frozenset(slots)


def conflicts(footprint, ins) -> bool:
    """May a handler run between this instruction and the one before give another result than one run
    at the next boundary? Only if the instruction is a call of the library or touches what a handler
    may touch. (A handler taken before an instruction that touches nothing of it commutes with it:
    delivering it at the next boundary instead reaches the same states.)"""
    from forkspec.kernel.evaluate import reads_memory_indirectly

    if footprint is None or isinstance(ins, ir.Builtin) or reads_memory_indirectly(ins):
        return True
    found = set()
    _globals(ins, found)
    return bool(found & footprint)


def before_interruptible(lay, nexts: list) -> bool:
    """Is the next instruction one a handler ends with EINTR? A handler taken before it returns
    before it runs (and it blocks), one taken at it ends it: both must be there."""
    return any(isinstance(lay.instr(k), ir.Builtin) and lay.instr(k).name in INTERRUPTIBLE for k in nexts)


def _globals(e, out: set) -> None:
    if isinstance(e, ir.Cell) and e.region == "global":
        out.add(e.slot)
    for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value",
                 "target", "cell"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)):
            _globals(sub, out)
    for a in getattr(e, "args", ()) or ():
        _globals(a, out)


def interruptions(lay, key: tuple, ins) -> list:
    """Where a handler's frame may be pushed at `key`: on top of it (the interrupted instruction runs
    again when the handler returns), or after a call the handler ends with EINTR (kernel: run_handler)."""
    f, pc = key[-1]
    if lay.signals.in_handler(key) >= NEST:
        return []
    tops = [key]
    if isinstance(ins, ir.Builtin) and ins.name in INTERRUPTIBLE:
        tops.append(key[:-1] + ((f, pc + 1),))
    use = lay.signals
    hs = set(use.handlers_of(None))
    if isinstance(ins, ir.Builtin) and ins.name == "abort":
        hs |= set(use.handlers_of(ks.SIGABRT))
    return [top + ((h, 0),) for top in tops for h in sorted(hs)]


def takes_caught(lay, key: tuple) -> bool:
    """Does a caught signal get taken at `key` (a handler's frame can go on top of it, or it is beyond:
    handlers nested too deep)? Elsewhere it waits for the next such location (`conflicts`)."""
    if lay.signals.in_handler(key) >= NEST:
        return True
    return any(key + ((h, 0),) in lay.ids for h in lay.signals.handlers_of(None))


def refuse_at(lay, key: tuple, ins) -> None:
    """In a program whose handlers may run: a pointer call that may reach a handler, and sleep() whose
    result is used (a handler may end it part-way: any of 1..n), are refused."""
    from forkspec.engines.symbolic.program import NotEncoded

    f, pc = key[-1]
    if isinstance(ins, ir.Call) and not isinstance(ins.func, int) and set(lay.targets(f)) & set(lay.signals.handlers):
        raise NotEncoded("a call through a function pointer in a program with a signal handler", ins.loc)
    if isinstance(ins, ir.Builtin) and ins.name in ("sleep", "usleep") and ins.dst is not None \
            and ins.dst in lay.program.functions[f].live_out[pc]:
        raise NotEncoded(f"the result of {ins.name}() in a program with a signal handler (a handler may end it "
                         "part-way)", ins.loc)


def sent_signals(program: ir.Program) -> set:
    """The signals the program may send: kill's and raise's constant arguments, SIGCHLD, SIGPIPE, and, if
    one of them sends a computed signal, every constant 1..31 the program passes to a function
    or keeps in a variable. A number outside this set found at run time is beyond the encoding
    (`SignalSteps.valid_signal`), so a guess too small is never a wrong verdict."""
    out, computed, kept = {ks.SIGCHLD}, False, set()
    if any(isinstance(ins, ir.Builtin) and ins.name == "pipe" for f in program.functions for ins in f.body):
        out.add(SIGPIPE)  # a write to a pipe without a reader sends it
    for f in program.functions:
        for ins in f.body:
            if isinstance(ins, ir.Builtin) and ins.name in ("kill", "raise"):
                sig = ins.args[-1]
                if isinstance(sig, ir.Const) and isinstance(sig.value, int):
                    out.add(sig.value)
                else:
                    computed = True
            values = list(ins.args) if isinstance(ins, ir.Call) else [getattr(ins, "value", None)]
            for v in values:
                while isinstance(v, ir.Wrap):
                    v = v.operand
                if isinstance(v, ir.Const) and isinstance(v.value, int):
                    kept.add(v.value)
    if computed:
        out |= kept
    return {v for v in out if 1 <= v <= ks.NSIG_MODELLED}


def handler_functions(program: ir.Program) -> tuple:
    """The functions whose address appears anywhere but atexit's argument: they may become signal
    handlers. Each must run only as one (a frame of such a function is a handler frame), so a
    direct call of it, or its registration with atexit too, is refused."""
    from forkspec.engines.symbolic.program import NotEncoded

    n, found, at_exit = len(program.functions), {}, set()
    for f in program.functions:
        for ins in f.body:
            values = set()
            _constants(ins, values)
            indices = {(v - ir.FUNC_BASE) // ir.FUNC_STRIDE for v in values
                       if v >= ir.FUNC_BASE and (v - ir.FUNC_BASE) % ir.FUNC_STRIDE == 0
                       and (v - ir.FUNC_BASE) // ir.FUNC_STRIDE < n}
            if isinstance(ins, ir.Builtin) and ins.name == "atexit":
                at_exit |= indices
            else:
                for i in indices:
                    found.setdefault(i, ins.loc)
    for i, loc in found.items():
        if i in at_exit:
            raise NotEncoded(f"a function registered with atexit that may also be a signal handler "
                             f"({program.functions[i].name})", loc)
    for f in program.functions:
        for ins in f.body:
            if isinstance(ins, ir.Call) and isinstance(ins.func, int) and ins.func in found:
                raise NotEncoded(f"a direct call of a function that may be a signal handler "
                                 f"({program.functions[ins.func].name})", ins.loc)
    return tuple(sorted(found))


def _constants(e, out: set) -> None:
    if isinstance(e, ir.Const) and isinstance(e.value, int):
        out.add(e.value)
    for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value",
                 "target", "func"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)):
            _constants(sub, out)
    for a in getattr(e, "args", ()) or ():
        _constants(a, out)
