"""glibc stdio buffering as pure functions of a Stream.

Fully buffered streams follow glibc's `_IO_new_file_xsputn`: bytes are copied while
the buffer has room; what does not fit first flushes the buffer, then whole blocks
go straight to write(2) (everything, when the buffer is smaller than 128 bytes), and
the rest is buffered; a character that meets a full buffer flushes it first.
`setvbuf` after output leaves the write area empty but "putting", so the next bytes
go one by one through `__overflow` and are flushed by the output call after them.
Line buffered streams flush at every newline and at every full buffer: never
coarser than glibc, so the model allows every interleaving of writes glibc can make.
Each flush is one write(2).
"""
from __future__ import annotations

from forkspec.kernel.state import AREA_NONE, AREA_OK, AREA_STALE, IOFBF, IOLBF, IONBF, Stream

TTY_BUFFER = 1024  # st_blksize of a pty on Linux
FILE_BUFFER = 4096  # st_blksize of a pipe or an ext4 file
BUFSIZ = 8192
SMALL_BLOCK = 128  # below this, xsputn writes what does not fit straight through


def stdout_stream(mode: str) -> Stream:
    if mode == "tty":
        return Stream("", IOLBF, TTY_BUFFER)
    return Stream("", IOFBF, FILE_BUFFER)


def stderr_stream() -> Stream:
    return Stream("", IONBF, 1)


def put(stream: Stream, data: str) -> tuple[Stream, list[str]]:
    """Append `data` as one libc call would; return the new stream and the writes issued."""
    if not data:
        return stream, []
    if stream.mode == IONBF:
        return stream, [data]
    if stream.mode == IOLBF:
        return _put_line(stream, data)
    return _put_full(stream, data)


def _put_line(stream: Stream, s: str) -> tuple[Stream, list[str]]:
    """glibc's xsputn on a line-buffered stream: once putting, what fits up to the last
    newline is copied and flushed in one write; the rest takes the full-buffer path."""
    writes: list[str] = []
    buf, size, area = stream.buf, stream.size, stream.area
    must_flush = False
    room = 0
    if area == AREA_OK:
        room = size - len(buf)
        if room >= len(s):
            nl = s.rfind("\n")
            if nl >= 0:
                room, must_flush = nl + 1, True
    buf, s = buf + s[:room], s[room:]
    if s or must_flush:
        buf, area, s = _flush_and_write_through(buf, size, area, s, writes)
        for c in s:  # _IO_default_xsputn: a line-buffered write area has no room, so __overflow per byte
            buf, area = _overflow_char(buf, size, area, c, True, writes)
    return Stream(buf, stream.mode, size, area), writes


def _overflow_char(buf: str, size: int, area: int, c: str, line: bool, writes: list[str]) -> tuple[str, int]:
    """__overflow(c): write a full buffer first, store the byte, write at a newline when line buffered."""
    if len(buf) >= size:
        writes.append(buf)
        buf = ""
    buf += c
    if line and c == "\n":
        writes.append(buf)
        buf = ""
    return buf, AREA_OK if area == AREA_NONE or not buf else area


def putc(stream: Stream, c: str) -> tuple[Stream, list[str]]:
    """putc/putchar: stored while a fully buffered write area has room, else through __overflow."""
    if stream.mode == IONBF:
        return stream, [c]
    if stream.mode == IOFBF and stream.area == AREA_OK and len(stream.buf) < stream.size:
        return stream._replace(buf=stream.buf + c), []
    writes: list[str] = []
    buf, area = _overflow_char(stream.buf, stream.size, stream.area, c, stream.mode == IOLBF, writes)
    if writes:
        area = AREA_OK
    return Stream(buf, stream.mode, stream.size, area), writes


def _put_full(stream: Stream, s: str) -> tuple[Stream, list[str]]:
    writes: list[str] = []
    buf, size, area = stream.buf, stream.size, stream.area
    room = size - len(buf) if area == AREA_OK else 0
    buf, s = buf + s[:room], s[room:]
    if s:
        buf, area, s = _flush_and_write_through(buf, size, area, s, writes)
        buf, area = _overflow_chars(buf, size, area, s, writes)
    return Stream(buf, stream.mode, size, area), writes


def _flush_and_write_through(buf: str, size: int, area: int, s: str, writes: list[str]) -> tuple[str, int, str]:
    """xsputn when the data does not fit: `_IO_OVERFLOW (f, EOF)` flushes what is buffered (an
    empty flush leaves the area as it is), then whole blocks go straight to write(2) — all of
    it when the buffer is under 128 bytes. Returns the buffer, the area and what is left."""
    if buf:
        writes.append(buf)
        buf, area = "", AREA_OK
    elif area == AREA_NONE:
        area = AREA_OK
    direct = len(s) - (len(s) % size if size >= SMALL_BLOCK else 0)
    if direct:
        writes.append(s[:direct])
        s, area = s[direct:], AREA_OK
    return buf, area, s


def _overflow_chars(buf: str, size: int, area: int, s: str, writes: list[str]) -> tuple[str, int]:
    """_IO_default_xsputn: copy while there is room, else one character at a time through __overflow."""
    i = 0
    while i < len(s):
        room = size - len(buf) if area == AREA_OK else 0
        if room > 0:
            buf += s[i : i + room]
            i += room
            continue
        if len(buf) >= size:  # __overflow: a full buffer is written first
            writes.append(buf)
            buf, area = "", AREA_OK
        elif area == AREA_NONE:
            area = AREA_OK
        buf += s[i]
        i += 1
    return buf, area


def flush(stream: Stream) -> tuple[Stream, list[str]]:
    if not stream.buf:
        return stream, []
    return Stream("", stream.mode, stream.size, AREA_OK), [stream.buf]


def setvbuf(stream: Stream, has_buffer: bool, mode: int, size: int) -> tuple[Stream, list[str]]:
    """setvbuf(3) as glibc does it.

    Turning buffering off, or giving a buffer, first flushes (`_IO_SETBUF` syncs) and
    resets the write area to the new buffer's start: a stream that has been written
    to is left "putting" with no room (AREA_STALE). Without a buffer of its own,
    `_IOFBF`/`_IOLBF` only change the mode and keep the current buffer, which after
    `_IONBF` is glibc's one-byte `_shortbuf`.
    """
    if mode == IONBF or has_buffer:
        stream, writes = flush(stream)
        area = AREA_STALE if stream.area != AREA_NONE else AREA_NONE
        if mode == IONBF:
            return Stream("", IONBF, 1, area), writes
        return Stream("", mode, size if size > 0 else BUFSIZ, area), writes
    return Stream(stream.buf, mode, stream.size, stream.area), []
