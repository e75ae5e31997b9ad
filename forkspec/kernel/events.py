"""What a step changed, as values: the raw material of traces and step properties."""
from __future__ import annotations


class Event:
    """One change made by a step: a fork, a write, a COW fault, an exit, a reap...

    `kind` names it; the remaining fields depend on the kind (see `describe`).
    """

    __slots__ = ("kind", "pid", "attrs")

    def __init__(self, kind: str, pid: int, **data):
        self.kind = kind
        self.pid = pid
        self.attrs = data

    def __getattr__(self, name):
        try:
            return self.attrs[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.attrs.items())
        return f"Event({self.kind}, pid={self.pid}{', ' if fields else ''}{fields})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Event) and (self.kind, self.pid, self.attrs) == (other.kind, other.pid, other.attrs)

    def __hash__(self) -> int:
        return hash((self.kind, self.pid, tuple(sorted(self.attrs.items()))))


# Every attribute an event may carry, for validating property conditions.
EVENT_ATTRIBUTES = frozenset(
    {"kind", "pid", "child", "fd", "data", "vpn", "old", "new", "status", "reaper", "parent",
     "handler", "expected", "remaining", "line", "text", "others", "private", "errno", "signal",
     "what", "owner", "forked", "target"}
)
