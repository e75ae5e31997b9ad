"""Signals and process groups over Z3 terms: `kernel/signals.py`'s rules, transcribed.

Each slot has its pending and blocked sets (64-bit vectors, bit n for signal n), the
signal that stopped it (0 if none), the stop or continue report its parent has not
waited for, its process group, and a disposition (handler, flags, mask) for each
signal the program may change (`sigprogram`). As in the kernel, a signal is sent in
the sender's step (`send`: prepare_signal, then queueing) and taken in a step of the
target of its own (`signal_block`), at any point the target rests at, or at once on
the way back from the target's next system call (`after_call`). Handler functions
run as frames pushed on the interrupted location (`run_handler`, the kernel's run_handler:
EINTR for pause and a blocking wait, pipe read or lock without SA_RESTART, the mask widened by sa_mask and
the signal unless SA_NODEFER, SA_RESETHAND), one at a time (`sigprogram.NEST`); the
mask each saved comes back at its return (`handler_return`, the kernel's after_return).
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import bv, is_sym
from forkspec.engines.symbolic import sigprogram as sg
from forkspec.engines.symbolic import vfork as vf
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.engines.symbolic.threads import PUSHED
from forkspec.kernel import signals as ks
from forkspec.kernel.step import WAITPID_OPTIONS
from forkspec.kernel.state import FIRST_PID, INIT_PID

RUNNING, ZOMBIE = 1, 2  # as in block.py
EPERM, ESRCH, EINVAL = ks.EPERM, ks.ESRCH, ks.EINVAL
# calls after which a signal of the caller's may be due that was not before (within one step nobody
# else moves: only the caller's own sending, unblocking or change of disposition can make one due)
CHANGES_DUE = frozenset({"kill", "raise", "sigprocmask", "signal", "sigaction"})


def signal_names(lay, s: int) -> list:
    """The state variables of slot s for a program that uses signals."""
    use = lay.signals
    if not use.used:
        return []
    out = [("spend", s), ("smask", s), ("stop", s), ("rep", s)] + ([("pg", s)] if use.groups else [])
    out += [("hm", s, j) for j in range(sg.NEST if use.catching else 0)]  # the mask each handler saved
    out += ([("alm", s)] if use.alarm else []) + ([("cld", s)] if use.late_cld else [])
    for g in use.tracked:
        out += [("sh", s, g), ("sf", s, g), ("sk", s, g)]
    return out


def initial_value(name):
    """The first process starts in its own group (the shell made it a group leader)."""
    return bv(FIRST_PID if name == ("pg", 0) else 0)


def bit(sig):
    return bv(1 << sig) if not is_sym(sig) else bv(1) << sig


def among(sig, values) -> z3.BoolRef:
    if not is_sym(sig):
        return z3.BoolVal(sig in values)
    return z3.Or([sig == v for v in sorted(values)]) if values else z3.BoolVal(False)


def has_bit(word, sig: int) -> z3.BoolRef:
    return z3.Extract(sig, sig, word) == 1


class SignalSteps:
    """The signal, process-group and wait-report rules of `Step` (a mixin: `self` is the Step)."""

    # ------------------------------------------------------------ state of a slot

    def present(self, p, t: int):
        """In the process table (kernel: `procs`): a vfork child exiting or stopped for good is too."""
        st = self.get(p, ("st", t))
        return vf.in_table(st) if self.lay.vforks else z3.Or(st == RUNNING, st == ZOMBIE)

    def runs(self, st):
        """The kernel's RUNNING: a vfork child stopped for good (UNDEF) still takes signals."""
        return z3.Or(st == RUNNING, st == vf.UNDEF) if self.lay.vforks else st == RUNNING

    def pgid(self, p, t: int):
        return self.get(p, ("pg", t)) if self.lay.signals.groups else bv(FIRST_PID)

    def disposition(self, p, t: int, sig) -> tuple:
        """(handler, flags, mask) of `sig` in slot t; SIG_DFL for a signal the program never changes."""
        tracked = self.lay.signals.tracked
        if not is_sym(sig):
            if sig in tracked:
                return tuple(self.get(p, (n, t, sig)) for n in ("sh", "sf", "sk"))
            return bv(0), bv(0), bv(0)
        h, f, k = bv(0), bv(0), bv(0)
        for g in tracked:
            c = sig == g
            h = z3.If(c, self.get(p, ("sh", t, g)), h)
            f = z3.If(c, self.get(p, ("sf", t, g)), f)
            k = z3.If(c, self.get(p, ("sk", t, g)), k)
        return h, f, k

    def ignored(self, p, t: int, sig) -> z3.BoolRef:
        """kernel: signals.ignored (discarded when sent)."""
        h = self.disposition(p, t, sig)[0]
        blocked = (self.get(p, ("smask", t)) & bit(sig)) != 0
        return z3.And(z3.Not(among(sig, ks.UNCATCHABLE)), z3.Not(blocked),
                      z3.Or(h == ks.SIG_IGN, z3.And(h == ks.SIG_DFL, among(sig, ks.DEFAULT_IGNORE))))

    def next_signal(self, p, t: int):
        """kernel: signals.next_signal: one that kills at once first (SIGKILL before the others),
        else the lowest unblocked pending one, none while stopped; 0 if none."""
        pend, mask = self.get(p, ("spend", t)), self.get(p, ("smask", t))
        possible = self.lay.signals.possible  # no other signal is ever pending (`valid_signal`)
        stop = self.get(p, ("stop", t))
        if self.lay.vforks and t == 0:  # a suspended vfork parent sleeps killably: as if stopped
            stop = z3.If(self.get(p, ("susp",)) == 1, bv(ks.SIGSTOP), stop)
        inputs = [pend, mask, stop, self.get(p, ("st", t))] + \
            [self.disposition(p, t, g)[0] for g in possible]
        key = (t,) + tuple(v.get_id() if is_sym(v) else ("v", v) for v in inputs)
        cache = self.__dict__.setdefault("_signal_cache", {})  # the blocks of one step share their frame
        if key not in cache:
            cache[key] = self._next_signal(pend, mask, inputs[2], inputs[3], dict(zip(possible, inputs[4:])))
        return cache[key]

    def _next_signal(self, pend, mask, stop, st, handlers: dict):
        ready = pend & ~(mask & bv(ks.BLOCKABLE))
        possible = self.lay.signals.possible
        lowest = bv(0)
        for g in reversed(possible):
            lowest = z3.If(has_bit(ready, g), bv(g), lowest)
        out = z3.If(z3.Or(stop != 0, ready == 0), bv(0), lowest)
        never = ks.DEFAULT_IGNORE | ks.DEFAULT_STOP | ks.CORE_DUMPING
        for g in reversed(possible):
            if g == ks.SIGKILL or g in never:
                continue
            out = z3.If(z3.And(has_bit(ready, g), handlers[g] == ks.SIG_DFL), bv(g), out)
        if ks.SIGKILL in possible:
            out = z3.If(has_bit(ready, ks.SIGKILL), bv(ks.SIGKILL), out)
        return z3.simplify(z3.If(self.runs(st), out, bv(0)))

    def fail_with(self, p, s: int, code: int):
        self.store(p, s, ("g", ir.ERRNO_SLOT), code)
        return -1

    # ------------------------------------------------------------ sending

    def send(self, p, t: int, sig, cond) -> None:
        """kernel: SignalCalls.send to slot t, where `cond` holds (a running target only)."""
        g = self.get
        live = z3.And(cond, self.runs(g(p, ("st", t))))
        pend = g(p, ("spend", t))
        stop_sig, cont = among(sig, ks.DEFAULT_STOP), among(sig, {ks.SIGCONT})
        pend1 = z3.If(stop_sig, pend & ~bv(ks.bit(ks.SIGCONT)), z3.If(cont, pend & ~bv(ks.STOP_BITS), pend))
        if not z3.is_false(z3.simplify(cont)):
            stopped = g(p, ("stop", t))
            wake = z3.And(live, cont, stopped != 0)
            self.set(p, ("stop", t), z3.If(wake, bv(0), stopped))
            self.set(p, ("rep", t), z3.If(wake, bv(ks.CONTINUED_REPORT), g(p, ("rep", t))))
            self.report_stop(p, t, wake)
        add = z3.And(live, z3.Not(self.ignored(p, t, sig)))
        self.set(p, ("spend", t), z3.If(live, z3.If(add, pend1 | bit(sig), pend1), pend))

    def notify_parent(self, p, t: int, cond, stop: bool):
        """SIGCHLD to slot t's parent (kernel: notify_parent). For an exit: whether the parent ignores
        SIGCHLD or set SA_NOCLDWAIT, so the kernel reaps slot t at once."""
        ppid = self.get(p, ("ppid", t))
        autoreap = []
        for c in range(t):
            parent = z3.And(cond, ppid == FIRST_PID + c, self.present(p, c))
            h, f, _ = self.disposition(p, c, ks.SIGCHLD)
            if stop:
                self.send(p, c, ks.SIGCHLD, z3.And(parent, h != ks.SIG_IGN, f & ks.SA_NOCLDSTOP == 0))
            else:
                self.send(p, c, ks.SIGCHLD, z3.And(parent, h != ks.SIG_IGN))
                autoreap.append(z3.And(parent, z3.Or(h == ks.SIG_IGN, f & ks.SA_NOCLDWAIT != 0)))
        return z3.Or(autoreap) if autoreap else z3.BoolVal(False)

    def report_stop(self, p, t: int, cond) -> None:
        """A stop or continue of slot t is told to its parent: at once, or (`late_cld`) in a later
        step of slot t, as the kernel sends it after the state changed (`report_block`)."""
        if not self.lay.signals.late_cld:
            self.notify_parent(p, t, cond, stop=True)
            return
        self.set(p, ("cld", t), z3.If(cond, bv(1), self.get(p, ("cld", t))))

    def report_block(self, s: int, path_class) -> list:
        """kernel: cld_report_step: the SIGCHLD of slot s's stop or continue reaches its parent."""
        p = path_class(None)
        p.guard.append(self.get(p, ("cld", s)) == 1)  # cleared when it ends (`signals_at_exit`)
        self.set(p, ("cld", s), bv(0))
        self.notify_parent(p, s, z3.BoolVal(True), stop=True)
        return [p]

    def alarm_block(self, s: int, path_class) -> list:
        """kernel: alarm_step: slot s's alarm expires (time is not modelled: at any step after alarm()
        set it); SIGALRM becomes pending, taken in a later step."""
        p = path_class(None)
        p.guard.append(self.get(p, ("alm", s)) != 0)  # cleared when it ends; sent only to a running slot
        self.set(p, ("alm", s), bv(0))
        self.send(p, s, ks.SIGALRM, z3.BoolVal(True))
        return [p]

    def signals_at_exit(self, p, s: int) -> None:
        """kernel: terminate and after_exit: a stop's SIGCHLD not sent yet goes first; the timer dies."""
        if self.lay.signals.late_cld:
            cld = self.get(p, ("cld", s)) == 1
            self.set(p, ("cld", s), bv(0))
            self.notify_parent(p, s, cld, stop=True)
        if self.lay.signals.alarm:
            self.set(p, ("alm", s), bv(0))

    def b_alarm(self, p, s, ins, ev):
        """kernel: _b_alarm and alarm_choices: the new timer (0 cancels); the seconds left of the old
        one, any of 1..old when the result is used (time is not modelled), else old."""
        n = ev.eval(ins.args[0])
        old = self.get(p, ("alm", s))
        self.set(p, ("alm", s), z3.If(n < 0, bv(0), n) if is_sym(n) else bv(max(n, 0)))
        f, pc = p.key[-1]
        if ins.dst is None or ins.dst not in self.lay.program.functions[f].live_out[pc]:
            return [(p, old)]
        out = []
        for q, none in self.split(p, old == 0):
            if none:
                out.append((q, 0))
                continue
            for r, long in self.split(q, old > 64):
                if long:  # kernel: ModelError (an alarm of more than 64 s whose result is used)
                    self.beyond(r, s, "alarm() replacing an alarm of more than 64 s whose result is used")
                    out.append((r, None))
                    continue
                r.guard += [self.left >= 1, self.left <= old]
                r.reads_left = True
                out.append((r, self.left))
        return out

    # ------------------------------------------------------------ delivery

    def deliver(self, p, s: int, sig, entered: bool = False, caught: bool = False) -> list:
        """kernel: SignalCalls.deliver. A stop ends the step. A signal not known here is taken as each
        signal it may be (the callers' guards rule out 0), which keeps each path's terms concrete.
        `entered`: the slot may be inside the blocking call it rests at (a signal step), not on its
        way to the next instruction (a delivery on the way back from a call or a handler).
        `caught`: the path's guard already says a handler takes it, so the default actions'
        paths (an exit, which notifies the parent) would only be built to be ruled out."""
        if is_sym(sig) and self.lay.signals.catching:
            out = []
            for g in self.lay.signals.possible:
                q = p.clone()
                q.guard.append(sig == g)
                out.extend(self.deliver(q, s, g, entered))
            return out
        self.set(p, ("spend", s), self.get(p, ("spend", s)) & ~bit(sig))
        if caught:
            return self.run_handler(p, s, sig, entered=entered)
        h = self.disposition(p, s, sig)[0]
        default = self.decide(z3.Or(among(sig, ks.UNCATCHABLE), h == ks.SIG_DFL), h)
        ignore = self.decide(z3.Or(z3.And(default, among(sig, ks.DEFAULT_IGNORE)), z3.And(z3.Not(default), h == ks.SIG_IGN)), h)
        stop = z3.And(default, among(sig, ks.DEFAULT_STOP))
        out = []
        for q, ign in self.split(p, ignore):
            if ign:
                out.append(q)
                continue
            for r, stops in self.split(q, stop):
                if stops:
                    self.set(r, ("stop", s), sig)
                    self.set(r, ("rep", s), (sig << 8) | ks.STOPPED_REPORT if not is_sym(sig)
                             else (sig << 8) | bv(ks.STOPPED_REPORT))
                    self.report_stop(r, s, z3.BoolVal(True))
                    r.held = True  # a stopped process runs no further in this step
                    out.append(r)
                    continue
                for u, caught in self.split(r, z3.Not(default)):
                    if caught and self.lay.signals.catching and u.key is not None:
                        out.extend(self.run_handler(u, s, sig, entered=entered))
                        continue
                    if caught:
                        self.beyond(u, s, "a signal caught by a handler")
                    else:
                        self.terminate(u, s, sig)
                    out.append(u)
        return out

    # ------------------------------------------------------------ handlers

    def run_handler(self, p, s: int, sig, disposition=None, entered: bool = False) -> list:
        """kernel: run_handler: a pause, or a wait, pipe read, flock or F_SETLKW that would block
        (without SA_RESTART), ends with EINTR; the handler's frame is pushed where the process is, with the mask widened.

        kernel: delivery_choices: at a signal step (`entered`) the slot may also not have started
        that call yet: the step's `early` choice runs the handler first and leaves the call to run."""
        handler, flags, mask = disposition or self.disposition(p, s, sig)
        depth = self.lay.signals.in_handler(p.key)
        if depth >= sg.NEST:
            self.beyond(p, s, "a signal handler interrupted by another caught signal")
            return [p]
        ins = self.lay.instr(p.key)
        eintr = z3.BoolVal(False)
        if not entered:
            pass  # the call at the slot's location has not started: nothing to interrupt
        elif isinstance(ins, ir.Builtin) and ins.name == "pause":
            eintr = z3.BoolVal(True)
        elif isinstance(ins, ir.Builtin) and ins.name in ("wait", "waitpid"):
            ev = self.ctx(p, s, ins.loc)
            pid_arg, options = (-1, 0) if ins.name == "wait" else (ev.eval(ins.args[0]), ev.eval(ins.args[2]))
            if is_sym(options):
                raise NotEncoded("waitpid with symbolic options interrupted by a handler", ins.loc)
            if not options & ~WAITPID_OPTIONS:
                eintr = z3.And((flags & ks.SA_RESTART) == 0, z3.Not(self.wait_ready(p, s, pid_arg, options)[3]))
        elif isinstance(ins, ir.Builtin) and ins.name in ks.RESTARTABLE:  # read, flock, fcntl F_SETLKW
            ready = self.fd_call_ready(p, s, ins, self.ctx(p, s, ins.loc))
            eintr = z3.And((flags & ks.SA_RESTART) == 0, z3.Not(ready))
        out = []
        for q, cut in self.split(p, eintr):
            if cut and self.early is not None:  # blocked in the call (EINTR), or only about to make it
                r = q.clone()
                r.choice, q.choice = self.with_choice(r, self.early), self.with_choice(q, z3.Not(self.early))
                r.early = q.early = True
                out.extend(self.enter_handler(r, s, sig, handler, flags, mask, depth))
            if cut:
                f, pc = q.key[-1]
                self.fail_with(q, s, ks.EINTR)
                if ins.dst is not None:
                    self.set_temp(q, s, ins.dst, -1)
                q.key = q.key[:-1] + ((f, pc + 1),)
            out.extend(self.enter_handler(q, s, sig, handler, flags, mask, depth))
        return out

    @staticmethod
    def with_choice(p, cond):
        return cond if p.choice is None else z3.And(p.choice, cond)

    def enter_handler(self, q, s: int, sig, handler, flags, mask, depth: int) -> list:
        """The mask widened (sa_mask, and the signal unless SA_NODEFER), SA_RESETHAND, the handler's frame."""
        old = self.get(q, ("smask", s))
        self.set(q, ("hm", s, depth), old)
        widened = old | mask | z3.If((flags & ks.SA_NODEFER) != 0, bv(0), bit(sig))
        self.set(q, ("smask", s), widened & ks.BLOCKABLE)
        reset = (flags & ks.SA_RESETHAND) != 0
        for g in self.lay.signals.tracked:
            hit = z3.And(reset, sig == g) if is_sym(sig) else z3.And(reset, z3.BoolVal(sig == g))
            for n in ("sh", "sf", "sk"):
                self.set(q, (n, s, g), z3.If(hit, bv(0), self.get(q, (n, s, g))))
        return self.push_handler(q, s, handler, sig)

    def push_handler(self, p, s: int, handler, sig) -> list:
        """The handler's frame, for each function the handler's value may name; anything else is beyond.
        The path's guard says `handler` is neither SIG_DFL nor SIG_IGN (the signal is caught): when
        it is known to hold nothing but those and the functions tried, the last one is the only
        one left, and neither it nor a path beyond is a split."""
        out, rest = [], p
        f, pc = p.key[-1]
        hs = self.lay.signals.handlers_of(sig if not is_sym(sig) else None)
        funcs = [ir.FUNC_BASE + h * ir.FUNC_STRIDE for h in hs]
        known = self.known_values(handler)
        closed = known is not None and known <= {ks.SIG_DFL, ks.SIG_IGN, *funcs}
        for i, (h, want) in enumerate(zip(hs, funcs)):
            if rest is None:
                break
            hit = z3.BoolVal(True) if closed and i == len(hs) - 1 else \
                handler == want if is_sym(handler) else z3.BoolVal(handler == want)
            rest = self.pick(rest, hit,
                             lambda q, h=h: (self.push(q, s, h, [sig], pc), out.append(q)))
        if rest is not None:
            self.beyond(rest, s, "a signal handler that is not one of the program's functions")
            out.append(rest)
        return out

    def handler_return(self, p, s: int) -> list:
        """kernel: after_return (sigreturn): the saved mask comes back; what it unblocks is taken at once."""
        depth = self.lay.signals.in_handler(p.key) - 1
        p.key = p.key[:-1]
        self.set(p, ("smask", s), self.get(p, ("hm", s, depth)))
        p.calm = False
        nxt = self.next_signal(p, s)
        out = []
        for q, now in self.split(p, nxt != 0):
            out.extend(self.deliver(q, s, nxt) if now else [q])
        return out

    def abort_signal(self, p, s: int) -> list:
        """kernel: _b_abort: SIGABRT is unblocked; with a handler, the disposition is reset and the handler
        runs on top of abort(), which kills when it returns; else killed by SIGABRT."""
        self.set(p, ("smask", s), self.get(p, ("smask", s)) & ~bv(ks.bit(ks.SIGABRT)))
        disposition = self.disposition(p, s, ks.SIGABRT)
        out = []
        for q, caught in self.split(p, z3.And(disposition[0] != ks.SIG_DFL, disposition[0] != ks.SIG_IGN)):
            if not caught:
                self.terminate(q, s, ks.SIGABRT)
                out.append((q, None))
                continue
            if ks.SIGABRT in self.lay.signals.tracked:
                for n, v in (("sh", 0), ("sf", ks.SA_RESTORER), ("sk", 0)):  # kernel: set_action(SIGABRT, SIG_DFL)
                    self.set(q, (n, s, ks.SIGABRT), bv(v))
            out.extend((r, PUSHED) for r in self.run_handler(q, s, ks.SIGABRT, disposition))
        return out

    def check_signal_safety(self, p, ins) -> None:
        """kernel: check_signal_safety: a call outside signal-safety(7) in a handler (`unsafe_call`)."""
        if not self.lay.signals.in_handler(p.key):
            return
        if isinstance(ins, ir.Builtin):
            if ins.name in ks.ASYNC_SIGNAL_SAFE or ins.name.startswith("__"):
                return
        elif not (isinstance(ins, ir.Call) and ins.func == self.lay.program.exit_routine):
            return
        p.event("unsafe_call", True)

    def split(self, p, cond) -> list:
        from forkspec.engines.symbolic.block import cases
        return cases(p, cond)

    def after_call(self, p, s: int, ins, wrote) -> list:
        """kernel: after_system_call and deliver_now: a pending signal is taken on the way back from a
        system call (or a stdio call that wrote) before the process goes on."""
        if ins.name in CHANGES_DUE:
            p.calm = False
        if p.calm:  # none was due at an earlier call of this step, and nothing since made one due
            return [p]
        due = wrote if ins.name not in ks.SYSTEM_CALLS else z3.BoolVal(True)
        nxt = self.next_signal(p, s)
        out = []
        for q, now in self.split(p, z3.And(due, nxt != 0)):
            if now:
                out.extend(self.deliver(q, s, nxt))
                continue
            q.calm = z3.is_true(z3.simplify(due)) if not isinstance(due, bool) else due
            out.append(q)
        return out

    def signal_block(self, s: int, path_class, key=None) -> list:
        """A step of slot s that takes its next pending signal (kernel: Kernel.signal_successors), at
        location `key` when a handler may run (its frame goes on top of it)."""
        p = path_class(key)
        nxt = self.next_signal(p, s)
        if key is None:
            p.guard.append(nxt != 0)
            if self.lay.signals.catching:  # a caught one is taken by the blocks at each location
                p.guard.append(z3.Not(self.caught(p, s, nxt)))
            return self.deliver(p, s, nxt)
        out = []
        cache = self.__dict__.setdefault("_caught_cache", {})  # the same for every location of slot s
        for g in sorted(set(self.lay.signals.tracked) & set(self.lay.signals.possible)):
            h = self.disposition(p, s, g)[0]
            key_g = (nxt.get_id() if is_sym(nxt) else nxt, h.get_id() if is_sym(h) else h, g)
            if key_g not in cache:
                cache[key_g] = z3.simplify(z3.And(nxt == g, self.caught(p, s, g)))
            this = cache[key_g]
            if z3.is_false(this):
                continue  # not pending, or no handler for it in this frame: no path to build
            q = p.clone()
            q.guard.append(this)
            out.extend(self.deliver(q, s, g, entered=True, caught=True))
        return out

    def caught(self, p, s: int, sig):
        """Does slot s run a handler for `sig` (neither SIG_DFL nor SIG_IGN, and catchable)?"""
        h = self.disposition(p, s, sig)[0]
        return z3.And(z3.Not(among(sig, ks.UNCATCHABLE)), h != ks.SIG_DFL, h != ks.SIG_IGN)

    # ------------------------------------------------------------ fork and wait

    def copy_signals(self, p, s: int, c: int) -> None:
        """kernel: signals.fork_child: dispositions, mask and group inherited; no pending signal, no stop."""
        for name in signal_names(self.lay, s):
            kind = name[0]
            if kind in ("spend", "stop", "rep", "alm", "cld"):
                self.set(p, (kind, c), bv(0))
            else:
                self.set(p, (kind, c) + name[2:], self.get(p, name))

    def wait_match(self, p, s: int, c: int, pid_arg):
        """waitpid's pid argument against child slot c: a pid, any (-1), the caller's group (0), a group."""
        mine, theirs = self.pgid(p, s), self.pgid(p, c)
        if not is_sym(pid_arg):
            if pid_arg > 0:
                return z3.BoolVal(pid_arg == FIRST_PID + c)
            if pid_arg == -1:
                return z3.BoolVal(True)
            return theirs == mine if pid_arg == 0 else theirs == -pid_arg
        return z3.Or(z3.And(pid_arg > 0, pid_arg == FIRST_PID + c), pid_arg == -1,
                     z3.And(pid_arg == 0, theirs == mine), z3.And(pid_arg < -1, theirs == -pid_arg))

    def reportable(self, p, c: int, options: int):
        """kernel: wait_reportable: an exit, or a stop (WUNTRACED) or continue (WCONTINUED) report."""
        zombie = self.get(p, ("st", c)) == ZOMBIE
        if not self.lay.signals.used or not options & 10:
            return zombie
        rep = self.get(p, ("rep", c))
        cont = rep == ks.CONTINUED_REPORT
        return z3.Or(zombie, z3.And(rep != 0, z3.If(cont, z3.BoolVal(bool(options & 8)), z3.BoolVal(bool(options & 2)))))

    def take_report(self, p, s: int, c: int, status_ptr, reap):
        """The child's exit is reaped, or its report taken (once)."""
        if not self.lay.signals.used:  # no stops, no reports: only an exit
            return [reap(p)]
        out = []
        for q, dead in self.split(p, self.get(p, ("st", c)) == ZOMBIE):
            if dead:
                out.append(reap(q))
                continue
            if status_ptr:
                self.store(q, s, self.address(q, s, status_ptr), self.get(q, ("rep", c)))
            self.set(q, ("rep", c), bv(0))
            out.append(q)
        return out

    # ------------------------------------------------------------ builtins: sending

    def valid_signal(self, p, s: int, sig, allow_zero: bool) -> list:
        """kernel: check_signal: (path, valid) pairs; a real-time signal (32..64) is beyond the model, and
        so is a number computed at run time that appears nowhere in the program (`SignalUse.possible`)."""
        lo = 0 if allow_zero else 1
        if not is_sym(sig):
            if lo <= sig <= ks.NSIG_MODELLED:
                return [(p, True)]
            if ks.NSIG_MODELLED < sig <= 64:
                raise NotEncoded(f"the real-time signal {sig}")
            return [(p, False)]
        out = []
        for q, ok in self.split(p, z3.And(sig >= lo, sig <= ks.NSIG_MODELLED)):
            if ok:
                for r, known in self.split(q, among(sig, set(self.lay.signals.possible) | {0})):
                    if not known:
                        self.beyond(r, s, "a signal number computed at run time")
                    out.append((r, True if known else None))
                continue
            for r, rt in self.split(q, z3.And(sig > ks.NSIG_MODELLED, sig <= 64)):
                if rt:
                    self.beyond(r, s, "a real-time signal")
                    out.append((r, None))
                else:
                    out.append((r, False))
        return out

    def b_kill(self, p, s, ins, ev):
        """kernel: _b_kill: pid > 0 that process, 0 the caller's group, -1 all but the caller, < -1 a group."""
        pid, sig = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        return self.with_valid_signal(p, s, sig, lambda q: self.kill_targets(q, s, pid, sig))

    def with_valid_signal(self, p, s: int, sig, send) -> list:
        """kill/raise: EINVAL for a signal number out of range, else `send(path)` (a list of results)."""
        out = []
        for q, ok in self.valid_signal(p, s, sig, allow_zero=True):
            if ok is None:
                out.append((q, None))
            elif not ok:
                out.append((q, self.fail_with(q, s, EINVAL)))
            else:
                out.extend(send(q))
        return out

    def kill_targets(self, p, s: int, pid, sig) -> list:
        mine = self.pgid(p, s)
        targets = []
        for t in range(self.enc.slots):
            theirs = self.pgid(p, t)
            if not is_sym(pid):
                by = (pid == FIRST_PID + t if pid > 0 else theirs == mine if pid == 0
                      else t != s if pid == -1 else theirs == -pid)
                by = z3.BoolVal(by) if isinstance(by, bool) else by
            else:
                by = z3.Or(z3.And(pid > 0, pid == FIRST_PID + t), z3.And(pid == 0, theirs == mine),
                           z3.And(pid == -1, z3.BoolVal(t != s)), z3.And(pid < -1, theirs == -pid))
            targets.append(z3.And(self.present(p, t), by))
        out = []
        for q, init in self.split(p, pid == INIT_PID if is_sym(pid) else pid == INIT_PID):
            if init:
                out.append((q, self.fail_with(q, s, EPERM)))
                continue
            for r, none in self.split(q, z3.Not(z3.Or(targets))):
                if none:
                    out.append((r, self.fail_with(r, s, ESRCH)))
                    continue
                if is_sym(sig) or sig:
                    for t, cond in enumerate(targets):
                        self.send(r, t, sig, z3.And(cond, sig != 0) if is_sym(sig) else cond)
                out.append((r, 0))
        return out

    def b_raise(self, p, s, ins, ev):
        sig = ev.eval(ins.args[0])

        def to_self(q) -> list:
            if is_sym(sig) or sig:
                self.send(q, s, sig, sig != 0 if is_sym(sig) else z3.BoolVal(True))
            return [(q, 0)]

        return self.with_valid_signal(p, s, sig, to_self)

    # ------------------------------------------------------------ builtins: dispositions

    def set_action(self, p, s: int, sig: int, handler, flags, mask) -> list:
        """kernel: set_action, for SIG_IGN, SIG_DFL and the program's handler functions (any other value
        is beyond the encoding); making a signal ignored discards it if pending."""
        out = []
        values = (ks.SIG_DFL, ks.SIG_IGN) + tuple(ir.FUNC_BASE + h * ir.FUNC_STRIDE for h in self.lay.signals.handlers)
        for q, known in self.split(p, among(handler, values) if is_sym(handler) else z3.BoolVal(handler in values)):
            if not known:
                self.beyond(q, s, "a signal handler")
                out.append(q)
                continue
            for r, info in self.split(q, (flags & ks.SA_SIGINFO) != 0 if is_sym(flags) else z3.BoolVal(bool(flags & ks.SA_SIGINFO))):
                if info:
                    self.beyond(r, s, "an SA_SIGINFO handler")
                    out.append(r)
                    continue
                known = self.known_values(handler)
                self.set(r, ("sh", s, sig), _one_of(handler, [v for v in values if known is None or v in known]))
                self.set(r, ("sf", s, sig), (flags & ks.SA_KNOWN) | ks.SA_RESTORER)
                self.set(r, ("sk", s, sig), mask & ks.BLOCKABLE)
                drop = z3.Or(handler == ks.SIG_IGN, z3.And(handler == ks.SIG_DFL, among(sig, ks.DEFAULT_IGNORE)))
                pend = self.get(r, ("spend", s))
                self.set(r, ("spend", s), z3.If(drop, pend & ~bit(sig), pend))
                out.append(r)
        return out

    def b_signal(self, p, s, ins, ev):
        """kernel: _b_signal (glibc's BSD semantics); returns the old handler."""
        sig, handler = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        if not 1 <= sig <= ks.NSIG_MODELLED or sig in ks.UNCATCHABLE:
            if ks.NSIG_MODELLED < sig <= 64:
                raise NotEncoded(f"the real-time signal {sig}", ins.loc)
            return [(p, self.fail_with(p, s, EINVAL))]
        old = self.disposition(p, s, sig)[0]
        return [(q, old) for q in self.set_action(p, s, sig, handler, ks.SA_RESTART, ks.bit(sig))]

    def b_sigaction(self, p, s, ins, ev):
        """kernel: _b_sigaction with struct sigaction {sa_handler, sa_mask, sa_flags}."""
        sig, act, old = (ev.eval(a) for a in ins.args)
        if is_sym(act) or is_sym(old):
            raise NotEncoded("sigaction() with a pointer that is not a constant address", ins.loc)
        if not 1 <= sig <= ks.NSIG_MODELLED or (act and sig in ks.UNCATCHABLE):
            if ks.NSIG_MODELLED < sig <= 64:
                raise NotEncoded(f"the real-time signal {sig}", ins.loc)
            return [(p, self.fail_with(p, s, EINVAL))]
        handler, flags, mask = self.disposition(p, s, sig)
        if act:
            new = [self.get(p, ("m", s, self.address(p, s, act + i * ir.CELL))) for i in range(3)]
        if old:
            for i, v in enumerate((handler, mask, flags)):
                self.store(p, s, self.address(p, s, old + i * ir.CELL), v)
        if not act:
            return [(p, 0)]
        return [(q, 0) for q in self.set_action(p, s, sig, new[0], new[2], new[1])]

    def address(self, p, s: int, addr: int):
        from forkspec.engines.symbolic.block import _Ctx
        return _Ctx(self, p, s).address_key(addr)

    # ------------------------------------------------------------ builtins: signal sets and the mask

    def set_op(self, p, s: int, ins, ev, op) -> list:
        """kernel: set_op: a sigset_t is one cell; the signal is checked (EINVAL)."""
        where = ev.eval(ins.args[0])
        if is_sym(where):
            raise NotEncoded(f"{ins.name}() of a set that is not at a constant address", ins.loc)
        key = self.address(p, s, where)
        sig = ev.eval(ins.args[1]) if len(ins.args) > 1 else 1
        out = []
        for q, ok in self.valid_signal(p, s, sig, allow_zero=False):
            if ok is None:
                out.append((q, None))
            elif not ok:
                out.append((q, self.fail_with(q, s, EINVAL)))
            else:
                value = self.get(q, ("m", s, key))
                result = op(value, bit(sig))
                if result is None:
                    out.append((q, z3.If((value & bit(sig)) != 0, bv(1), bv(0))))
                else:
                    self.store(q, s, key, result)
                    out.append((q, 0))
        return out

    def b_sigemptyset(self, p, s, ins, ev):
        return self.set_op(p, s, ins, ev, lambda v, b: bv(0))

    def b_sigfillset(self, p, s, ins, ev):
        return self.set_op(p, s, ins, ev, lambda v, b: bv(ks.ALL_BITS))

    def b_sigaddset(self, p, s, ins, ev):
        return self.set_op(p, s, ins, ev, lambda v, b: v | b)

    def b_sigdelset(self, p, s, ins, ev):
        return self.set_op(p, s, ins, ev, lambda v, b: v & ~b)

    def b_sigismember(self, p, s, ins, ev):
        return self.set_op(p, s, ins, ev, lambda v, b: None)

    def b_sigprocmask(self, p, s, ins, ev):
        """kernel: _b_sigprocmask: SIGKILL and SIGSTOP cannot be blocked (what it unblocks is taken on
        the way back: `after_call`)."""
        how, new, old = (ev.eval(a) for a in ins.args)
        if is_sym(how) or is_sym(new) or is_sym(old):
            raise NotEncoded("sigprocmask() with arguments that are not constants", ins.loc)
        mask = self.get(p, ("smask", s))
        if new and how not in (ks.SIG_BLOCK, ks.SIG_UNBLOCK, ks.SIG_SETMASK):
            return [(p, self.fail_with(p, s, EINVAL))]
        if old:
            self.store(p, s, self.address(p, s, old), mask)
        if new:
            v = self.get(p, ("m", s, self.address(p, s, new)))
            mask = {ks.SIG_BLOCK: mask | v, ks.SIG_UNBLOCK: mask & ~v, ks.SIG_SETMASK: v}[how] & ks.BLOCKABLE
            self.set(p, ("smask", s), mask)
        return [(p, 0)]

    def b_sigpending(self, p, s, ins, ev):
        where = ev.eval(ins.args[0])
        if is_sym(where):
            raise NotEncoded("sigpending() of a set that is not at a constant address", ins.loc)
        self.store(p, s, self.address(p, s, where), self.get(p, ("spend", s)))
        return [(p, 0)]

    # ------------------------------------------------------------ builtins: process groups

    def b_getpgid(self, p, s, ins, ev):
        pid = ev.eval(ins.args[0])
        out = []
        value = bv(0)
        found = []
        for t in range(self.enc.slots):
            which = (z3.Or(pid == FIRST_PID + t, z3.And(pid == 0, z3.BoolVal(t == s))) if is_sym(pid)
                     else z3.BoolVal((pid or FIRST_PID + s) == FIRST_PID + t))
            hit = z3.And(self.present(p, t), which)
            found.append(hit)
            value = z3.If(hit, self.pgid(p, t), value)
        for q, ok in self.split(p, z3.Or(found)):
            out.append((q, value) if ok else (q, self.fail_with(q, s, ESRCH)))
        return out

    def b_setpgid(self, p, s, ins, ev):
        """kernel: _b_setpgid (one session: the session checks always pass)."""
        pid, pgid = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        me = FIRST_PID + s
        target = z3.If(pid == 0, bv(me), pid) if is_sym(pid) else bv(pid or me)
        group = z3.If(pgid == 0, target, pgid) if is_sym(pgid) else (target if pgid == 0 else bv(pgid))
        hits = []
        for t in range(self.enc.slots):
            mine_or_child = z3.BoolVal(True) if t == s else self.get(p, ("ppid", t)) == me
            hits.append(z3.And(target == FIRST_PID + t, self.present(p, t), mine_or_child))
        exists = z3.Or([z3.And(self.present(p, t), self.pgid(p, t) == group) for t in range(self.enc.slots)])
        out = []
        for q, neg in self.split(p, pgid < 0 if is_sym(pgid) else z3.BoolVal(pgid < 0)):
            if neg:
                out.append((q, self.fail_with(q, s, EINVAL)))
                continue
            for r, none in self.split(q, z3.Not(z3.Or(hits))):
                if none:
                    out.append((r, self.fail_with(r, s, ESRCH)))
                    continue
                for u, bad in self.split(r, z3.And(group != target, z3.Not(exists))):
                    if bad:
                        out.append((u, self.fail_with(u, s, EPERM)))
                        continue
                    for t, hit in enumerate(hits):
                        self.set(u, ("pg", t), z3.If(hit, group, self.get(u, ("pg", t))))
                    out.append((u, 0))
        return out


__all__ = ["SignalSteps", "signal_names", "initial_value"]


def _one_of(v, values: list):
    """`v`, known to be one of `values` (the path's guard says so), as the if-then-else over
    them: equal under the guard, and its leaves tell `Encoder.might_be` what it can hold."""
    if not is_sym(v) or not values:
        return v
    out = bv(values[-1])
    for c in reversed(values[:-1]):
        out = z3.If(v == c, bv(c), out)
    return out
