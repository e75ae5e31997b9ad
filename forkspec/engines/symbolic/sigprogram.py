"""What a program does with signals and process groups, seen statically, for the Z3 encoding.

The encoding keeps a disposition only for the signals whose disposition the program
sets (a constant first argument of signal() or sigaction()); every other signal keeps
SIG_DFL. Programs that install a handler function are refused (handlers are not
encoded). The calls that the kernel makes visible steps (`kernel.signals`) are
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
    _refuse_handlers(program)
    possible = sent_signals(program)
    watch = next((ins for ins in calls if ins.name in ("sigprocmask", "sigpending")), None)
    if possible & (STOP_SIGNALS | {ks.SIGCONT}) and watch is not None:
        raise NotEncoded("the late SIGCHLD of a stop or continue (the kernel sends it in a later step) in a "
                         "program that blocks or inspects pending signals", watch.loc)
    return SignalUse(True, any(ins.name == "setpgid" for ins in calls), tuple(sorted(tracked)),
                     bool(possible & STOP_SIGNALS), tuple(sorted(possible)))


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


def _refuse_handlers(program: ir.Program) -> None:
    """A function's address anywhere but atexit's argument may become a signal handler: refused."""
    from forkspec.engines.symbolic.program import NotEncoded

    n = len(program.functions)
    for f in program.functions:
        for ins in f.body:
            if isinstance(ins, ir.Builtin) and ins.name == "atexit":
                continue
            found = set()
            _constants(ins, found)
            for v in found:
                off = v - ir.FUNC_BASE
                if off >= 0 and off % ir.FUNC_STRIDE == 0 and off // ir.FUNC_STRIDE < n:
                    name = program.functions[off // ir.FUNC_STRIDE].name
                    raise NotEncoded(f"a signal handler (the function {name}) in a program that uses signals",
                                     ins.loc)


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
