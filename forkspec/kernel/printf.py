"""glibc-compatible ``printf`` formatting for the subset the C model supports.

The modelled programs call ``printf``/``sprintf`` with small formats; this module
turns a format string plus already-evaluated arguments into the exact text glibc
would produce (on an LP64 target: ``int`` is 32 bits, ``long``, ``long long``,
``size_t``, ``intmax_t``, ``ptrdiff_t`` and pointers are 64 bits).

Supported grammar, per conversion specification::

    % [flags] [width] [.precision] [length] conversion

    flags       any of  - + space # 0   (repeatable, any order)
    width       decimal digits, or *    (taken from the arguments)
    precision   . followed by digits, *, or nothing (= 0)
    length      hh h l ll z j t
    conversion  d i u x X o c s p %

Strings are modelled as byte strings with one Python character per byte (the
Latin-1 view), which is also what ``%c`` produces (``chr(v & 0xff)``); widths
and precisions therefore count characters.

glibc details reproduced here (some are undefined behaviour in ISO C, but this
is what the real library prints):

* ``%p`` prints ``(nil)`` for a null pointer (padded with spaces, precision
  ignored); any other pointer is printed like ``%#lx`` *including* the ``+``
  and space flags, the ``0`` flag and a precision (``%+p`` gives ``+0x1f``).
* The ``0`` flag pads ``%s``, ``%c`` and ``(nil)`` with spaces, not zeros.
* The ``0`` flag is ignored for integers when a precision is given or ``-`` is
  set; ``+`` beats space; ``+``/space are ignored for unsigned conversions.
* ``%.0d`` of 0 prints no digits (but still a sign: ``%+.0d`` gives ``+``);
  ``%#x`` of 0 prints ``0`` with no ``0x``; ``%#.0o`` of 0 prints ``0``.
* ``%%`` ignores flags, width, precision and length (``%5%`` prints ``%``),
  but a ``*`` in it still consumes an argument.
* A negative ``*`` width means ``-`` plus its absolute value; a negative ``*``
  precision means "no precision".  ``*`` arguments are C ``int``s, so they wrap
  to 32 bits.  Widths/precisions above ``INT_MAX`` or a total output longer
  than ``INT_MAX`` make glibc fail with ``EOVERFLOW``; here they raise
  :class:`PrintfError`.  So does an ``INT_MIN`` ``*`` width, except on ``%%``
  and on fields that print nothing (glibc negates it with signed overflow).
* Length modifiers are ignored on ``%p``, and ``h``/``hh`` on ``%c``/``%s``;
  ``%lc``/``%ls`` (and ``ll``/``z``/``j``/``t`` there, which glibc also treats
  as wide on LP64) are wide-character conversions and are rejected.

Everything outside the subset (``%f``, ``%n``, positional ``%1$d``, the ``'``
and ``I`` flags, ``L``/``q`` modifiers, a lone trailing ``%``...) raises
:class:`PrintfError`, a :class:`ValueError`, as do missing arguments and
arguments of the wrong Python type.  Extra arguments are ignored, as in C.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence, Union

__all__ = ["PrintfError", "format_printf", "count_conversions"]

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
_U64 = (1 << 64) - 1

_FLAGS = "-+ #0"
_DIGITS = "0123456789"
_CONVERSIONS = "diuxXocsp%"
# Width in bits of the value a length modifier selects, for integer conversions.
_LENGTH_BITS = {"": 32, "hh": 8, "h": 16, "l": 64, "ll": 64, "z": 64, "j": 64, "t": 64}
_WIDE_LENGTHS = frozenset({"l", "ll", "z", "j", "t"})
_SUPPORTED = "%d %i %u %x %X %o %c %s %p %%"

Arg = Union[int, str]


class PrintfError(ValueError):
    """A printf format or argument list outside what the model supports."""


@dataclass(frozen=True)
class _Spec:
    """One parsed ``%...`` conversion specification."""

    text: str  # the specification as written, e.g. "%-08.3lx"
    offset: int  # index of its '%' in the format
    flags: frozenset[str]
    width: int | str | None  # literal width, "*", or None
    precision: int | str | None  # literal precision, "*", or None
    length: str
    conv: str

    @property
    def nargs(self) -> int:
        stars = (self.width == "*") + (self.precision == "*")
        return stars + (self.conv != "%")


_Piece = Union[str, _Spec]


def _error_at(fmt: str, start: int, end: int, message: str) -> PrintfError:
    spec = fmt[start:end]
    return PrintfError(f"printf format {fmt!r}, offset {start} ({spec!r}): {message}")


def _check_format(fmt: object) -> str:
    if not isinstance(fmt, str):
        raise PrintfError(f"printf format must be a str, got {type(fmt).__name__}")
    return fmt


@lru_cache(maxsize=1024)
def _parse(fmt: str) -> tuple[_Piece, ...]:
    pieces: list[_Piece] = []
    n = len(fmt)
    i = 0
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            pieces.append(fmt[i:])
            break
        if j > i:
            pieces.append(fmt[i:j])
        start = j
        k = j + 1

        flags: set[str] = set()
        while k < n and fmt[k] in _FLAGS:
            flags.add(fmt[k])
            k += 1
        if k < n and fmt[k] in "'I":
            raise _error_at(fmt, start, k + 1, f"the {fmt[k]!r} flag is not supported")

        width: int | str | None = None
        if k < n and fmt[k] == "*":
            width = "*"
            k += 1
        elif k < n and fmt[k] in _DIGITS:
            m = k
            while m < n and fmt[m] in _DIGITS:
                m += 1
            if m < n and fmt[m] == "$":
                raise _error_at(fmt, start, m + 1, "positional arguments ('n$') are not supported")
            width = int(fmt[k:m])
            if width > INT_MAX:
                raise _error_at(fmt, start, m, "field width exceeds INT_MAX")
            k = m

        precision: int | str | None = None
        if k < n and fmt[k] == ".":
            k += 1
            if k < n and fmt[k] == "*":
                precision = "*"
                k += 1
            else:
                m = k
                while m < n and fmt[m] in _DIGITS:
                    m += 1
                precision = int(fmt[k:m]) if m > k else 0
                if precision > INT_MAX:
                    raise _error_at(fmt, start, m, "precision exceeds INT_MAX")
                k = m

        length = ""
        if k < n and fmt[k] in "hl":
            length = fmt[k]
            k += 1
            if k < n and fmt[k] == length:
                length += fmt[k]
                k += 1
        elif k < n and fmt[k] in "zjt":
            length = fmt[k]
            k += 1
        elif k < n and fmt[k] in "Lq":
            raise _error_at(fmt, start, k + 1, f"length modifier {fmt[k]!r} is not supported")

        if k >= n:
            raise _error_at(fmt, start, k, "incomplete conversion specification")
        conv = fmt[k]
        k += 1
        if conv not in _CONVERSIONS:
            raise _error_at(
                fmt, start, k, f"conversion '%{conv}' is not supported (supported: {_SUPPORTED})"
            )
        if conv in "cs" and length in _WIDE_LENGTHS:
            raise _error_at(
                fmt, start, k, f"wide-character conversion '%{length}{conv}' is not supported"
            )
        pieces.append(
            _Spec(fmt[start:k], start, frozenset(flags), width, precision, length, conv)
        )
        i = k
    return tuple(pieces)


def count_conversions(fmt: str) -> int:
    """How many arguments ``fmt`` consumes (``*`` widths/precisions included).

    Raises :class:`PrintfError` if the format uses anything outside the subset.
    """
    return sum(p.nargs for p in _parse(_check_format(fmt)) if isinstance(p, _Spec))


def _wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


class _Args:
    def __init__(self, fmt: str, args: Sequence[Arg]):
        self.fmt = fmt
        self.args = args
        self.pos = 0

    def take(self, spec: _Spec, want: type, what: str) -> Arg:
        if self.pos >= len(self.args):
            raise PrintfError(
                f"printf format {self.fmt!r}: missing argument {self.pos + 1} "
                f"({what} for {spec.text!r} at offset {spec.offset}); "
                f"the format needs {count_conversions(self.fmt)}, got {len(self.args)}"
            )
        value = self.args[self.pos]
        self.pos += 1
        if not isinstance(value, want):
            expected = "an int" if want is int else "a str"
            raise PrintfError(
                f"printf format {self.fmt!r}: argument {self.pos} ({what} for "
                f"{spec.text!r} at offset {spec.offset}) must be {expected}, "
                f"got {type(value).__name__} {value!r}"
            )
        return value


def _pad(body: str, width: int, left: bool) -> str:
    if len(body) >= width:
        return body
    fill = " " * (width - len(body))
    return body + fill if left else fill + body


def _format_number(
    spec: _Spec, value: int, width: int, left: bool, precision: int | None
) -> tuple[str, int, str]:
    """Sign and prefix, number of leading zeros, and digits of an integer or %p."""
    flags = spec.flags
    conv = spec.conv
    if conv == "p":
        magnitude = value & _U64
        sign = "+" if "+" in flags else " " if " " in flags else ""
        prefix, digits = "0x", format(magnitude, "x")
    else:
        bits = _LENGTH_BITS[spec.length]
        value = _wrap(value, bits, signed=conv in "di")
        magnitude = -value if value < 0 else value
        if conv in "di":
            sign = "-" if value < 0 else "+" if "+" in flags else " " if " " in flags else ""
        else:
            sign = ""
        digits = format(magnitude, {"d": "d", "i": "d", "u": "d"}.get(conv, conv))
        prefix = ""
        if conv in "xX" and "#" in flags and magnitude != 0:
            prefix = "0" + conv
    min_digits = 1 if precision is None else precision
    if magnitude == 0 and min_digits == 0:
        digits = ""
    zeros = max(0, min_digits - len(digits))
    if conv == "o" and "#" in flags and zeros == 0 and not digits.startswith("0"):
        zeros = 1
    if precision is None and "0" in flags and not left:
        zeros += max(0, width - len(sign) - len(prefix) - zeros - len(digits))
    return sign + prefix, zeros, digits


def format_printf(fmt: str, args: Sequence[Arg]) -> str:
    """Return what glibc's ``printf(fmt, args...)`` would print.

    Integer arguments may be Python ints of any size; they are converted to the
    C type the conversion expects (two's complement wrap-around), as a C
    compiler would do after the default argument promotions.  Raises
    :class:`PrintfError` (a ``ValueError``) for unsupported formats, missing
    arguments, arguments of the wrong type, and formats glibc rejects with
    ``EOVERFLOW``.
    """
    pieces = _parse(_check_format(fmt))
    source = _Args(fmt, args)
    # Each field is head + zeros + tail, space-padded to width on one side.  All
    # fields are laid out (and the total length checked) before any text is
    # built, so a format glibc rejects with EOVERFLOW fails without first
    # materialising gigabytes of padding.
    fields: list[tuple[str, int, str, int, bool]] = []
    total = 0
    for piece in pieces:
        if isinstance(piece, str):
            fields.append(("", 0, piece, 0, False))
            total += len(piece)
            continue
        spec = piece
        left = "-" in spec.flags

        width = 0
        width_overflow = False
        if spec.width == "*":
            width = _wrap(source.take(spec, int, "'*' field width"), 32, signed=True)
            if width < 0:
                left = True
                width = -width
            if width > INT_MAX:
                # glibc negates INT_MIN with signed overflow and keeps a negative
                # width: an empty field prints nothing, any other one overflows.
                width_overflow = True
                width = 0
        elif spec.width is not None:
            width = spec.width

        precision: int | None = None
        if spec.precision == "*":
            precision = _wrap(source.take(spec, int, "'*' precision"), 32, signed=True)
            if precision < 0:
                precision = None
        elif spec.precision is not None:
            precision = spec.precision

        conv = spec.conv
        head, zeros = "", 0
        if conv == "%":
            fields.append(("", 0, "%", 0, False))
            total += 1
            continue
        if conv == "s":
            tail = source.take(spec, str, "string").split("\0", 1)[0]  # a C string ends at its NUL
            if precision is not None:
                tail = tail[:precision]
        elif conv == "c":
            tail = chr(source.take(spec, int, "character") & 0xFF)
        else:
            value = source.take(spec, int, "pointer" if conv == "p" else "integer")
            if conv == "p" and value & _U64 == 0:
                tail = "(nil)"
            else:
                head, zeros, tail = _format_number(spec, value, width, left, precision)
        size = len(head) + zeros + len(tail)
        if width_overflow and size:
            raise PrintfError(
                f"printf format {fmt!r}: '*' field width INT_MIN for {spec.text!r} "
                f"at offset {spec.offset} overflows (glibc fails with EOVERFLOW)"
            )
        fields.append((head, zeros, tail, width, left))
        total += max(width, size)

    if total > INT_MAX:
        raise PrintfError(
            f"printf format {fmt!r}: output longer than INT_MAX characters "
            f"(glibc fails with EOVERFLOW)"
        )
    return "".join(
        _pad(head + "0" * zeros + tail, width, left) for head, zeros, tail, width, left in fields
    )


def printf_pieces(fmt: str, args: Sequence[Arg]) -> list[str]:
    """What glibc's vfprintf hands the stream, call by call: each run of literal text and
    each conversion is one `_IO_sputn`. On a buffered stream the split decides when the
    buffer is written, so the kernel feeds the pieces to stdio one at a time."""
    out: list[str] = []
    i = 0
    for piece in _parse(_check_format(fmt)):
        if isinstance(piece, str):
            if piece:
                out.append(piece)
            continue
        n = piece.nargs
        text = format_printf(piece.text, list(args[i : i + n]))
        i += n
        if text:
            out.append(text)
    return out
