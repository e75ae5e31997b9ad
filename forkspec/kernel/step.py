"""One process's step: the kernel and libc semantics, instruction by instruction.

`Exec` unpacks one process of a frozen `State` into mutable scratch fields, runs
instructions against them, and packs a new frozen `State` at the end: the transition
is pure from the outside. System calls and libc functions are the `_b_<name>`
methods; each documents the rule it implements.
"""
from __future__ import annotations

from typing import NamedTuple

from forkspec import ir
from forkspec.errors import ModelError, Span
from forkspec.frontend import ctypes as ct
from forkspec.kernel import stdio
from forkspec.kernel import threads
from forkspec.kernel.evaluate import compiled, reads_memory_indirectly
from forkspec.kernel.events import Event
from forkspec.kernel.exec import EXEC_CALLS, ExecCalls, ImageReplaced
from forkspec.kernel.files import BLOCKING_FD_CALLS, FD_CALLS, CallWaits, FdCalls
from forkspec.kernel.memory import MemoryCalls, fork_marks_cow
from forkspec.kernel.printf import format_printf, printf_pieces
from forkspec.kernel.threads import PUSHED, ThreadCalls
from forkspec.kernel.vfork import VforkRules
from forkspec.kernel.signals import SignalCalls, catches_any, disposition, fork_child, is_caught
from forkspec.kernel.signals import SIGNAL_VISIBLE_CALLS, uses_process_groups
from forkspec.kernel.state import (
    EXITING, FIRST_PID, INIT_PID, IOFBF, IOLBF, IONBF, PTE_COW, PTE_SHARED, PTE_WRITE, RUNNING, ZOMBIE,
    Activation, Proc, State, Stream,
)

SIGABRT, SIGSEGV, SIGFPE = 6, 11, 8
ECHILD, EAGAIN, EINVAL, EBADF = 10, 11, 22, 9
WNOHANG = 1
WAITPID_OPTIONS = 1 | 2 | 8  # WNOHANG | WUNTRACED | WCONTINUED: wait4 takes no other (WNOWAIT is waitid's)
INT_MIN = -(2**31)

STRERROR = {
    0: "Success", 1: "Operation not permitted", 2: "No such file or directory", 3: "No such process",
    4: "Interrupted system call", 9: "Bad file descriptor", 10: "No child processes",
    11: "Resource temporarily unavailable", 12: "Cannot allocate memory", 22: "Invalid argument",
    32: "Broken pipe",
}

# Calls whose effect or result another process can see or change: always a step of their own.
VISIBLE_CALLS = frozenset({"nondet_int", "fork", "vfork", "getppid", "write", "wait", "waitpid", "_exit", "_Exit", "abort", "pause"})
# stdio calls: visible only when they reach write(2).
STDIO_CALLS = frozenset({"printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc", "fflush",
                         "setvbuf", "setbuf", "perror", "__flush_all"})
BLOCKING_CALLS = frozenset({"wait", "waitpid", "pause"})
VISIBLE_CALLS = VISIBLE_CALLS | threads.VISIBLE

STACK_VPN = ir.STACK_BASE >> 12
EMPTY_STREAM = Stream("", IONBF, 1)


class Config(NamedTuple):
    stdout: str = "file"
    max_procs: int = 32
    fork_can_fail: bool = False
    inject: frozenset = frozenset()
    merge_local: bool = True  # run invisible steps of a process as one step
    eager_reap: bool = True  # init reaps its zombie children within the step that made them
    max_local_steps: int = 200_000
    nondet: tuple | None = None  # (lo, hi): the values nondet_int() may return, or None if undeclared
    merge_woken: bool = False  # a parent whose wait an exit settled runs that wait within the exit's step


class Action(NamedTuple):
    """A transition label: who moved, what it executed, and what changed."""

    pid: int
    line: int
    text: str
    events: tuple
    choice: str = ""

    def describe(self) -> str:
        return self.text


class Diverged(Exception):
    """A process ran too many local instructions without a visible step (an infinite loop?)."""


class _Died(Exception):
    """The running process was killed by a signal (SIGSEGV, SIGFPE)."""

    def __init__(self, signal: int, why: str):
        self.signal = signal
        self.why = why


class Exec(FdCalls, ExecCalls, ThreadCalls, MemoryCalls, VforkRules, SignalCalls):
    """Scratch space for running one process (one of its threads) of one state."""

    def __init__(self, program: ir.Program, config: Config, state: State, pid: int, thread: int | None = None):
        self.program = program
        self.root = program  # the spec's program; a process after exec runs one of its images
        self.config = config
        self.state = state
        self.procs: dict[int, Proc] = {p.pid: p for p in state.procs}
        self.mem = list(state.mem)
        self.stdout = state.stdout
        self.stderr = state.stderr
        self.next_pid = state.next_pid
        self.first_status = state.first_status
        self.events: list[Event] = []
        self.mem_dirty = False
        self.refcounts: dict[int, int] | None = None
        self.new_children: list[int] = []
        self.new_threads: list[int] = []
        self.shadowed: list[Proc] = []  # entries displaced by a reused pid (the pid-reuse fault only)
        self.writes_left = 1
        self.previewing = False
        self.last_text, self.last_line = "", 0
        self.unpack_files(state)
        self.unpack(pid, thread)

    # ------------------------------------------------------------ process (un)packing

    def unpack(self, pid: int, thread: int | None = None) -> None:
        """Load a process; `thread` names one of its other threads (None: the one on `stack`)."""
        p = self.procs[pid]
        self.pid = pid
        self.p = p
        self.program = self.image_program(p.image)
        self.fds = {fd: (o, c) for fd, o, c in p.fds}
        self.fds_dirty = False
        self.thread = thread
        self.halted = False  # the thread stopped for good in this step (stuck, or undefined behaviour)
        self.multi = bool(p.threads) and threads.live_count(p) > 1
        stack, pending = p.stack, p.pending
        if thread is not None:
            t = next(t for t in p.threads if t.index == thread)
            stack, pending = t.stack, t.pending
        self.alive = p.state != ZOMBIE
        if not stack:
            self.stack_rest, self.func, self.fidx, self.pc, self.base, self.temps, self.ret = [], None, -1, 0, 0, [], None
        else:
            top = stack[-1]
            self.stack_rest = list(stack[:-1])
            self.fidx = top.func
            self.func = self.program.functions[top.func]
            self.pc, self.base, self.temps, self.ret = top.pc, top.base, list(top.temps), top.ret
        self.ptes = {vpn: [pfn, fl] for vpn, pfn, fl in p.ptes}
        self.out, self.err = p.out, p.err
        self.atexit = list(p.atexit)
        self.exit_plan = p.exit_plan
        self.pending = list(pending)
        self.has_shared = any(fl & PTE_SHARED for _, _, fl in p.ptes)

    def pack(self) -> None:
        if not self.alive:
            return
        stack = tuple(self.stack_rest) + (Activation(self.fidx, self.pc, self.base, tuple(self.temps), self.ret),) if self.func else ()
        if self.thread is None:
            own = {"stack": stack, "pending": tuple(self.pending)}
        else:
            own = {"threads": threads.put(self.p.threads, self.thread, stack=stack, pending=tuple(self.pending))}
        self.procs[self.pid] = self.p._replace(
            ptes=self.pte_tuple(),
            out=self.out,
            err=self.err,
            atexit=tuple(self.atexit),
            exit_plan=self.exit_plan,
            fds=self.fd_table(),
            **own,
        )
        if self.p.vfork_parent:
            self.share_mm_with_vfork_parent()

    def pte_tuple(self) -> tuple:
        return tuple((vpn, e[0], e[1]) for vpn, e in sorted(self.ptes.items()))

    def share_mm_with_vfork_parent(self) -> None:
        """A vfork child runs in its parent's address space (one mm, one page table): a page it
        faults in or maps is the parent's too, even one the parent had never touched."""
        parent = self.procs.get(self.p.vfork_parent)
        if parent is not None and parent.vfork_child == self.pid:
            self.procs[parent.pid] = parent._replace(ptes=self.pte_tuple(), heap=self.p.heap,
                                                     mmap_next=self.p.mmap_next)

    def result(self) -> State:
        self.pack()
        procs = tuple(self.procs[k] for k in sorted(self.procs))
        if self.shadowed:
            procs = tuple(sorted(procs + tuple(self.shadowed), key=lambda p: p.pid))
        mem = tuple(self.mem)
        if self.mem_dirty:
            procs, mem = canonical_memory(procs, mem)
        return State(procs, mem, self.stdout, self.stderr, self.next_pid, self.first_status, **self.files_fields())

    # ------------------------------------------------------------ where we are

    def instr(self):
        return self.func.body[self.pc]

    def loc_span(self) -> Span | None:
        if self.func is None:
            return None
        loc = self.instr().loc
        return Span(self.program.path, loc.line, loc.col) if loc.line else None

    def enabled(self) -> bool:
        """Can this process take a step now? (Blocked in wait, suspended by vfork, or gone: no.)"""
        if not self.alive or self.p.vfork_child or self.p.stopped:
            return False
        if self.pending or self.p.state == EXITING:
            return True
        ins = self.instr()
        if isinstance(ins, ir.Builtin) and ins.name in threads.BLOCKING:
            return self.thread_enabled(ins)
        if isinstance(ins, ir.Builtin) and ins.name in BLOCKING_CALLS:
            if ins.name == "pause":
                return False
            pid_arg, options = (-1, 0) if ins.name == "wait" else (self.eval(ins.args[0]), self.eval(ins.args[2]))
            if options & ~WAITPID_OPTIONS or pid_arg == INT_MIN:
                return True
            kids = self.wait_candidates(pid_arg)
            return not kids or any(self.wait_reportable(k, options) for k in kids) or bool(options & WNOHANG)
        if isinstance(ins, ir.Builtin) and ins.name in BLOCKING_FD_CALLS:
            return self.fd_call_ready(ins)
        return True

    def wait_is_settled(self, ins: ir.Builtin) -> bool:
        """Is this wait's result already fixed, whatever the other processes do?

        With no matching child (ECHILD), or when the oldest matching child is already
        a zombie (wait reaps the oldest zombie first), no other process can change the
        answer: a zombie stays a zombie until its parent reaps it, and only this
        process adds children. Such a wait commutes with every other step, so it may
        run as a local step. A younger zombie is not enough: an older running child
        could exit first and be the one reaped. A stop or continue report can change,
        so it settles nothing. In a program that calls `setpgid`/`setsid` a child can
        join or leave a group, so a wait for a group (pid 0 or < -1) is never settled.
        """
        pid_arg = -1 if ins.name == "wait" else self.eval(ins.args[0])
        if (pid_arg == 0 or INT_MIN < pid_arg < -1) and uses_process_groups(self.program):
            return False
        kids = self.wait_candidates(pid_arg)
        return not kids or kids[0].state == ZOMBIE

    def choices(self) -> tuple[str, ...]:
        if not self.pending and self.func is not None and self.p.alarm:
            ins = self.instr()
            if isinstance(ins, ir.Builtin) and ins.name == "alarm":
                return self.alarm_choices(ins)
        if not self.pending and self.config.fork_can_fail and self.func is not None:
            ins = self.instr()
            if isinstance(ins, ir.Builtin) and ins.name in ("fork", "vfork"):
                if ins.name == "fork" and self.p.atfork and not self.in_fork_routine():
                    return ("",)  # this step enters the atfork sequence; its own fork may fail
                return ("", "fail")
        if not self.pending and self.func is not None and self.p.state != EXITING:
            ins = self.instr()
            if isinstance(ins, ir.Builtin) and ins.name == "nondet_int":
                return nondet_choices(self.config, ins, self.program.path)
        return ("",)

    def is_visible(self) -> bool:
        """Would the next instruction be seen by (or depend on) another process?"""
        if self.pending or not self.alive or self.func is None or self.halted:
            return True
        if self.p.stopped or catches_any(self.p):
            return True  # a handler may interrupt this process between any two instructions
        ins = self.instr()
        if self.multi and (isinstance(ins, ir.Builtin) or threads.touches_shared(self.func, ins)):
            return True  # another thread shares the memory, the stdio buffers and the atexit list
        if isinstance(ins, ir.Builtin):
            name = ins.name
            if name in ("wait", "waitpid"):
                return not self.wait_is_settled(ins)
            if name in VISIBLE_CALLS or name in EXEC_CALLS or name in SIGNAL_VISIBLE_CALLS:
                return True
            if name in ("getpgrp", "getpgid") and uses_process_groups(self.program):
                return True
            if name in FD_CALLS:
                return self.fd_call_visible(ins)
            if name in STDIO_CALLS:
                return bool(self.stdio_preview(ins))
            if name == "assert":
                return not self.truth(self.eval(ins.args[0]))
        if self.has_shared and reads_memory_indirectly(ins):
            return True
        return False

    # ------------------------------------------------------------ running

    def step(self, choice: str = "") -> Action:
        """Run the visible operation (or one pending write), then, when merging, every local one after it."""
        ins = self.instr() if self.func and not self.pending else None
        loc = ins.loc if ins is not None else ir.NOLOC
        if self.p.state == EXITING:
            text, line = "_exit (the child ends)", 0
            self.terminate(self.p.status)
        elif self.pending:
            fd, data, line, text = self.pending.pop(0)
            if fd == threads.STORE_LATER:
                self.store_later(*data)
                text = f"{text} (its store)"
            else:
                self.write(fd, data)
                text = f"{text} (its next write)"
        else:
            text, line = loc.text, loc.line
            self.execute(choice)
        if self.config.merge_local:
            self.run_local()
            for child in self.new_children:
                self.pack()
                parent, thread = self.pid, self.thread
                self.unpack(child)
                self.run_local()
                self.pack()
                self.unpack(parent, thread)
            self.run_new_threads()
        if self.thread is not None:
            text = f"[thread {self.thread}] {text}"
        action = Action(self.pid, line, text, tuple(self.events), choice)
        if self.config.merge_woken and not self.alive and self.wake_parent():
            action = action._replace(events=tuple(self.events))
        return action

    def wake_parent(self) -> bool:
        """After an exit: a parent whose wait the exit settled (its oldest child is now a zombie) runs
        that wait and the local steps after it, as the step's own local steps run (`merge_woken`)."""
        me = self.procs.get(self.pid)
        parent = self.procs.get(me.ppid) if me is not None and me.state == ZOMBIE else None
        if parent is None or parent.state != RUNNING or not parent.stack or parent.pending or parent.threads \
                or parent.vfork_child or parent.vfork_parent or parent.stopped or parent.image:
            return False
        top = parent.stack[-1]
        ins = self.root.functions[top.func].body[top.pc]
        if not (isinstance(ins, ir.Builtin) and ins.name in ("wait", "waitpid")):
            return False
        if ins.name == "wait" or _negative_one(ins.args[0]):  # any child: settled only if the oldest is a zombie
            kids = [q for q in self.procs.values() if q.ppid == parent.pid]
            if kids and min(kids, key=_pid).state != ZOMBIE:
                return False
        self.unpack(parent.pid)
        if not self.enabled() or self.is_visible():
            self.unpack(me.pid)  # back to the zombie, which packs nothing: the parent's record stays as it was
            return False
        self.run_local()
        self.pack()
        return True

    def store_later(self, addr, value) -> None:
        """The store half of a load-store split between threads; a bad address kills here."""
        try:
            self.store(addr, value)
        except _Died as d:
            self.events.append(Event("killed", self.pid, signal=d.signal, text=d.why))
            self.terminate(d.signal)

    def run_local(self) -> None:
        budget = self.config.max_local_steps
        while self.alive and self.func is not None and not self.p.vfork_child and not self.is_visible():
            self.execute("")
            budget -= 1
            if budget <= 0:
                raise Diverged(f"pid {self.pid} ran {self.config.max_local_steps} instructions without a visible step "
                               f"(an infinite loop?) at line {self.instr().loc.line if self.func else '?'}")

    def execute(self, choice: str) -> None:
        ins = self.instr()
        self.writes_left = 1
        self.last_text, self.last_line = ins.loc.text, ins.loc.line
        if self.p.vfork_parent and self.vfork_check(ins):
            return
        try:
            self._execute(ins, choice)
        except (ImageReplaced, CallWaits):  # a successful exec starts the new image; a waiting call stays
            pass
        except _Died as d:
            self.events.append(Event("killed", self.pid, signal=d.signal, text=d.why))
            self.terminate(d.signal)
        except ZeroDivisionError:
            self.events.append(Event("killed", self.pid, signal=SIGFPE, text="division by zero"))
            self.terminate(SIGFPE)
        except ModelError as e:
            if e.span is None:
                e.span = Span(self.program.path, ins.loc.line, ins.loc.col)
            raise
        except TypeError as e:
            if "'str'" not in str(e) and "str " not in str(e):
                raise
            raise ModelError("arithmetic or ordering on a string (such as pointer arithmetic s + 1) is not modelled; "
                             "supported on strings: s[i], strlen, strcmp, ==/!= against another string, printing",
                             Span(self.program.path, ins.loc.line, ins.loc.col)) from None

    def _execute(self, ins, choice: str) -> None:
        pc = self.pc
        if isinstance(ins, ir.SetTemp):
            self.temps[ins.dst] = compiled(ins.value)(self)
            self.pc = pc + 1
        elif isinstance(ins, ir.Store):
            value = compiled(ins.value)(self)
            if self.multi and threads.touches_shared(self.func, ins.value):  # load, then store: two steps
                self.pending.append((threads.STORE_LATER, (self.address(ins.target), value), ins.loc.line, ins.loc.text))
            else:
                self.store(self.address(ins.target), value)
            self.pc = pc + 1
        elif isinstance(ins, ir.Branch):
            self.pc = ins.if_true if self.truth(compiled(ins.cond)(self)) else ins.if_false
        elif isinstance(ins, ir.Jump):
            self.pc = ins.target
        elif isinstance(ins, ir.Builtin):
            if self.p.handlers:
                self.check_signal_safety(ins)
            n_events = len(self.events)
            result = getattr(self, "_b_" + ins.name)(ins, choice)
            if not self.alive or self.func is None or result is PUSHED:
                return
            if ins.dst is not None and result is not None:
                self.temps[ins.dst] = result
            self.pc = pc + 1
            if self.p.sigpending:
                self.after_system_call(ins, n_events)
        elif isinstance(ins, ir.Call):
            if self.p.handlers:
                self.check_signal_safety(ins)
            self.call(ins)
            return
        elif isinstance(ins, ir.Return):
            self.do_return(None if ins.value is None else compiled(ins.value)(self))
            return
        elif isinstance(ins, ir.StoreChar):
            addr = self.address(ins.target)
            s = self.load(addr)
            i = compiled(ins.index)(self)
            c = compiled(ins.value)(self)
            if not isinstance(s, str) or not 0 <= i < len(s):
                raise ModelError(f"writing index {i} of a char array out of bounds")
            self.store(addr, s[:i] + chr(c & 0xFF) + s[i + 1 :])
            self.pc = pc + 1
        else:
            raise TypeError(ins)
        self.kill_dead(pc)
        if self.deliver_due:
            self.deliver_now()

    def kill_dead(self, pc: int) -> None:
        live = self.func.live_out[pc]
        temps = self.temps
        if len(live) != len(temps):
            new = [0] * len(temps)
            for i in live:
                new[i] = temps[i]
            self.temps = new

    def eval(self, e):
        return compiled(e)(self)

    @staticmethod
    def truth(v) -> bool:
        return isinstance(v, str) or v != 0

    # ------------------------------------------------------------ calls

    def call(self, ins: ir.Call) -> None:
        args = [compiled(a)(self) for a in ins.args]
        if isinstance(ins.func, int):
            target = ins.func
        else:
            addr = compiled(ins.func)(self)
            target = (addr - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(addr, int) else -1
            if not (isinstance(addr, int) and 0 <= target < len(self.program.functions)
                    and (addr - ir.FUNC_BASE) % ir.FUNC_STRIDE == 0):
                raise _Died(SIGSEGV, f"call through a bad function pointer {addr!r}")
        self.kill_dead(self.pc)
        self.push(target, args, ins.dst, self.pc + 1)

    def push(self, target: int, args: list, ret: int | None, return_pc: int) -> None:
        fn = self.program.functions[target]
        base = 0
        if self.func is not None:
            self.stack_rest.append(Activation(self.fidx, return_pc, self.base, tuple(self.temps), self.ret))
            base = self.base + self.func.nlocals
        self.fidx, self.func, self.pc, self.base, self.temps, self.ret = target, fn, 0, base, [0] * fn.ntemps, ret
        if len(args) < len(fn.params):
            args = args + [0] * (len(fn.params) - len(args))
        from forkspec.frontend.lower import wrap

        for slot, w, v in zip(fn.params, fn.param_wraps, args):
            if w is not None and isinstance(v, int):
                v = wrap(v, w[0], w[1])
            self.store(ir.STACK_BASE + (base + slot) * ir.CELL, v)

    def do_return(self, value) -> None:
        ret = self.ret
        if not self.stack_rest:
            if self.fidx == self.program.exit_routine:
                raise ModelError("the exit routine returned")
            # Returning from main is exit(value).
            self.func = None
            self.push(self.program.exit_routine, [value if isinstance(value, int) else 0], None, 0)
            return
        top = self.stack_rest.pop()
        self.fidx, self.func, self.pc, self.base, self.temps, self.ret = (
            top.func, self.program.functions[top.func], top.pc, top.base, list(top.temps), top.ret)
        if ret is not None:
            self.temps[ret] = value if value is not None else 0
        if self.p.handlers:
            self.after_return()

    # ------------------------------------------------------------ memory

    def address(self, target) -> int:
        if isinstance(target, ir.Cell):
            if target.region == "global":
                return ir.DATA_BASE + target.slot * ir.CELL
            return ir.STACK_BASE + (self.base + target.slot) * ir.CELL
        if isinstance(target, ir.Deref):
            return compiled(target.addr)(self)
        raise TypeError(target)

    def load(self, addr):
        if not isinstance(addr, int):
            raise _Died(SIGSEGV, f"dereferencing {addr!r}, which is not an address")
        e = self.ptes.get(addr >> 12)
        if e is None:
            if addr >> 12 >= STACK_VPN and addr < ir.STACK_BASE + (1 << 30):
                return 0
            raise _Died(SIGSEGV, f"read of unmapped address {addr:#x}")
        data = self.mem[e[0]]
        c = (addr & 0xFFF) >> 3
        return data[c] if c < len(data) else 0

    def refcount(self, pfn: int) -> int:
        if self.refcounts is None:
            counts: dict[int, int] = {}
            for pid, p in self.procs.items():
                if pid == self.pid:
                    continue
                for _, f, _ in p.ptes:
                    counts[f] = counts.get(f, 0) + 1
            for f, _ in self.ptes.values():
                counts[f] = counts.get(f, 0) + 1
            self.refcounts = counts
        return self.refcounts.get(pfn, 0)

    def store(self, addr, value) -> None:
        if not isinstance(addr, int):
            raise _Died(SIGSEGV, f"writing through {addr!r}, which is not an address")
        vpn = addr >> 12
        e = self.ptes.get(vpn)
        if e is None:
            if vpn >= STACK_VPN and addr < ir.STACK_BASE + (1 << 30):
                e = self.ptes[vpn] = [len(self.mem), PTE_WRITE]  # stack page fault: a fresh zero page
                self.mem.append(())
                self.mem_dirty = True
                self.refcounts = None
            else:
                raise _Died(SIGSEGV, f"write to unmapped address {addr:#x}")
        pfn, flags = e
        if not flags & PTE_WRITE:
            if not flags & PTE_COW:
                raise _Died(SIGSEGV, f"write to read-only address {addr:#x}")
            if self.refcount(pfn) > 1:  # copy-on-write fault: this process gets its own frame
                new = len(self.mem)
                self.mem.append(self.mem[pfn])
                self.refcounts[pfn] -= 1
                self.refcounts[new] = 1
                e[0] = pfn = new
                self.mem_dirty = True
                self.events.append(Event("cow_copy", self.pid, vpn=vpn, old=e[0], new=new))
            else:  # last sharer: the kernel reuses the frame
                self.events.append(Event("cow_reuse", self.pid, vpn=vpn))
            e[1] = (flags | PTE_WRITE) & ~PTE_COW
            flags = e[1]
        if not flags & PTE_SHARED and self.refcount(pfn) > 1:
            self.events.append(Event("shared_write", self.pid, vpn=vpn, others=self.refcount(pfn) - 1, private=True))
        data = self.mem[pfn]
        c = (addr & 0xFFF) >> 3
        if c < len(data):
            data = data[:c] + (value,) + data[c + 1 :]
        else:
            data = data + (0,) * (c - len(data)) + (value,)
        while data and data[-1] == 0:
            data = data[:-1]
        self.mem[pfn] = data

    def set_errno(self, code: int) -> None:
        self.store(ir.DATA_BASE + ir.ERRNO_SLOT * ir.CELL, code)

    # ------------------------------------------------------------ output

    def write(self, fd: int, data: str) -> int:
        """write(2) through the fd table: one atomic write; extra writes of one libc call wait their turn."""
        if not data or not self.alive:
            return 0
        if self.previewing:  # stdio_preview: what would be written, with no effect on fds, files or pipes
            self.events.append(Event("write", self.pid, fd=fd, data=data))
            return len(data)
        if self.writes_left <= 0:
            self.pending.append((fd, data, self.last_line, self.last_text))
            return len(data)
        self.writes_left -= 1
        return self.fd_write(fd, data)

    def stream(self, value) -> int:
        if value == ct.stream_value(1):
            return 1
        if value == ct.stream_value(2):
            return 2
        if value == ct.stream_value(0):
            raise ModelError("writing to stdin")
        raise ModelError(f"unknown FILE* {value!r}; supported streams: stdout, stderr")

    def get_stream(self, fd: int) -> Stream:
        return self.out if fd == 1 else self.err

    def set_stream(self, fd: int, s: Stream) -> None:
        if fd == 1:
            self.out = s
        else:
            self.err = s

    def put(self, fd: int, data: str) -> None:
        s, writes = stdio.put(self.get_stream(fd), data)
        self.set_stream(fd, s)
        for w in writes:
            self.write(fd, w)

    def stdio_preview(self, ins: ir.Builtin) -> list[str]:
        """The writes a stdio call would issue now, computed without changing anything."""
        saved = (self.out, self.err, self.pending, self.stdout, self.stderr, self.events, self.writes_left, self.temps)
        self.pending, self.events, self.writes_left, self.temps = [], [], 99, list(self.temps)
        self.previewing = True
        try:
            getattr(self, "_b_" + ins.name)(ins, "", preview=True)
            return [e.data for e in self.events if e.kind == "write"] + [p[1] for p in self.pending]
        finally:
            self.out, self.err, self.pending, self.stdout, self.stderr, self.events, self.writes_left, self.temps = saved
            self.previewing = False

    # ------------------------------------------------------------ processes

    def others(self):
        return (p for pid, p in self.procs.items() if pid != self.pid)

    def wait_candidates(self, pid_arg: int) -> list[Proc]:
        me = self.pid
        kids = [p for p in self.procs.values() if p.ppid == me and p.pid != me]
        if pid_arg > 0:
            kids = [k for k in kids if k.pid == pid_arg]
        elif pid_arg == 0:
            kids = [k for k in kids if k.pgid == self.p.pgid]
        elif pid_arg < -1:
            kids = [k for k in kids if k.pgid == -pid_arg]
        return sorted(kids, key=_pid) if len(kids) > 1 else kids

    def live_count(self) -> int:
        """Tasks counted by the process limit (RLIMIT_NPROC counts threads): every process until it
        is reaped, zombies included, and each extra live thread."""
        procs = dict(self.procs)
        procs[self.pid] = self.p
        return len(procs) + sum(threads.live_count(p) - 1 for p in procs.values() if p.threads)

    def allocate_pid(self) -> int:
        if "pid-reuse" in self.config.inject:
            running = {p.pid for p in self.procs.values() if p.state == RUNNING}
            pid = FIRST_PID
            while pid in running:
                pid += 1
            self.next_pid = max(self.next_pid, pid + 1)
            return pid
        pid = self.next_pid
        self.next_pid += 1
        return pid

    def release_vfork_parent(self) -> None:
        """A vfork parent resumes with the stdio buffers and atexit list its child left (they were shared),
        and with the page table as the child left it; one killed while suspended is left as it died."""
        parent_pid = self.p.vfork_parent
        if parent_pid and parent_pid in self.procs and self.procs[parent_pid].state == RUNNING:
            self.share_mm_with_vfork_parent()
            parent = self.procs[parent_pid]
            self.procs[parent_pid] = parent._replace(
                vfork_child=0, out=self.out, err=self.err, atexit=tuple(self.atexit))
            self.events.append(Event("vfork_release", self.pid, parent=parent_pid))
        if parent_pid:
            self.p = self.p._replace(vfork_parent=0)

    def terminate(self, word: int) -> None:
        """The process ends with wait status `word`: it becomes a zombie, its memory is freed,
        its children go to init, and a vfork parent resumes with the libc state the child left."""
        if self.exit_plan:
            self.events.append(Event("atexit_skipped", self.pid, remaining=len(self.exit_plan)))
        if self.p.cld_report:  # the child sends its stop's SIGCHLD before it can take a killing signal
            self.p = self.p._replace(cld_report=False)
            self.notify_parent(self.p, stop=True)
        self.release_vfork_parent()
        self.close_all_fds()
        p = self.p
        self.alive = False
        self.ptes = {}
        self.mem_dirty = True
        self.refcounts = None
        self.procs[self.pid] = p._replace(
            state=ZOMBIE, status=word, stack=(), ptes=(), out=EMPTY_STREAM, err=EMPTY_STREAM,
            atexit=(), exit_plan=None, pending=(), vfork_child=0, vfork_parent=0, fds=(),
            threads=(), main_state="", atfork=(), heap=())
        self.func = None
        self.events.append(Event("exit", self.pid, status=word))
        if "no-reparent" not in self.config.inject:
            self.reparent_children()
        self.after_exit()

    # ------------------------------------------------------------ builtins: processes

    def _b_fork(self, ins, choice, preview=False):
        """fork(2): the child gets a copy of everything, private pages shared copy-on-write;
        0 in the child, the child's pid in the parent; -1/EAGAIN past the process limit.
        With pthread_atfork handlers registered, glibc's handler sequence runs around it."""
        if self.p.atfork and not self.in_fork_routine():
            return self.fork_through_atfork(ins)
        return self.do_fork(ins, choice, vfork=False)

    def _b_vfork(self, ins, choice, preview=False):
        """vfork(2): the child shares the parent's memory; the parent is suspended until the child ends."""
        return self.do_fork(ins, choice, vfork=True)

    def do_fork(self, ins, choice, vfork: bool):
        if choice == "fail" or self.live_count() >= self.config.max_procs:
            self.set_errno(EAGAIN)
            self.events.append(Event("fork_failed", self.pid, errno=EAGAIN))
            return -1
        child = self.allocate_pid()
        if not vfork and "no-cow" not in self.config.inject:
            for e in self.ptes.values():
                if fork_marks_cow(e[1]):
                    e[1] = (e[1] & ~PTE_WRITE) | PTE_COW
        if child in self.procs:  # only a faulty allocator gets here
            self.shadowed.append(self.procs[child])
        temps = list(self.temps)
        if ins.dst is not None:
            temps[ins.dst] = 0
        self.kill_dead_in(temps)
        stack = tuple(self.stack_rest) + (Activation(self.fidx, self.pc + 1, self.base, tuple(temps), self.ret),)
        self.procs[child] = Proc(
            pid=child, ppid=self.pid, pgid=self.p.pgid, state=RUNNING, status=0, stack=stack,
            ptes=tuple((vpn, e[0], e[1]) for vpn, e in sorted(self.ptes.items())),
            out=self.out, err=self.err, atexit=tuple(self.atexit), exit_plan=self.exit_plan, pending=(),
            vfork_child=0, vfork_parent=self.pid if vfork else 0, mmap_next=self.p.mmap_next,
            fds=self.fd_table(), image=self.p.image, argv=self.p.argv)
        self.procs[child] = fork_child(self.p, self.fork_inherits(self.procs[child], vfork))
        if vfork:
            self.p = self.p._replace(vfork_child=child)
        self.refcounts = None
        self.new_children.append(child)
        self.events.append(Event("fork", self.pid, child=child))
        return child

    def kill_dead_in(self, temps: list) -> None:
        live = set(self.func.live_out[self.pc])
        for i in range(len(temps)):
            if i not in live:
                temps[i] = 0

    def _b_nondet_int(self, ins, choice, preview=False):
        """nondet_int(): an input value, any in the range the spec declares (`input: lo..hi`);
        each value is its own branch, named by the choice."""
        return int(choice)

    def _b_getpid(self, ins, choice, preview=False):
        return self.pid

    def _b_getppid(self, ins, choice, preview=False):
        return self.p.ppid

    def _b_getpgrp(self, ins, choice, preview=False):
        return self.p.pgid

    def _b__exit(self, ins, choice, preview=False):
        """_exit(2): no atexit handlers, no stdio flush; the parent sees status & 0xff.

        A vfork child first gives the borrowed memory back, and its parent resumes
        right then (mm_release); becoming a zombie is a later step, so a WNOHANG wait
        of the resumed parent can still find it running."""
        word = (self.eval(ins.args[0]) & 0xFF) << 8
        if self.p.vfork_parent:
            self.release_vfork_parent()
            self.ptes = {}
            self.mem_dirty = True
            self.refcounts = None
            self.func = None
            self.p = self.p._replace(state=EXITING, status=word)
            return None
        self.terminate(word)

    _b__Exit = _b__exit

    def _b_abort(self, ins, choice, preview=False):
        """abort(3): killed by SIGABRT, which it unblocks; unflushed stdio is lost. A SIGABRT handler
        runs first (with the disposition already reset to SIG_DFL), and abort kills when it returns."""
        self.p = self.p._replace(sigmask=self.p.sigmask & ~(1 << SIGABRT))
        handler, flags, mask = disposition(self.p, SIGABRT)
        if is_caught(handler):
            self.set_action(SIGABRT, 0, 0, 0)
            self.abort_handler = (handler, flags, mask)  # run once abort's step is over; it returns to abort
            self.deliver_due = True
            return None
        self.events.append(Event("killed", self.pid, signal=SIGABRT, text="abort()"))
        self.terminate(SIGABRT)

    def _b_assert(self, ins, choice, preview=False):
        """assert(3): on failure print glibc's message to stderr, then abort."""
        if self.truth(self.eval(ins.args[0])):
            return 0
        text, func = self.eval(ins.args[1]), self.eval(ins.args[2])
        line = ins.loc.line
        self.events.append(Event("assert_failed", self.pid, line=line, text=text))
        prog = self.program.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.write(2, f"{prog}: {self.program.path}:{line}: {func}: Assertion `{text}' failed.\n")
        self.terminate(SIGABRT)

    def _b_atexit(self, ins, choice, preview=False):
        """atexit(3): register a handler; exit runs them newest first."""
        addr = self.eval(ins.args[0])
        index = (addr - ir.FUNC_BASE) // ir.FUNC_STRIDE if isinstance(addr, int) else -1
        if not 0 <= index < len(self.program.functions):
            raise ModelError("atexit() needs a function")
        self.atexit.append(index)
        return 0

    def _b___exit_begin(self, ins, choice, preview=False):
        if self.exit_plan is None:
            self.exit_plan = tuple(reversed(self.atexit))

    def _b___atexit_pop(self, ins, choice, preview=False):
        if not self.atexit:
            return 0
        handler = self.atexit.pop()
        plan = self.exit_plan or ()
        expected = plan[0] if plan else -1
        self.exit_plan = plan[1:]
        name = self.program.functions[handler].name
        exp_name = self.program.functions[expected].name if expected >= 0 else None
        self.events.append(Event("atexit_call", self.pid, handler=name, expected=exp_name))
        return ir.FUNC_BASE + handler * ir.FUNC_STRIDE

    def _b___flush_all(self, ins, choice, preview=False):
        for fd in (1, 2):
            s, writes = stdio.flush(self.get_stream(fd))
            self.set_stream(fd, s)
            for w in writes:
                self.write(fd, w)
        if not preview:
            self.exit_plan = None

    def _b_wait(self, ins, choice, preview=False):
        """wait(&s) is waitpid(-1, &s, 0)."""
        return self.do_wait(-1, self.eval(ins.args[0]), 0)

    def _b_waitpid(self, ins, choice, preview=False):
        """waitpid(2): reap a matching zombie child (oldest first), 0 with WNOHANG, -1/ECHILD if none match."""
        return self.do_wait(self.eval(ins.args[0]), self.eval(ins.args[1]), self.eval(ins.args[2]))

    def do_wait(self, pid_arg: int, status_ptr, options: int) -> int:
        """wait4(2): EINVAL for options other than WNOHANG|WUNTRACED|WCONTINUED, ESRCH for INT_MIN;
        the first matching child (oldest first) that has exited, or with WUNTRACED/WCONTINUED has a
        stop/continue report, is reported (a report once)."""
        if options & ~WAITPID_OPTIONS:
            self.set_errno(EINVAL)
            return -1
        if pid_arg == INT_MIN:
            self.set_errno(3)
            return -1
        kids = self.wait_candidates(pid_arg)
        if not kids:
            self.set_errno(ECHILD)
            self.events.append(Event("wait_echild", self.pid))
            return -1
        for k in kids:
            if k.state == ZOMBIE:
                del self.procs[k.pid]
                self.refcounts = None
                if status_ptr:
                    self.store(status_ptr, k.status)
                self.events.append(Event("reap", self.pid, child=k.pid, status=k.status))
                return k.pid
            if self.wait_reportable(k, options):
                self.procs[k.pid] = k._replace(report=0)
                if status_ptr:
                    self.store(status_ptr, k.report)
                self.events.append(Event("wait_report", self.pid, child=k.pid, status=k.report))
                return k.pid
        return 0  # WNOHANG: children exist, none has changed state

    def _b_sleep(self, ins, choice, preview=False):
        """sleep(3) orders nothing: it is a local step."""
        return 0

    _b_usleep = _b_sleep
    _b_sched_yield = _b_sleep

    def _b_pause(self, ins, choice, preview=False):
        return -1

    def _b_mmap(self, ins, choice, preview=False):
        """mmap(2) of anonymous memory: MAP_SHARED pages stay shared across fork, MAP_PRIVATE ones are COW."""
        length, prot, flags, fd = (self.eval(a) for a in ins.args[1:5])
        if not flags & 0x20 or fd != -1:
            raise ModelError("only anonymous mmap (MAP_ANONYMOUS, fd -1) is modelled")
        if flags & 3 not in (1, 2):
            self.set_errno(EINVAL)
            return -1
        pages = max(1, (length + 4095) // 4096)
        vpn0 = self.p.mmap_next or (ir.MMAP_BASE >> 12)
        fl = (PTE_WRITE if prot & 2 else 0) | (PTE_SHARED if flags & 1 else 0)
        for i in range(pages):
            self.ptes[vpn0 + i] = [len(self.mem), fl]
            self.mem.append(())
        self.p = self.p._replace(mmap_next=vpn0 + pages)
        self.has_shared = self.has_shared or bool(flags & 1)
        self.mem_dirty = True
        self.refcounts = None
        return vpn0 << 12

    # ------------------------------------------------------------ builtins: output

    def _b_write(self, ins, choice, preview=False):
        """write(2): unbuffered, straight to the kernel, one atomic append."""
        fd, buf, n = (self.eval(a) for a in ins.args)
        e = self.lookup(fd)
        if e is None or not e[1].flags & 3:  # not open, or open O_RDONLY: EBADF even for 0 bytes
            self.set_errno(EBADF)
            return -1
        if not n:
            return 0
        if isinstance(buf, int):
            v = self.load(buf)
            buf = v if isinstance(v, str) else chr(v & 0xFF)
        if n > len(buf) + 1:
            raise ModelError(f"write of {n} bytes reads past the end of a {len(buf) + 1}-byte buffer")
        return self.write(fd, (buf + "\0")[:n])

    def format(self, ins, args) -> list[str]:
        values = [self.eval(a) for a in args]
        if not isinstance(values[0], str):
            raise ModelError("the format of printf must be a string")
        try:
            return printf_pieces(values[0], values[1:])
        except ValueError as e:
            raise ModelError(f"printf: {e}") from None

    def print_pieces(self, fd: int, pieces: list[str]) -> int:
        """vfprintf: one write for an unbuffered stream (glibc formats into a helper buffer),
        else each piece is its own call into the stream."""
        if self.get_stream(fd).mode == IONBF:
            self.put(fd, "".join(pieces))
        else:
            for piece in pieces:
                self.put(fd, piece)
        return sum(len(p) for p in pieces)

    def _b_printf(self, ins, choice, preview=False):
        return self.print_pieces(1, self.format(ins, ins.args))

    def _b_fprintf(self, ins, choice, preview=False):
        fd = self.stream(self.eval(ins.args[0]))
        return self.print_pieces(fd, self.format(ins, ins.args[1:]))

    def _b_puts(self, ins, choice, preview=False):
        """puts(3): the string, then a newline (two writes when unbuffered, as in glibc)."""
        s = self.eval(ins.args[0])
        self.put(1, s.split("\0", 1)[0])
        self.putc(1, ord("\n"))
        return 1

    def putc(self, fd: int, c: int) -> int:
        st, writes = stdio.putc(self.get_stream(fd), chr(c))
        self.set_stream(fd, st)
        for w in writes:
            self.write(fd, w)
        return c

    def _b_putchar(self, ins, choice, preview=False):
        return self.putc(1, self.eval(ins.args[0]) & 0xFF)

    def _b_fputs(self, ins, choice, preview=False):
        s, fd = self.eval(ins.args[0]), self.stream(self.eval(ins.args[1]))
        self.put(fd, s.split("\0", 1)[0])
        return 1

    def _b_fputc(self, ins, choice, preview=False):
        c, fd = self.eval(ins.args[0]) & 0xFF, self.stream(self.eval(ins.args[1]))
        return self.putc(fd, c)

    _b_putc = _b_fputc

    def _b_perror(self, ins, choice, preview=False):
        s = self.eval(ins.args[0])
        err = self.load(ir.DATA_BASE + ir.ERRNO_SLOT * ir.CELL)
        msg = STRERROR.get(err, f"Unknown error {err}")
        prefix = f"{s}: " if isinstance(s, str) and s else ""
        self.put(2, f"{prefix}{msg}\n")

    def _b_fflush(self, ins, choice, preview=False):
        """fflush(3): one write of whatever is buffered; fflush(NULL) flushes every stream."""
        v = self.eval(ins.args[0])
        fds = (1, 2) if v == 0 else (self.stream(v),)
        for fd in fds:
            s, writes = stdio.flush(self.get_stream(fd))
            self.set_stream(fd, s)
            for w in writes:
                self.write(fd, w)
        return 0

    def _b_setvbuf(self, ins, choice, preview=False):
        fd = self.stream(self.eval(ins.args[0]))
        buf, mode, size = (self.eval(a) for a in ins.args[1:])
        if mode not in (IOFBF, IOLBF, IONBF):
            return -1
        s, writes = stdio.setvbuf(self.get_stream(fd), bool(buf), mode, size)
        self.set_stream(fd, s)
        for w in writes:
            self.write(fd, w)
        return 0

    def _b_setbuf(self, ins, choice, preview=False):
        """setbuf(s, buf) is setvbuf(s, buf, buf ? _IOFBF : _IONBF, BUFSIZ)."""
        fd = self.stream(self.eval(ins.args[0]))
        buf = self.eval(ins.args[1])
        s, writes = stdio.setvbuf(self.get_stream(fd), bool(buf), IOFBF if buf else IONBF, stdio.BUFSIZ)
        self.set_stream(fd, s)
        for w in writes:
            self.write(fd, w)


def nondet_choices(config: Config, ins, path: str) -> tuple[str, ...]:
    if config.nondet is None:
        raise ModelError("nondet_int() needs a declared range: add `input: LO..HI` to the spec block",
                         Span(path, ins.loc.line, ins.loc.col))
    lo, hi = config.nondet
    return tuple(str(v) for v in range(lo, hi + 1))


def _pid(p: Proc) -> int:
    return p.pid


def canonical_memory(procs: tuple, mem: tuple) -> tuple[tuple, tuple]:
    """Renumber physical frames in order of first use (processes by pid, pages by number)
    and drop unreferenced ones, so states that differ only in frame numbering are equal."""
    mapping: dict[int, int] = {}
    new_mem: list = []
    out = []
    for p in procs:
        if not p.ptes:
            out.append(p)
            continue
        ptes = []
        changed = False
        for vpn, pfn, fl in p.ptes:
            n = mapping.get(pfn)
            if n is None:
                n = mapping[pfn] = len(new_mem)
                new_mem.append(mem[pfn])
            ptes.append((vpn, n, fl))
            changed = changed or n != pfn
        out.append(p._replace(ptes=tuple(ptes)) if changed else p)
    return tuple(out), tuple(new_mem)


def _negative_one(e) -> bool:
    """Is the expression the constant -1 (a negation of 1, perhaps converted)?"""
    while isinstance(e, ir.Wrap):
        e = e.operand
    if isinstance(e, ir.UnOp) and e.op == "-":
        e = e.operand
        while isinstance(e, ir.Wrap):
            e = e.operand
        return isinstance(e, ir.Const) and e.value == 1
    return isinstance(e, ir.Const) and e.value == -1
