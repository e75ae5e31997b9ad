"""vfork over Z3 terms: `kernel/vfork.py` and the vfork half of `Exec.do_fork`, transcribed.

The encoded fragment: a program whose children never fork or vfork, so the suspended
parent is always the first slot and at most one vfork child borrows its memory at a
time. When the program also forks, `cow` says which of the first slot's pages are
copy-on-write (fork marks them, a write by it or its vfork child ends it): a vfork
child's first write into such a page copies it, so it is no shared write. State added per slot: `vf` (an unreleased vfork child),
`vd` (the call depth of the function that called vfork), `map` (each stack page is
mapped: the kernel maps one on the first store into it) and `shr` (the child maps
the parent's frame of that stack page: it was mapped at vfork); `susp` (the first
slot is suspended). A vfork child shares its parent's page table: its store is
written to the parent's cell too, a stack page it faults in is the parent's as well,
and a store into a page the parent mapped raises `shared_write` (cow-isolation); a
vfork that succeeds leaves the data page mapped writable by two processes
(`shared_frame`, no-shared-writable-page). `_exit` releases the parent and leaves the
child EXITING (a later step makes it a zombie); a return from the function that
called vfork stops the child for good (UNDEF), its parent suspended.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import as_int, bv
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.kernel.vfork import ALLOWED_CALLS, stores_vfork_result_at

EXITING, UNDEF = 5, 6  # slot states: released by _exit, not yet a zombie; stopped by undefined behaviour
SHARED_LIBC = ("buf", "blen", "natx")  # what a released parent takes over from its child (stdio, atexit)
STACK_VPN = ir.STACK_BASE >> 12


def check_fragment(lay) -> None:
    """vfork is encoded when no child can fork (see the module)."""
    calls = {}
    for key in lay.locations:  # reachable ones only
        ins = lay.instr(key)
        if isinstance(ins, ir.Builtin):
            calls.setdefault(ins.name, ins.loc)
    if "vfork" not in calls:
        return
    if lay.children_fork:
        raise NotEncoded("a vfork() in a program whose children may fork or vfork", calls["vfork"])
    if lay.regions:
        raise NotEncoded("a vfork() in a program that maps memory (mmap, malloc)", calls["vfork"])
    from forkspec.engines.symbolic.fds import uses_fds

    if uses_fds(lay):
        raise NotEncoded("a vfork() in a program that changes file descriptors", calls["vfork"])
    if lay.threads > 1:
        raise NotEncoded("a vfork() in a program that creates threads", calls["vfork"])
    lay.vforks = True
    if "fork" in calls:  # the first process's pages may be copy-on-write when it vforks
        lay.cow_pages = tuple(sorted({frame_page(k) for k in lay.mem_keys}))


def frame_page(key) -> int:
    """The page (vpn) of a memory key: a data page or a stack page."""
    return ((ir.DATA_BASE if key[0] == "g" else ir.STACK_BASE) + key[1] * ir.CELL) >> 12


def page_of(key) -> int | None:
    """The stack page (vpn) of a memory key, or None for the data pages (mapped from the start)."""
    if key[0] == "g":
        return None
    return (ir.STACK_BASE + key[1] * ir.CELL) >> 12


def stack_pages(lay) -> list[int]:
    return sorted({page_of(k) for k in lay.mem_keys if k[0] == "s"})


def static_violation(lay, ins) -> str:
    """kernel: VforkRules.vfork_violation, but for what depends on the call depth: "" (allowed),
    "unsafe", "store" (unsafe unless at the vfork caller's depth and storing its result),
    "return" (unsafe and undefined at or above the vfork caller's depth)."""
    if isinstance(ins, ir.Builtin):
        return "" if ins.name.startswith("__") or ins.name in ALLOWED_CALLS else "unsafe"
    if isinstance(ins, ir.Call):
        return "unsafe"
    if isinstance(ins, ir.Return):
        return "return"
    if isinstance(ins, (ir.Store, ir.StoreChar)):
        return "store"
    return ""


class VforkSteps:
    """The vfork rules of `Step` (mixed in)."""

    def vfork_check(self, p, s: int, ins) -> bool:
        """kernel: VforkRules.vfork_check before an instruction of slot s. True when it stopped
        the path (the undefined return): the instruction does not run there."""
        if not self.lay.vforks or s == 0:
            return False
        kind = static_violation(self.lay, ins)
        if not kind:
            return False
        child = self.get(p, ("vf", s)) == 1
        depth, vd = len(p.key) - 1, self.get(p, ("vd", s))
        if kind == "unsafe":
            p.event("vfork_unsafe", child)
            return False
        if kind == "store":
            f, pc = p.key[-1]
            ok = stores_vfork_result_at(self.lay.program.functions[f].body, pc)
            p.event("vfork_unsafe", z3.And(child, vd != depth) if ok else child)
            return False
        undefined = z3.And(child, vd >= depth)
        p.event("vfork_unsafe", undefined)
        return undefined

    def stop_undefined(self, p, s: int) -> None:
        self.set(p, ("st", s), UNDEF)
        p.held = True

    def b_vfork(self, p, s, ins, ev):
        """kernel: Exec._b_vfork: do_fork without copy-on-write and without pthread_atfork's handlers;
        the parent is suspended (its step ends here), the child runs in its memory."""
        out = []
        for q, result in self.do_fork(p, s, ins, ev):
            if result is not None and result > 0:
                q.held = True
            out.append((q, result))
        return out

    def vfork_child_state(self, p, s: int, c: int, depth: int, vfork: bool) -> None:
        """The fork child's vfork variables: its stack pages mapped as its parent's, shared if vfork."""
        if not self.lay.vforks:
            return
        for v in stack_pages(self.lay):
            mapped = self.get(p, ("map", s, v))
            self.set(p, ("map", c, v), mapped)
            self.set(p, ("shr", c, v), mapped if vfork else bv(0))
        self.set(p, ("vf", c), 1 if vfork else 0)
        self.set(p, ("vd", c), depth)
        if vfork:
            self.set(p, ("susp",), 1)
            p.event("shared_frame", self.writable_pages(p))
        elif self.lay.cow_pages:  # kernel: fork_marks_cow: the first process's private pages
            for v in self.lay.cow_pages:
                self.set(p, ("cow", 0, v), bv(1))

    def writable_pages(self, p):
        """Has the first process a writable page (the frame its vfork child then maps too)? Without
        fork, its data page always is; after a fork, a page is copy-on-write until written."""
        if not self.lay.cow_pages:
            return True
        out = []
        for v in self.lay.cow_pages:
            mapped = self.get(p, ("map", 0, v)) == 1 if v >= STACK_VPN else z3.BoolVal(True)
            out.append(z3.And(mapped, self.get(p, ("cow", 0, v)) == 0))
        return z3.Or(out)

    def shared_store(self, p, s: int, key, value) -> None:
        """A store's page: a stack page is mapped by it. A vfork child runs in its parent's address
        space (kernel: Exec.share_mm_with_vfork_parent): its store is the parent's too, a stack page
        it faults in is mapped by the parent as well, and the store raises `shared_write` when the
        parent mapped the page as the step began (the kernel's refcount of 2 for the frame)."""
        if not self.lay.vforks:
            return
        v = page_of(key)
        cow = ("cow", 0, frame_page(key)) if self.lay.cow_pages else None
        if s == 0:
            if v is not None:
                self.set(p, ("map", s, v), 1)
            if cow is not None:  # its write fault makes the page its own, writable
                self.set(p, cow, bv(0))
            return
        child = self.get(p, ("vf", s)) == 1
        seen = child
        if v is not None:
            self.note(("map", 0, v), False)
            seen = z3.And(child, self.frame[("map", 0, v)] == 1)
            self.set(p, ("map", s, v), 1)
            self.set(p, ("map", 0, v), z3.If(child, bv(1), _vec(self.get(p, ("map", 0, v)))))
        if cow is not None:  # a copy-on-write page: the fault copies it, the copy's only mapper this step
            self.note(cow, False)
            seen = z3.And(seen, self.frame[cow] == 0)
            self.set(p, cow, z3.If(child, bv(0), _vec(self.get(p, cow))))
            p.event("shared_frame", child)  # the page it wrote is writable, and its parent's too
        p.event("shared_write", seen)
        old = self.get(p, ("m", 0, key))
        self.set(p, ("m", 0, key), z3.If(child, _vec(value), _vec(old)))

    def release(self, p, s: int, cond) -> None:
        """kernel: Exec.release_vfork_parent: the parent resumes with the stdio buffer and atexit
        list the child left in the memory they shared."""
        if not self.lay.vforks or s == 0:
            return
        names = SHARED_LIBC + (("sm", "sz", "sa") if self.enc.exact else ())
        for n in names:
            self.set(p, (n, 0), z3.If(cond, _vec(self.get(p, (n, s))), _vec(self.get(p, (n, 0)))))
        for j in range(self.enc.atexit_cap):
            self.set(p, ("atx", 0, j), z3.If(cond, _vec(self.get(p, ("atx", s, j))), _vec(self.get(p, ("atx", 0, j)))))
        self.set(p, ("susp",), z3.If(cond, bv(0), _vec(self.get(p, ("susp",)))))
        self.set(p, ("vf", s), bv(0))

    def vfork_exit(self, p, s: int, word) -> list:
        """kernel: Exec._b__exit: a vfork child releases its parent and is EXITING (the zombie is a
        later step); any other process terminates now."""
        if not self.lay.vforks or s == 0:
            self.terminate(p, s, word)
            return [p]
        from forkspec.engines.symbolic.block import cases

        out = []
        for q, child in cases(p, self.get(p, ("vf", s)) == 1):
            if child:
                self.release(q, s, True)
                self.set(q, ("st", s), EXITING)
                self.set(q, ("status", s), as_int(word))
                q.alive = False
            else:
                self.terminate(q, s, word)
            out.append(q)
        return out

    def run_exiting(self, s: int) -> list:
        """kernel: Exec.step of an EXITING process: it terminates with the status it gave."""
        from forkspec.engines.symbolic.block import Path

        p = Path(None)
        self.terminate(p, s, self.get(p, ("status", s)))
        return [p]


def in_table(st):
    """A slot whose process is in the process table: running, a zombie, exiting or stopped."""
    from forkspec.engines.symbolic.block import RUNNING, ZOMBIE

    return z3.Or(st == RUNNING, st == ZOMBIE, st == EXITING, st == UNDEF)


def _vec(v):
    v = as_int(v)
    return bv(v) if isinstance(v, int) else v
