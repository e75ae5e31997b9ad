"""Anonymous mmap, malloc/free, munmap and madvise over Z3 terms (`kernel/memory.py`, `Exec._b_mmap`).

Each call site of mmap, malloc or calloc is a *region*: at most one live mapping per
process (a site run again while its mapping lives is beyond the encoding), with
constant arguments. Per slot and region: its address (`ra`, 0 when not mapped), its
page-table flags (`rfl`: PTE_SHARED, PTE_DONTFORK, PTE_WIPEONFORK), its frame (`rfr`,
the slot that created it or wiped it, plus one) and whether a malloc block is in the
heap list (`rh`); `mnext` is the process's next mmap page. The first cells of a
region are memory keys `("r", region, j)` like any variable's, so fork copies them:
a private page is copied on write, which per-slot copies already are. A MAP_SHARED
frame is one frame: a store writes the cell of every slot that maps the same frame.
fork leaves a MADV_DONTFORK region out of the child and gives a MADV_WIPEONFORK one a
fresh zero frame; a fork that leaves a shared writable frame in two processes raises
`shared_frame` (no-shared-writable-page). munmap takes whole regions out of the caller's
page table (a part of one is beyond the encoding). A touch of an address in the mapping
area that no live region covers is the kernel's SIGSEGV (`unmapped`); a touch of any
other address no kept cell holds is beyond the encoding.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import bv, is_sym
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.kernel.memory import (
    EINVAL, ENOMEM, HEAP_BASE, MADV_DOFORK, MADV_DONTFORK, MADV_HARMLESS, MADV_KEEPONFORK, MADV_WIPEONFORK, pages_for,
)
from forkspec.kernel.state import PTE_DONTFORK, PTE_SHARED, PTE_WIPEONFORK

ALLOCATORS = frozenset({"mmap", "malloc", "calloc"})
MAX_CELLS = 8  # cells of a region the encoding keeps (a touch further in is beyond)
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, PROT_WRITE = 1, 2, 0x20, 2


class Region:
    """One allocation site: its kind, its pages, the cells kept."""

    def __init__(self, index: int, key, ins, pages: int, cells: int, shared: bool):
        self.index, self.key, self.ins = index, key, ins
        self.pages, self.cells, self.shared = pages, cells, shared
        self.heap = ins.name != "mmap"


def regions(lay) -> list[Region]:
    """The allocation sites reachable in the program, with constant arguments (else refused)."""
    out = []
    for key in lay.locations:
        ins = lay.instr(key)
        if not (isinstance(ins, ir.Builtin) and ins.name in ALLOCATORS):
            continue
        args = [_constant(a) for a in ins.args]
        if ins.name == "mmap":
            length, prot, flags, fd = args[1:5]
            if None in (length, prot, flags, fd):
                raise NotEncoded("mmap() with arguments that are not constants", ins.loc)
            if not flags & MAP_ANONYMOUS or fd != -1:
                raise NotEncoded("mmap() of anything but anonymous memory", ins.loc)
            if not prot & PROT_WRITE:
                raise NotEncoded("mmap() of memory that is not writable", ins.loc)
            pages, nbytes, shared = max(1, (length + 4095) // 4096), length, flags & 3 == MAP_SHARED
        else:
            if None in args:
                raise NotEncoded(f"{ins.name}() of a size that is not a constant", ins.loc)
            nbytes = args[0] * (args[1] if ins.name == "calloc" else 1)
            pages, shared = pages_for(nbytes), False
        cells = max(1, min(MAX_CELLS, (max(nbytes, 0) * 2 + ir.CELL - 1) // ir.CELL, pages * ir.CELLS_PER_PAGE))
        out.append(Region(len(out), key, ins, pages, cells, shared))
    return out


def region_keys(lay) -> list:
    return [("r", r.index, j) for r in lay.regions for j in range(r.cells)]


def region_names(lay, s: int) -> list:
    """A slot's state variables of the regions (see the module)."""
    if not lay.regions:
        return []
    return [("mnext", s)] + [(n, s, r.index) for r in lay.regions for n in ("ra", "rfl", "rfr", "rh", "rv")]


class MemorySteps:
    """The memory rules of `Step` (mixed in)."""

    def region_at(self, key) -> Region:
        return next(r for r in self.lay.regions if r.key == key)

    def b_mmap(self, p, s, ins, ev):
        flags = ev.eval(ins.args[3])
        if flags & 3 not in (1, 2):
            self.store(p, s, ("g", ir.ERRNO_SLOT), EINVAL)
            return [(p, -1)]
        r = self.region_at(p.key)
        nxt = self.get(p, ("mnext", s))
        vpn0 = z3.If(nxt == 0, bv(ir.MMAP_BASE >> 12), nxt)
        self.set(p, ("mnext", s), vpn0 + r.pages)
        return self.map_region(p, s, r, vpn0, PTE_SHARED if r.shared else 0)

    def b_malloc(self, p, s, ins, ev):
        """kernel: MemoryCalls.allocate: the block goes after the highest block in the heap list."""
        r = self.region_at(p.key)
        top = bv(HEAP_BASE >> 12)
        for o in self.lay.regions:
            if o.heap:
                end = self.get(p, ("rv", s, o.index)) + o.pages
                live = self.get(p, ("rh", s, o.index)) == 1
                top = z3.If(z3.And(live, z3.UGT(end, top)), end, top)
        out = []
        for q, result in self.map_region(p, s, r, top, 0):
            if result is not None:
                self.set(q, ("rh", s, r.index), 1)
                self.set(q, ("rv", s, r.index), top)
            out.append((q, result))
        return out

    b_calloc = b_malloc

    def map_region(self, p, s, r: Region, vpn0, flags: int) -> list:
        out = []
        for q, again in self.cases_of(p, self.get(p, ("ra", s, r.index)) != 0):
            if again:
                self.beyond(q, s, "an allocation site run again while its mapping lives")
                out.append((q, None))
                continue
            addr = vpn0 << 12
            self.set(q, ("ra", s, r.index), addr)
            self.set(q, ("rfl", s, r.index), flags)
            self.set(q, ("rfr", s, r.index), s + 1)
            for j in range(r.cells):
                self.set(q, ("m", s, ("r", r.index, j)), bv(0))
            out.append((q, addr))
        return out

    def covering(self, p, s, addr, npages):
        """Per region: (it lies wholly in [addr, addr + npages pages), it overlaps that range)."""
        lo, hi = addr >> 12, (addr >> 12) + npages
        out = []
        for r in self.lay.regions:
            ra = self.get(p, ("ra", s, r.index))
            v0 = ra >> 12
            mapped = ra != 0
            whole = z3.And(mapped, z3.UGE(v0, lo), z3.ULE(v0 + r.pages, hi))
            overlap = z3.And(mapped, z3.ULT(v0, hi), z3.UGT(v0 + r.pages, lo))
            out.append((r, whole, overlap))
        return out

    def fixed_pages(self, addr, npages):
        """Does [addr, addr + npages pages) touch the data pages or the stack (not encoded here)?"""
        lo, hi = addr >> 12, (addr >> 12) + npages
        data0 = ir.DATA_BASE >> 12
        return z3.Or(z3.And(z3.ULT(lo, data0 + 64), z3.UGT(hi, data0)), z3.UGE(hi, ir.STACK_BASE >> 12))

    def b_free(self, p, s, ins, ev):
        """kernel: MemoryCalls._b_free: the block leaves this process's page table and heap list."""
        addr = _num(ev.eval(ins.args[0]), ins)
        out = []
        rest = p
        for r in self.lay.regions:
            if rest is None or not r.heap:
                continue
            hit = z3.And(self.get(rest, ("rh", s, r.index)) == 1, self.get(rest, ("rv", s, r.index)) << 12 == addr)

            def drop(q, r=r):
                self.set(q, ("ra", s, r.index), bv(0))
                self.set(q, ("rh", s, r.index), bv(0))
                out.append((q, None))
            rest = self.pick(rest, hit, drop)
        if rest is not None:
            for q, null in self.cases_of(rest, addr == 0):
                if not null:
                    self.beyond(q, s, "free() of a pointer malloc did not return")
                out.append((q, None))
        return out

    def einval(self, p, s: int) -> tuple:
        """The call fails with -1/EINVAL (a bad length, an address not on a page boundary)."""
        self.store(p, s, ("g", ir.ERRNO_SLOT), EINVAL)
        return (p, -1)

    def b_madvise(self, p, s, ins, ev):
        """kernel: MemoryCalls._b_madvise, on whole regions."""
        addr, length, advice = (_num(ev.eval(a), ins) for a in ins.args)
        if is_sym(length) or is_sym(advice):
            raise NotEncoded("madvise() of a length or an advice that is not a constant", ins.loc)
        if length < 0:
            return [self.einval(p, s)]
        npages = (length + ir.PAGE - 1) // ir.PAGE
        out = []
        for q, bad in self.cases_of(p, (addr & (ir.PAGE - 1)) != 0):
            if bad:
                out.append(self.einval(q, s))
                continue
            cover = self.covering(q, s, addr, npages)
            none = z3.And([z3.Not(o) for _, _, o in cover]) if cover else z3.BoolVal(True)
            exact = [z3.And(w, (self.get(q, ("ra", s, r.index)) >> 12) == addr >> 12,
                            ((addr >> 12) + npages) == (self.get(q, ("ra", s, r.index)) >> 12) + r.pages)
                     for r, w, _ in cover]
            known = z3.And(none, z3.Not(self.fixed_pages(addr, npages)))
            for u, unmapped in self.cases_of(q, known):
                if unmapped:
                    self.store(u, s, ("g", ir.ERRNO_SLOT), ENOMEM)
                    out.append((u, -1))
                    continue
                rest = u
                for (r, _, _), hit in zip(cover, exact):
                    if rest is None:
                        break
                    rest = self.pick(rest, hit, lambda v, r=r: out.append(self.advise(v, s, r, advice)))
                if rest is not None:
                    self.beyond(rest, s, "madvise() of anything but one whole mapping")
                    out.append((rest, None))
        return out

    def b_munmap(self, p, s, ins, ev):
        """kernel: MemoryCalls._b_munmap: the pages leave this process's page table only (a
        region wholly inside the range is unmapped; one the range cuts is beyond the encoding);
        a range that is not page-aligned or empty is -1/EINVAL, one with nothing mapped is 0."""
        addr, length = (_num(ev.eval(a), ins) for a in ins.args)
        if is_sym(length):
            raise NotEncoded("munmap() of a length that is not a constant", ins.loc)
        if length <= 0:
            return [self.einval(p, s)]
        npages = (length + ir.PAGE - 1) // ir.PAGE
        out = []
        for q, bad in self.cases_of(p, (addr & (ir.PAGE - 1)) != 0):
            if bad:
                out.append(self.einval(q, s))
                continue
            cover = self.covering(q, s, addr, npages)
            cut = z3.Or([z3.And(o, z3.Not(w)) for _, w, o in cover] + [self.fixed_pages(addr, npages)])
            for u, beyond in self.cases_of(q, cut):
                if beyond:
                    self.beyond(u, s, "munmap() of part of a mapping, or of the data pages or the stack")
                    out.append((u, None))
                    continue
                for r, whole, _ in cover:
                    self.set(u, ("ra", s, r.index), z3.If(whole, bv(0), self.get(u, ("ra", s, r.index))))
                out.append((u, 0))
        return out

    def unmapped(self, p, s: int, addr) -> z3.BoolRef:
        """kernel: Exec.load/store's SIGSEGV: an address in the mapping area (from the heap up
        to the stack) that no live region of this process covers."""
        inside = [z3.And(self.get(p, ("ra", s, r.index)) != 0, z3.UGE(addr >> 12, self.get(p, ("ra", s, r.index)) >> 12),
                         z3.ULT(addr >> 12, (self.get(p, ("ra", s, r.index)) >> 12) + r.pages)) for r in self.lay.regions]
        return z3.And(z3.UGE(addr, HEAP_BASE), z3.ULT(addr, ir.STACK_BASE), z3.Not(z3.Or(inside)))

    def advise(self, p, s, r: Region, advice: int) -> tuple:
        if advice in MADV_HARMLESS:
            return (p, 0)
        bits = {MADV_DONTFORK: (PTE_DONTFORK, 0), MADV_DOFORK: (0, PTE_DONTFORK),
                MADV_WIPEONFORK: (PTE_WIPEONFORK, 0), MADV_KEEPONFORK: (0, PTE_WIPEONFORK)}.get(advice)
        if bits is None or (advice == MADV_WIPEONFORK and r.shared):
            self.store(p, s, ("g", ir.ERRNO_SLOT), EINVAL)
            return (p, -1)
        fl = self.get(p, ("rfl", s, r.index))
        self.set(p, ("rfl", s, r.index), (fl | bits[0]) & ~bits[1])
        return (p, 0)

    def memory_child_state(self, p, s: int, c: int) -> None:
        """kernel: MemoryCalls.child_ptes: what a fork child gets of each region."""
        if not self.lay.regions:
            return
        self.set(p, ("mnext", c), self.get(p, ("mnext", s)))
        shared_writable = []
        for r in self.lay.regions:
            i = r.index
            ra, fl = self.get(p, ("ra", s, i)), self.get(p, ("rfl", s, i))
            dont, wipe = (fl & PTE_DONTFORK) != 0, (fl & PTE_WIPEONFORK) != 0
            self.set(p, ("ra", c, i), z3.If(dont, bv(0), ra))
            self.set(p, ("rfl", c, i), fl)
            self.set(p, ("rh", c, i), self.get(p, ("rh", s, i)))
            self.set(p, ("rv", c, i), self.get(p, ("rv", s, i)))
            self.set(p, ("rfr", c, i), z3.If(wipe, bv(c + 1), self.get(p, ("rfr", s, i))))
            for j in range(r.cells):
                cell = ("r", i, j)
                self.set(p, ("m", c, cell), z3.If(wipe, bv(0), _vec(self.get(p, ("m", c, cell)))))
            if r.shared:
                shared_writable.append(z3.And(ra != 0, z3.Not(dont)))
        if shared_writable:
            p.event("shared_frame", z3.Or(shared_writable))

    def region_store(self, p, s: int, key, value) -> None:
        """A store into a MAP_SHARED frame is every mapper's (kernel: one frame)."""
        r = self.lay.regions[key[1]]
        if not r.shared:
            return
        mine = self.get(p, ("rfr", s, r.index))
        for o in range(self.enc.slots):
            if o == s:
                continue
            same = z3.And(self.get(p, ("ra", o, r.index)) != 0, self.get(p, ("rfr", o, r.index)) == mine)
            self.set(p, ("m", o, key), z3.If(same, _vec(value), _vec(self.get(p, ("m", o, key)))))

    def region_cells(self, p, s: int, addr) -> list:
        """[(key, Z3 Bool: addr names it)] over the regions' kept cells."""
        cells = []
        for r in self.lay.regions:
            ra = self.get(p, ("ra", s, r.index))
            cells += [(("r", r.index, j), z3.And(ra != 0, addr == ra + j * ir.CELL)) for j in range(r.cells)]
        return cells

    @staticmethod
    def cases_of(p, cond):
        from forkspec.engines.symbolic.block import cases

        return cases(p, cond)


class _NoState:
    """An evaluation context with no variables: a constant expression evaluates, others fail."""

    def __getattr__(self, name):
        raise LookupError(name)


def _constant(e):
    """The value of an expression made of constants (`PROT_READ | PROT_WRITE`, `-1`), else None."""
    from forkspec.engines.symbolic.expr import Evaluator

    try:
        v = Evaluator(_NoState()).eval(e)
    except (LookupError, NotEncoded):
        return None
    return v if isinstance(v, int) else None


def _num(v, ins):
    if isinstance(v, str):
        raise NotEncoded(f"{ins.name}() of a string", ins.loc)
    return v


def _vec(v):
    return bv(v) if isinstance(v, int) else v
