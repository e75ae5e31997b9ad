"""Signals, stops, process groups and prctl: signal(7), kill(2), sigaction(2), setpgid(2), prctl(2).

A signal is sent in the sender's step (the kernel's `prepare_signal`: SIGCONT resumes a
stopped process and discards pending stop signals, a stop signal discards a pending
SIGCONT, an ignored signal is dropped) and becomes a pending bit of the target. It is
delivered in a step of the target of its own, at any point the target could run (and
while it is blocked in wait or pause), or at once when a process signals itself or
unblocks a pending signal. A handler runs as a call frame pushed on the target's stack;
its return restores the signal mask. Processes that catch a signal run instruction by
instruction, so a handler can interrupt them anywhere; programs that catch nothing keep
every reduction and every state they had.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.errors import ModelError
from forkspec.kernel.events import Event
from forkspec.kernel.state import INIT_PID, RUNNING, ZOMBIE, Proc

SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM = 1, 2, 3, 6, 9, 10, 12, 14, 15
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH = 17, 18, 19, 20, 21, 22, 23, 28
NSIG_MODELLED = 31  # the standard signals; real-time signals are not modelled

NAMES = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
    9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
    23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
    30: "SIGPWR", 31: "SIGSYS",
}

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 1, 2, 4
SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = 0x04000000, 0x08000000, 0x10000000, 0x40000000, 0x80000000
SA_KNOWN = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_RESTORER | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 1, 2, 36, 37
ESRCH, EINTR, EPERM, EINVAL = 3, 4, 1, 22
# Blocking calls a handler ends with EINTR unless its sigaction has SA_RESTART (signal(7)):
# wait, a read of an empty pipe, a blocking flock or F_SETLKW. pause always ends.
RESTARTABLE = frozenset({"wait", "waitpid", "read", "flock", "fcntl"})
BEFORE_CALL = "before-call"  # a delivery choice: the handler runs before the blocking call starts

STOPPED_REPORT = 0x7F  # low byte of a stop report: sig << 8 | 0x7f
CONTINUED_REPORT = 0xFFFF

DEFAULT_IGNORE = frozenset({SIGCHLD, SIGCONT, SIGURG, SIGWINCH})
DEFAULT_STOP = frozenset({SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
UNCATCHABLE = frozenset({SIGKILL, SIGSTOP})
CORE_DUMPING = frozenset({3, 4, 5, 6, 7, 8, 11, 24, 25, 31})  # SIGQUIT ILL TRAP ABRT BUS FPE SEGV XCPU XFSZ SYS


def bit(sig: int) -> int:
    return 1 << sig


ALL_BITS = sum(bit(s) for s in range(1, NSIG_MODELLED + 1))
BLOCKABLE = ALL_BITS & ~bit(SIGKILL) & ~bit(SIGSTOP)
STOP_BITS = sum(bit(s) for s in DEFAULT_STOP)

# signal-safety(7): the calls a handler may make. Anything else in a handler breaks `signal-safety`.
ASYNC_SIGNAL_SAFE = frozenset({
    "_exit", "_Exit", "abort", "fork", "getpid", "getppid", "getpgrp", "getpgid", "setpgid", "setsid", "getsid",
    "kill", "raise", "pause", "sigaction", "signal", "sigprocmask", "sigpending", "sigemptyset", "sigfillset",
    "sigaddset", "sigdelset", "sigismember", "sleep", "wait", "waitpid", "write", "read", "close", "dup", "dup2",
    "pipe", "open", "lseek", "execve", "execle", "execl", "execv", "alarm", "assert",
})


# Calls that change how another process's signal or exit affects the caller (or affect another
# process): a step of their own, never merged with the local steps around them.
SIGNAL_VISIBLE_CALLS = frozenset({
    "kill", "raise", "signal", "sigaction", "sigprocmask", "setpgid", "setsid", "prctl", "sigpending", "alarm",
})

# Calls that always enter the kernel (a stdio call does only when it writes).
SYSTEM_CALLS = frozenset({
    "fork", "vfork", "getpid", "getppid", "getpgrp", "getpgid", "setpgid", "setsid", "write", "wait", "waitpid",
    "kill", "raise", "signal", "sigaction", "sigprocmask", "sigpending", "pause", "sleep", "usleep", "prctl",
    "mmap", "munmap", "madvise", "sched_yield", "alarm", "read", "close", "dup", "dup2", "pipe", "pipe2", "open",
    "lseek", "fcntl", "flock",
})


def name(sig: int) -> str:
    return NAMES.get(sig, f"signal {sig}")


def disposition(p: Proc, sig: int) -> tuple[int, int, int]:
    """(handler, sa_flags, sa_mask) of `sig` in process `p`; the default is (SIG_DFL, 0, 0)."""
    for s, h, flags, mask in p.sigdisp:
        if s == sig:
            return h, flags, mask
    return SIG_DFL, 0, 0


def with_disposition(p: Proc, sig: int, handler: int, flags: int, mask: int) -> Proc:
    rest = tuple(d for d in p.sigdisp if d[0] != sig)
    if (handler, flags, mask) != (SIG_DFL, 0, 0):
        rest = tuple(sorted(rest + ((sig, handler, flags, mask),)))
    return p._replace(sigdisp=rest)


def is_caught(handler: int) -> bool:
    return handler not in (SIG_DFL, SIG_IGN)


def ignored(p: Proc, sig: int) -> bool:
    """Would `sig` be discarded when sent (ignored and not blocked, as the kernel's sig_ignored)?"""
    if sig in UNCATCHABLE or p.sigmask & bit(sig):
        return False
    h = disposition(p, sig)[0]
    return h == SIG_IGN or (h == SIG_DFL and sig in DEFAULT_IGNORE)


def catches_any(p: Proc) -> bool:
    return bool(p.handlers) or (bool(p.sigdisp) and any(is_caught(d[1]) for d in p.sigdisp))


def fatal_at_once(p: Proc, sig: int) -> bool:
    """Does `sig` end the process as soon as it is sent (the kernel's complete_signal)? SIGKILL, and any
    unblocked signal whose default action terminates without a core dump: it kills even a stopped process,
    before any other pending signal is taken."""
    if sig == SIGKILL:
        return True
    return (not p.sigmask & bit(sig) and disposition(p, sig)[0] == SIG_DFL
            and sig not in DEFAULT_IGNORE | DEFAULT_STOP | CORE_DUMPING)


def next_signal(p: Proc) -> int:
    """The signal the process would take now: one that kills at once first, else the lowest unblocked pending
    one; 0 if none. A stopped process, and a vfork parent (suspended in a killable sleep:
    wait_for_vfork_done), take only a signal that kills at once; a dying process takes none."""
    if p.state != RUNNING or not p.sigpending or not p.stack:
        return 0
    ready = p.sigpending & ~(p.sigmask & BLOCKABLE)
    fatal = [s for s in range(1, NSIG_MODELLED + 1) if ready & bit(s) and fatal_at_once(p, s)]
    if fatal:
        return SIGKILL if SIGKILL in fatal else fatal[0]
    if p.stopped or p.vfork_child or not ready:
        return 0
    return (ready & -ready).bit_length() - 1


def fork_child(parent: Proc, child: Proc) -> Proc:
    """fork(2): dispositions, mask, running handlers and session are inherited; pending signals,
    stop state, the subreaper attribute and the parent-death signal are not."""
    return child._replace(sigdisp=parent.sigdisp, sigmask=parent.sigmask, handlers=parent.handlers, sid=parent.sid)


def uses_process_groups(program: ir.Program) -> bool:
    """Does the program change process groups (so the members of a group can change)?"""
    cached = _PGRP.get(id(program))
    if cached is None or cached[0] is not program:
        found = any(isinstance(ins, ir.Builtin) and ins.name in ("setpgid", "setsid")
                    for f in program.functions for ins in f.body)
        cached = _PGRP[id(program)] = (program, found)
    return cached[1]


_PGRP: dict[int, tuple] = {}


class SignalCalls:
    """The signal, process-group and prctl builtins of `Exec`, and the kernel's signal rules."""

    deliver_due = False  # set by a call after which the kernel delivers a pending signal before returning
    abort_handler = None  # (handler, flags, mask) of SIGABRT, when abort() has a handler to run first

    # ------------------------------------------------------------ processes by pid

    def proc(self, pid: int) -> Proc:
        return self.p if pid == self.pid and self.alive else self.procs[pid]

    def put_proc(self, q: Proc) -> None:
        if q.pid == self.pid and self.alive:
            self.p = q
        else:
            self.procs[q.pid] = q

    def check_signal(self, sig, allow_zero: bool = False) -> bool:
        if not isinstance(sig, int) or not (0 if allow_zero else 1) <= sig <= 64:
            return False
        if sig > NSIG_MODELLED:
            raise ModelError(f"real-time signal {sig}: only the standard signals 1..31 are modelled")
        return True

    def fail(self, code: int) -> int:
        self.set_errno(code)
        return -1

    # ------------------------------------------------------------ sending

    def send(self, pid: int, sig: int) -> None:
        """The kernel's side of sending `sig` to `pid` (prepare_signal, then queueing)."""
        q = self.proc(pid)
        if q.state != RUNNING:
            return
        pending = q.sigpending
        if sig in DEFAULT_STOP:
            pending &= ~bit(SIGCONT)
        elif sig == SIGCONT:
            pending &= ~STOP_BITS
            if q.stopped:
                q = q._replace(stopped=0, report=CONTINUED_REPORT, sigpending=pending, cld_report=True)
                self.put_proc(q)
                self.events.append(Event("continued", pid, signal=sig))
        if not ignored(q, sig):
            pending |= bit(sig)
            self.events.append(Event("signal_sent", self.pid, target=pid, signal=sig))
        if pending != q.sigpending:
            q = q._replace(sigpending=pending)
        self.put_proc(q)
        if pid == self.pid:
            self.deliver_due = True

    def notify_parent(self, q: Proc, stop: bool = False) -> bool:
        """SIGCHLD to the parent of `q` when it ends (or stops or continues, unless SA_NOCLDSTOP).
        For an exit: True if the parent ignores SIGCHLD or set SA_NOCLDWAIT, so nobody waits for `q`."""
        if q.ppid == INIT_PID or q.ppid not in self.procs:
            return False
        parent = self.proc(q.ppid)
        handler, flags, _ = disposition(parent, SIGCHLD)
        if stop:
            if handler != SIG_IGN and not flags & SA_NOCLDSTOP:
                self.send(parent.pid, SIGCHLD)
            return False
        if handler != SIG_IGN:
            self.send(parent.pid, SIGCHLD)
        return handler == SIG_IGN or bool(flags & SA_NOCLDWAIT)

    def adopter(self) -> int:
        """Who adopts the children of the exiting process: the nearest living subreaper ancestor, else init."""
        pid = self.procs[self.pid].ppid
        while pid != INIT_PID and pid in self.procs:
            a = self.procs[pid]
            if a.subreaper and a.state == RUNNING:
                return pid
            pid = a.ppid
        return INIT_PID

    def reparent_children(self) -> None:
        """exit(2): the children go to the adopter; each gets its parent-death signal; a zombie
        adopted by a subreaper is announced to it as if it had just exited."""
        adopter = self.adopter()
        for pid, q in list(self.procs.items()):
            if q.ppid != self.pid or pid == self.pid:
                continue
            q = q._replace(ppid=adopter)
            self.procs[pid] = q
            self.events.append(Event("reparent", pid, parent=adopter, old=self.pid))
            if q.pdeathsig:
                self.send(pid, q.pdeathsig)
            if q.state == ZOMBIE and adopter != INIT_PID and self.notify_parent(q):
                self.autoreap(q)

    def after_exit(self) -> None:
        """The exiting process's parent is told; if it ignores SIGCHLD the kernel reaps at once."""
        z = self.procs[self.pid]
        if z.alarm:
            z = self.procs[self.pid] = z._replace(alarm=0)  # its timer dies with it
        if self.notify_parent(z):
            self.autoreap(z)

    def autoreap(self, z: Proc) -> None:
        del self.procs[z.pid]
        self.refcounts = None
        self.events.append(Event("autoreap", z.ppid, child=z.pid, status=z.status))

    # ------------------------------------------------------------ delivery

    def signal_step(self, sig: int, choice: str):
        """A step of the target: take pending signal `sig` (terminate, stop, ignore or run the handler)."""
        from forkspec.kernel.step import Action

        line = self.instr().loc.line if self.func is not None else 0
        self.deliver(sig, choice, entered=choice != BEFORE_CALL)
        if self.config.merge_local:
            self.run_local()
        how = " (before the call starts, which then runs)" if choice == BEFORE_CALL else (
            f" ({choice.replace(':', 'ed, returns ')})" if choice else "")
        return Action(self.pid, line, f"{name(sig)} delivered{how}", tuple(self.events), choice)

    def delivery_choices(self, sig: int) -> tuple[str, ...]:
        """A handler may interrupt sleep(n) part-way: sleep then returns what was left (1..n).

        A process resting at pause(), or at a wait that would block, may be blocked in the
        call or only about to make it: a signal sent then may interrupt the call (EINTR)
        or be delivered before it starts, and the call then blocks afresh (the race that
        sigsuspend exists for). Nothing a program can see tells the two apart, so both.
        """
        ins = self.instr() if self.func is not None and not self.pending else None
        if isinstance(ins, ir.Builtin) and self.would_be_interrupted(ins, sig):
            return ("", BEFORE_CALL)
        if not (isinstance(ins, ir.Builtin) and ins.name in ("sleep", "usleep") and is_caught(disposition(self.p, sig)[0])):
            return ("",)
        n = self.eval(ins.args[0])
        if not isinstance(n, int) or n <= 0 or ins.dst is None or ins.dst not in self.func.live_out[self.pc]:
            return ("",)  # an unused result: interrupted or not, the process goes on the same way
        if ins.name == "usleep":
            return ("", "interrupt:-1")
        if n > 10:
            raise ModelError("a handler interrupting sleep(n) with n > 10 whose result is used is not modelled "
                             "(sleep would return any of 1..n)")
        return ("",) + tuple(f"interrupt:{k}" for k in range(1, n + 1))

    def deliver(self, sig: int, choice: str = "", entered: bool = True) -> None:
        """Take `sig`; `entered`: the process is inside the call at its location (a blocking
        call it has started), not on its way to it."""
        p = self.p
        self.p = p._replace(sigpending=p.sigpending & ~bit(sig))
        handler, flags, mask = disposition(p, sig)
        if sig in UNCATCHABLE or handler == SIG_DFL:
            if sig in DEFAULT_IGNORE:
                return
            if sig in DEFAULT_STOP:
                self.p = self.p._replace(stopped=sig, report=(sig << 8) | STOPPED_REPORT, cld_report=True)
                self.events.append(Event("stopped", self.pid, signal=sig))
                return
            self.pending = []
            self.events.append(Event("killed", self.pid, signal=sig, text=f"the default action of {name(sig)}"))
            self.terminate(sig)
            return
        if handler == SIG_IGN:
            return
        self.run_handler(sig, handler, flags, mask, choice, entered)

    def would_be_interrupted(self, ins, sig: int) -> bool:
        """Would a handler for `sig` make this call, once started and blocked, fail with EINTR?"""
        handler, flags, _ = disposition(self.p, sig)
        if sig in UNCATCHABLE or not is_caught(handler):
            return False
        if ins.name == "pause":
            return True
        return ins.name in RESTARTABLE and not flags & SA_RESTART and not self.enabled()

    def run_handler(self, sig: int, handler: int, flags: int, mask: int, choice: str = "",
                    entered: bool = True) -> None:
        """Push a frame for the handler; a blocking call it interrupts fails with EINTR (or restarts).

        A call the process has not entered yet (it is on its way back from the previous
        one, or the signal came first) is not interrupted: it runs when the handler returns.
        """
        index = (handler - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(handler, int) else -1
        if not (0 <= index < len(self.program.functions) and (handler - ir.FUNC_BASE) % ir.FUNC_STRIDE == 0):
            raise ModelError(f"the handler of {name(sig)} is not a function ({handler!r})")
        ins = self.instr() if not self.pending else None
        if isinstance(ins, ir.Builtin):
            interrupted = None
            if choice == "interrupt:-1" or (entered and ins.name == "pause"):
                interrupted = -1
            elif choice.startswith("interrupt:"):
                interrupted = int(choice.split(":")[1])
            elif entered and ins.name in RESTARTABLE and not flags & SA_RESTART and not self.enabled():
                interrupted = -1
            if interrupted is not None:
                if interrupted < 0:
                    self.set_errno(EINTR)
                if ins.dst is not None:
                    self.temps[ins.dst] = interrupted
                self.pc += 1
                self.kill_dead(self.pc - 1)
        old_mask, writes = self.p.sigmask, tuple(self.pending)
        new_mask = old_mask | mask | (0 if flags & SA_NODEFER else bit(sig))
        p = self.p
        if flags & SA_RESETHAND:
            p = with_disposition(p, sig, SIG_DFL, 0, 0)
        self.pending = []
        self.push(index, [sig], None, self.pc)
        depth = len(self.stack_rest) + 1
        self.p = p._replace(sigmask=new_mask & BLOCKABLE, handlers=p.handlers + ((depth, writes, old_mask, sig),))
        self.events.append(Event("handler_call", self.pid, signal=sig, handler=self.program.functions[index].name))

    def after_return(self) -> None:
        """sigreturn: when a handler's frame is popped, the mask and any unfinished writes come back."""
        hs = self.p.handlers
        if hs and len(self.stack_rest) + 1 < hs[-1][0]:
            _, writes, mask, sig = hs[-1]
            self.p = self.p._replace(handlers=hs[:-1], sigmask=mask)
            self.pending = list(writes) + self.pending
            self.events.append(Event("handler_return", self.pid, signal=sig))
            if next_signal(self.p):
                self.deliver_now()  # sigreturn is a system call: what it unblocked is delivered on its way back

    def after_system_call(self, ins, n_events: int) -> None:
        """A pending signal is delivered on the way back from the next system call at the latest."""
        if ins.name in SYSTEM_CALLS or any(e.kind == "write" and e.pid == self.pid for e in self.events[n_events:]):
            self.deliver_due = self.deliver_due or next_signal(self.p) != 0

    def deliver_now(self) -> None:
        """Before a call returns to a process that signalled itself or unblocked a signal, the kernel delivers one."""
        self.deliver_due = False
        if self.abort_handler:
            handler, flags, mask = self.abort_handler
            self.abort_handler = None
            self.pc -= 1  # the handler returns into abort(), which then kills
            self.run_handler(SIGABRT, handler, flags, mask)
            return
        sig = next_signal(self.p) if self.alive else 0
        if sig:
            self.deliver(sig, entered=False)  # the next instruction has not started

    def check_signal_safety(self, ins) -> None:
        """A handler that calls a function outside signal-safety(7) is recorded (the `signal-safety` property)."""
        if not self.p.handlers:
            return
        if isinstance(ins, ir.Builtin):
            fname = ins.name
            if fname in ASYNC_SIGNAL_SAFE or fname.startswith("__"):
                return
        elif isinstance(ins, ir.Call) and ins.func == self.program.exit_routine:
            fname = "exit"
        else:
            return
        sig = self.p.handlers[-1][3]
        self.events.append(Event("unsafe_call", self.pid, text=fname, line=ins.loc.line, signal=sig))

    # ------------------------------------------------------------ wait reports

    @staticmethod
    def wait_reportable(k: Proc, options: int) -> bool:
        """Has child `k` something for a wait with these options: an exit, or a stop/continue report?"""
        if k.state == ZOMBIE:
            return True
        if not k.report:
            return False
        if k.report == CONTINUED_REPORT:
            return bool(options & 8)
        return bool(options & 2)

    # ------------------------------------------------------------ builtins: sending

    def _b_kill(self, ins, choice, preview=False):
        """kill(2): pid > 0 that process, 0 the caller's group, -1 every process but init and the caller,
        < -1 the group -pid; signal 0 only checks; ESRCH if nothing matched; EPERM for init."""
        pid, sig = self.eval(ins.args[0]), self.eval(ins.args[1])
        if not self.check_signal(sig, allow_zero=True):
            return self.fail(EINVAL)
        if pid > 0:
            targets = [pid] if pid in self.procs else []
        elif pid == 0:
            targets = [q.pid for q in self.procs.values() if self.proc(q.pid).pgid == self.p.pgid]
        elif pid == -1:
            targets = [q for q in self.procs if q != self.pid]
        else:
            targets = [q.pid for q in self.procs.values() if q.pgid == -pid]
        if pid == INIT_PID:
            return self.fail(EPERM)  # the program runs unprivileged: init is not its to signal
        if not targets:
            return self.fail(ESRCH)
        for t in sorted(targets):
            if sig:
                self.send(t, sig)
        return 0

    def _b_raise(self, ins, choice, preview=False):
        """raise(3): the signal to the caller itself, delivered before raise returns."""
        sig = self.eval(ins.args[0])
        if not self.check_signal(sig, allow_zero=True):
            return self.fail(EINVAL)
        if sig:
            self.send(self.pid, sig)
        return 0

    # ------------------------------------------------------------ builtins: dispositions

    def set_action(self, sig: int, handler: int, flags: int, mask: int) -> None:
        """Install a disposition; making a signal ignored discards it if pending (POSIX)."""
        if flags & SA_SIGINFO:
            raise ModelError("SA_SIGINFO handlers (three arguments) are not modelled; use sa_handler")
        p = with_disposition(self.p, sig, handler, (flags & SA_KNOWN) | SA_RESTORER,
                             mask & BLOCKABLE)
        if handler == SIG_IGN or (handler == SIG_DFL and sig in DEFAULT_IGNORE):
            p = p._replace(sigpending=p.sigpending & ~bit(sig))
        self.p = p
        self.events.append(Event("sigaction", self.pid, signal=sig, handler=handler))

    def _b_signal(self, ins, choice, preview=False):
        """signal(3), glibc's BSD semantics: SA_RESTART, the signal blocked in its handler; returns the old handler."""
        sig, handler = self.eval(ins.args[0]), self.eval(ins.args[1])
        if not self.check_signal(sig) or sig in UNCATCHABLE:
            self.set_errno(EINVAL)
            return -1
        old = disposition(self.p, sig)[0]
        self.set_action(sig, handler, SA_RESTART, bit(sig))
        return old

    def _b_sigaction(self, ins, choice, preview=False):
        """sigaction(2) with struct sigaction {sa_handler, sa_mask, sa_flags}; SIGKILL and SIGSTOP: EINVAL."""
        sig, act, old = (self.eval(a) for a in ins.args)
        if not self.check_signal(sig) or (act and sig in UNCATCHABLE):
            return self.fail(EINVAL)
        handler, flags, mask = disposition(self.p, sig)
        if act:
            new = (self.load(act), self.load(act + ir.CELL), self.load(act + 2 * ir.CELL))
        if old:
            self.store(old, handler)
            self.store(old + ir.CELL, mask)
            self.store(old + 2 * ir.CELL, flags)
        if act:
            self.set_action(sig, new[0], new[2], new[1])
        return 0

    # ------------------------------------------------------------ builtins: signal sets and the mask

    def set_op(self, ins, op) -> int:
        where = self.eval(ins.args[0])
        sig = self.eval(ins.args[1]) if len(ins.args) > 1 else 0
        if len(ins.args) > 1 and not self.check_signal(sig):
            return self.fail(EINVAL)
        value = self.load(where)
        value = value if isinstance(value, int) else 0
        result = op(value, bit(sig))
        if result is not None:
            self.store(where, result)
            return 0
        return int(bool(value & bit(sig)))

    def _b_sigemptyset(self, ins, choice, preview=False):
        return self.set_op(ins, lambda v, b: 0)

    def _b_sigfillset(self, ins, choice, preview=False):
        return self.set_op(ins, lambda v, b: ALL_BITS)

    def _b_sigaddset(self, ins, choice, preview=False):
        return self.set_op(ins, lambda v, b: v | b)

    def _b_sigdelset(self, ins, choice, preview=False):
        return self.set_op(ins, lambda v, b: v & ~b)

    def _b_sigismember(self, ins, choice, preview=False):
        return self.set_op(ins, lambda v, b: None)

    def _b_sigprocmask(self, ins, choice, preview=False):
        """sigprocmask(2): SIGKILL and SIGSTOP cannot be blocked; a signal it unblocks is delivered before it returns."""
        how, new, old = (self.eval(a) for a in ins.args)
        mask = self.p.sigmask
        if new and how not in (SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK):
            return self.fail(EINVAL)
        if old:
            self.store(old, mask)
        if new:
            s = self.load(new)
            s = s if isinstance(s, int) else 0
            mask = {SIG_BLOCK: mask | s, SIG_UNBLOCK: mask & ~s, SIG_SETMASK: s}[how] & BLOCKABLE
            self.p = self.p._replace(sigmask=mask)
            self.deliver_due = next_signal(self.p) != 0
        return 0

    def _b_sigpending(self, ins, choice, preview=False):
        self.store(self.eval(ins.args[0]), self.p.sigpending)
        return 0

    # ------------------------------------------------------------ builtins: process groups, sessions

    def _b_getpgid(self, ins, choice, preview=False):
        pid = self.eval(ins.args[0]) or self.pid
        if pid not in self.procs:
            return self.fail(ESRCH)
        return self.proc(pid).pgid

    def _b_setpgid(self, ins, choice, preview=False):
        """setpgid(2): the caller or a child of it in the same session, into a group of that session."""
        pid, pgid = self.eval(ins.args[0]), self.eval(ins.args[1])
        if pgid < 0:
            return self.fail(EINVAL)
        target = pid or self.pid
        q = self.proc(target) if target in self.procs else None
        if q is None or (target != self.pid and q.ppid != self.pid):
            return self.fail(ESRCH)
        if q.sid != self.p.sid or q.sid == q.pid:
            return self.fail(EPERM)
        pgid = pgid or target
        if pgid != target and not any(r.pgid == pgid and r.sid == q.sid for r in self.procs.values()):
            return self.fail(EPERM)
        self.put_proc(q._replace(pgid=pgid))
        self.events.append(Event("setpgid", self.pid, target=target, child=pgid))
        return 0

    def _b_setsid(self, ins, choice, preview=False):
        """setsid(2): a new session and group led by the caller; EPERM for a group leader."""
        if any(self.proc(q).pgid == self.pid for q in self.procs):
            return self.fail(EPERM)
        self.p = self.p._replace(sid=self.pid, pgid=self.pid)
        self.events.append(Event("setsid", self.pid))
        return self.pid

    # ------------------------------------------------------------ builtins: alarm

    def alarm_choices(self, ins) -> tuple[str, ...]:
        """alarm() returns the seconds left of the previous alarm: time is not modelled, so any of 1..n."""
        old = self.p.alarm
        if not old or ins.dst is None or ins.dst not in self.func.live_out[self.pc]:
            return ("",)
        if old > 64:
            raise ModelError("alarm() replacing an alarm of more than 64 s whose result is used is not modelled "
                             "(it would return any of 1..n)")
        return tuple(f"left:{k}" for k in range(1, old + 1))

    def _b_alarm(self, ins, choice, preview=False):
        """alarm(2): SIGALRM after n seconds (at any later point: time is not modelled); 0 cancels;
        returns what was left of the previous alarm (0 if none). Not inherited by fork."""
        n = self.eval(ins.args[0])
        old = self.p.alarm
        self.p = self.p._replace(alarm=max(n, 0))
        return int(choice.split(":")[1]) if choice.startswith("left:") else old

    def cld_report_step(self):
        """The SIGCHLD of a stop or continue reaches the parent. Linux sends it after the child's
        state changed (do_notify_parent_cldstop, outside the siglock), so a parent's waitpid may
        already have seen the stop, and returned, before its SIGCHLD is pending."""
        from forkspec.kernel.step import Action

        self.p = self.p._replace(cld_report=False)
        self.put_proc(self.p)
        self.notify_parent(self.p, stop=True)
        self.deliver_due = False
        return Action(self.pid, 0, "SIGCHLD for the stop or continue reaches the parent", tuple(self.events),
                      "cld_report")

    def alarm_step(self):
        """The alarm of this process expires: SIGALRM becomes pending (taken in a later step)."""
        from forkspec.kernel.step import Action

        self.p = self.p._replace(alarm=0)
        self.events.append(Event("alarm", self.pid, signal=SIGALRM))
        self.send(self.pid, SIGALRM)
        self.deliver_due = False
        return Action(self.pid, 0, "alarm expires", tuple(self.events), "alarm")

    # ------------------------------------------------------------ builtins: prctl

    def _b_prctl(self, ins, choice, preview=False):
        """prctl(2): PR_SET/GET_CHILD_SUBREAPER and PR_SET/GET_PDEATHSIG."""
        option = self.eval(ins.args[0])
        arg = self.eval(ins.args[1])
        if option == PR_SET_CHILD_SUBREAPER:
            self.p = self.p._replace(subreaper=bool(arg))
            return 0
        if option == PR_GET_CHILD_SUBREAPER:
            self.store(arg, int(self.p.subreaper))
            return 0
        if option == PR_SET_PDEATHSIG:
            if not self.check_signal(arg, allow_zero=True):
                return self.fail(EINVAL)
            self.p = self.p._replace(pdeathsig=arg)
            return 0
        if option == PR_GET_PDEATHSIG:
            self.store(arg, self.p.pdeathsig)
            return 0
        raise ModelError(f"prctl option {option} is not modelled; supported: PR_SET_CHILD_SUBREAPER, "
                         "PR_GET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, PR_GET_PDEATHSIG")
