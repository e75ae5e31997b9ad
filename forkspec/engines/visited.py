"""How the search remembers states: exactly, or as 64-bit fingerprints (as TLC does).

Exact storage keeps every state as one bytes value, the numbers of its interned
(hash-consed) process records, page frames and other fields (`CompactTable`): a
process record or a page shared by many states is kept once, and a state costs its
bytes value (about 4 bytes a process and a page) and its entry in the visited map.

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


class ExactTable(list):
    """States by id, kept whole."""

    def key(self, state):
        return state

    def add(self, state, key=None) -> None:
        self.append(state)

    def keep(self, sid: int, state) -> None:
        pass


WIDE = 0xFFFF  # in a compact code, the mark of a number that takes two more 16-bit halves


class CompactTable:
    """States by id, each kept as one bytes value: the ids of its interned parts.

    Process records, page frames and every other field are interned once (`parts`);
    a state is the array of its parts' numbers (a process table and the frames are
    one number per element), 2 bytes a process and a page while there are fewer than
65,535 distinct parts (6 beyond). The bytes value is
    also the state's key in the visited map, so a stored state costs that value and its
    map entry. `table[sid]` rebuilds the state.
    """

    ELEMENTWISE = ("procs", "mem")

    def __init__(self, state_type):
        self.type = state_type
        self.fields = state_type._fields
        self.spread = tuple(f in self.ELEMENTWISE for f in self.fields)
        self.ids: dict = {}  # part -> its number
        self.by_id: dict = {}  # id of an interned part -> its number: no hashing for the very object (parts live forever)
        self.parts: list = []  # number -> part
        self.codes: list = []  # state id -> its bytes

    def number(self, part) -> int:
        """The part's number. A successor shares most of its parts with the state it came from, which
        was rebuilt from `parts`: those are found by identity, without hashing a whole process record."""
        n = self.by_id.get(id(part))
        if n is not None:
            return n
        n = self.ids.get(part)
        if n is None:
            n = self.ids[part] = len(self.parts)
            self.parts.append(part)
            self.by_id[id(part)] = n
        return n

    def key(self, state) -> bytes:
        nums = []
        number, known = self.number, self.by_id.get
        for value, spread in zip(state, self.spread):
            if spread:
                nums.append(len(value))
                for x in value:
                    n = known(id(x))  # `number`'s first test, inline: most parts are found so
                    nums.append(number(x) if n is None else n)
            else:
                nums.append(number(value))
        if max(nums) >= WIDE:  # a number past 16 bits: an escape, then its two halves
            nums = [h for n in nums for h in ((n,) if n < WIDE else (WIDE, n >> 16, n & 0xFFFF))]
        return array("H", nums).tobytes()

    def add(self, state, key=None) -> None:
        """Store a state; `key`, when given, is its `key(state)` already computed."""
        self.codes.append(self.key(state) if key is None else key)

    def keep(self, sid: int, state) -> None:
        pass

    def parts_bytes(self) -> int:
        """The interned parts' own tables (the codes are counted as the visited map's keys)."""
        import sys

        return sys.getsizeof(self.parts) + sys.getsizeof(self.ids) + sys.getsizeof(self.by_id) + sys.getsizeof(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, sid: int):
        raw = array("H")
        raw.frombytes(self.codes[sid])
        nums, i = [], 0
        while i < len(raw):
            if raw[i] == WIDE:
                nums.append(raw[i + 1] << 16 | raw[i + 2])
                i += 3
            else:
                nums.append(raw[i])
                i += 1
        parts, values, i = self.parts, [], 0
        for spread in self.spread:
            if spread:
                n = nums[i]
                values.append(tuple(parts[j] for j in nums[i + 1 : i + 1 + n]))
                i += 1 + n
            else:
                values.append(parts[nums[i]])
                i += 1
        return self.type(*values)


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

    def add(self, state, key=None) -> None:
        if not self.fps:
            self.kept[0] = state
        self.fps.append(fingerprint(state) if key is None else key)

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
