"""Process memory beyond globals and the stack: malloc'd blocks, munmap, madvise, and
what a fork child gets of each page.

Every malloc block has pages of its own (the model addresses cells, not bytes), so a
block is private memory like any other and fork shares it copy-on-write. munmap and
free drop the caller's page-table entries only; another process's mapping of the
same frame is untouched. madvise marks pages with PTE flags that `child_ptes` reads
at fork: MADV_DONTFORK pages are left out of the child (touching one there is a
SIGSEGV), MADV_WIPEONFORK pages reach the child as fresh zero pages.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.errors import ModelError
from forkspec.kernel.events import Event
from forkspec.kernel.state import PTE_COW, PTE_DONTFORK, PTE_SHARED, PTE_WIPEONFORK, PTE_WRITE

HEAP_BASE = 0x0100_0000  # where malloc's blocks start (only equality of addresses is observable)
EINVAL, ENOMEM = 22, 12
MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK = 10, 11, 18, 19
MADV_HARMLESS = frozenset({0, 1, 2, 3, 4})  # NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED-as-hint
NOT_INHERITED = PTE_DONTFORK | PTE_WIPEONFORK


def pages_for(nbytes: int) -> int:
    """Pages a block of `nbytes` needs: every element is a cell of 8 bytes, even an int of 4."""
    return max(1, (2 * max(nbytes, 0) + ir.PAGE - 1) // ir.PAGE)


class MemoryCalls:
    """The `_b_` methods of malloc/calloc/free, munmap and madvise, mixed into `Exec`."""

    def map_fresh(self, vpn0: int, pages: int, flags: int) -> None:
        for i in range(pages):
            self.ptes[vpn0 + i] = [len(self.mem), flags]
            self.mem.append(())
        self.mem_dirty = True
        self.refcounts = None

    def unmap(self, vpn0: int, pages: int) -> None:
        for vpn in range(vpn0, vpn0 + pages):
            self.ptes.pop(vpn, None)
        self.mem_dirty = True
        self.refcounts = None

    def child_ptes(self) -> tuple:
        """The page table a fork child starts with (the parent's COW marking already done)."""
        out = []
        for vpn, (pfn, fl) in sorted(self.ptes.items()):
            if fl & PTE_DONTFORK:
                continue
            if fl & PTE_WIPEONFORK:
                pfn = len(self.mem)
                self.mem.append(())
                self.mem_dirty = True
            out.append((vpn, pfn, fl))
        return tuple(out)

    def _b_malloc(self, ins, choice, preview=False):
        """malloc(3): a new block of private pages; its address is the same in a later fork child."""
        return self.allocate(self.eval(ins.args[0]))

    def _b_calloc(self, ins, choice, preview=False):
        """calloc(3): as malloc; fresh pages are zero already."""
        return self.allocate(self.eval(ins.args[0]) * self.eval(ins.args[1]))

    def allocate(self, nbytes: int) -> int:
        pages = pages_for(nbytes)
        heap = self.p.heap
        vpn0 = max((v + n for v, n in heap), default=HEAP_BASE >> 12)
        self.map_fresh(vpn0, pages, PTE_WRITE)
        self.p = self.p._replace(heap=tuple(sorted(heap + ((vpn0, pages),))))
        self.events.append(Event("malloc", self.pid, vpn=vpn0, text=f"malloc: {pages} page(s) at {vpn0 << 12:#x}"))
        return vpn0 << 12

    def _b_free(self, ins, choice, preview=False):
        """free(3): the block's pages leave this process's page table (a fork child's copy stays)."""
        addr = self.eval(ins.args[0])
        if addr == 0:
            return None
        block = next((b for b in self.p.heap if isinstance(addr, int) and b[0] << 12 == addr), None)
        if block is None:
            raise ModelError(f"free({addr!r}) of a pointer malloc did not return, or freed twice "
                             "(undefined behaviour, not modelled)")
        self.unmap(*block)
        self.p = self.p._replace(heap=tuple(b for b in self.p.heap if b != block))
        self.events.append(Event("free", self.pid, vpn=block[0], text=f"free: block at {addr:#x} released"))
        return None

    def _b_munmap(self, ins, choice, preview=False):
        """munmap(2): the range leaves this process's page table only; -1/EINVAL if not page-aligned."""
        addr, length = self.eval(ins.args[0]), self.eval(ins.args[1])
        if not isinstance(addr, int) or addr % ir.PAGE or length <= 0:
            self.set_errno(EINVAL)
            return -1
        self.unmap(addr >> 12, (length + ir.PAGE - 1) // ir.PAGE)
        self.events.append(Event("munmap", self.pid, vpn=addr >> 12, text=f"munmap of {addr:#x}"))
        return 0

    def _b_madvise(self, ins, choice, preview=False):
        """madvise(2): DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK set what fork gives the child;
        WIPEONFORK on a shared mapping is -1/EINVAL; an unmapped range is -1/ENOMEM."""
        addr, length, advice = (self.eval(a) for a in ins.args)
        if not isinstance(addr, int) or addr % ir.PAGE or length < 0:
            self.set_errno(EINVAL)
            return -1
        vpns = range(addr >> 12, (addr + length + ir.PAGE - 1) >> 12)
        if any(v not in self.ptes for v in vpns):
            self.set_errno(ENOMEM)
            return -1
        if advice in MADV_HARMLESS:
            return 0
        bits = {MADV_DONTFORK: (PTE_DONTFORK, 0), MADV_DOFORK: (0, PTE_DONTFORK),
                MADV_WIPEONFORK: (PTE_WIPEONFORK, 0), MADV_KEEPONFORK: (0, PTE_WIPEONFORK)}.get(advice)
        if bits is None or (advice == MADV_WIPEONFORK and any(self.ptes[v][1] & PTE_SHARED for v in vpns)):
            self.set_errno(EINVAL)
            return -1
        for v in vpns:
            e = self.ptes[v]
            e[1] = (e[1] | bits[0]) & ~bits[1]
        return 0


def fork_marks_cow(flags: int) -> bool:
    """Does fork turn this private page copy-on-write? (Not if the child does not get it.)"""
    return not flags & (PTE_SHARED | NOT_INHERITED) and bool(flags & (PTE_WRITE | PTE_COW))
