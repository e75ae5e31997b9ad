"""How the search remembers states: exactly, or as 64-bit fingerprints (as TLC does).

Exact storage keeps every state, with its process records and page frames
interned (hash-consed): states that share a process record or a page share the
object, so a state costs its own tuple plus what is new in it. State values are
NamedTuples, which already carry no per-instance `__dict__` (they are `__slots__ = ()`
tuples).

Fingerprint storage keeps a 64-bit hash per state instead of the state: about 80
bytes a state whatever its size, at the price of a small chance that two distinct
states share a fingerprint and the second is never explored. That chance is
computed and reported (`collision_probability`), as TLC prints it; a verdict that
must be certain is checked with exact storage (the default). A stored state is
rebuilt on demand by replaying the model along the parent links, picking at each
step the successor with the recorded fingerprint.
"""
from __future__ import annotations

from array import array


def collision_probability(n: int, bits: int = 64) -> float:
    """Chance that n distinct states include two with one fingerprint (the birthday bound)."""
    return min(1.0, n * (n - 1) / 2 / 2.0 ** bits)


def fingerprint(state) -> int:
    """A 64-bit fingerprint: Python's hash of the (immutable) state value."""
    return hash(state)


def table_bytes(index, *arrays) -> int:
    """What the visited table takes: the hash set (or map) with its fingerprint objects, and the per-state arrays."""
    import sys

    size = sys.getsizeof(index) + sum(map(sys.getsizeof, index))
    if isinstance(index, dict):
        size += sum(map(sys.getsizeof, index.values()))
    for a in arrays:
        a = getattr(a, "fps", a)
        size += a.itemsize * len(a)
    return size


class Interner:
    """Hash-consing: equal tuple elements of a state's tuple fields become one shared object."""

    def __init__(self):
        self.table: dict = {}

    def __call__(self, state):
        setdefault = self.table.setdefault
        changes = {}
        for name, value in zip(state._fields, state):
            if type(value) is tuple and value:
                changes[name] = tuple([setdefault(x, x) for x in value])
        return state._replace(**changes) if changes else state


class ExactTable(list):
    """States by id, kept whole."""

    def key(self, state):
        return state

    def add(self, state) -> None:
        self.append(state)

    def keep(self, sid: int, state) -> None:
        pass


class FingerprintTable:
    """States by id, kept as fingerprints; a state is rebuilt by replay when asked for."""

    def __init__(self, model, canon, parents):
        self.model = model
        self.canon = canon
        self.parents = parents
        self.fps = array("q")
        self.kept: dict[int, object] = {}  # the initial state, terminated states and witnesses

    def key(self, state) -> int:
        return fingerprint(state)

    def add(self, state) -> None:
        if not self.fps:
            self.kept[0] = state
        self.fps.append(fingerprint(state))

    def keep(self, sid: int, state) -> None:
        self.kept[sid] = state

    def __len__(self) -> int:
        return len(self.fps)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, sid: int):
        if sid in self.kept:
            return self.kept[sid]
        path = []
        i = sid
        while i not in self.kept:
            path.append(i)
            i = self.parents[i]
        state = self.kept[i]
        canon = self.canon or (lambda s: s)
        for j in reversed(path):
            want = self.fps[j]
            state = next(c for c in (canon(n) for _, n in self.model.successors(state)) if fingerprint(c) == want)
        return state
