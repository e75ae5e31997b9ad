"""glibc stdio buffering as pure functions of a Stream.

A transcription of glibc's libio write path (`_IO_new_file_xsputn`,
`_IO_default_xsputn`, `_IO_new_file_overflow`, `new_do_write`), keeping only what
decides when write(2) happens: the buffered bytes, the mode, the buffer size and
where `_IO_write_end` stands (the Stream's `area`). After every write glibc puts
`_IO_write_end` at the buffer's end for a fully buffered stream and at its start for
a line-buffered or unbuffered one, so only fully buffered streams copy bytes without
going through `__overflow`; `xsputn` on a line-buffered stream measures its room
against the buffer's end instead. `setvbuf` without a buffer of its own changes only
the mode, so the write area left by the old mode stays until the next write.
Each write is one write(2).
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


class _File:
    """One libc call's working copy of a stream: glibc's FILE fields that matter here."""

    def __init__(self, stream: Stream) -> None:
        self.buf, self.mode, self.size, self.area = stream.buf, stream.mode, stream.size, stream.area
        self.writes: list[str] = []

    def stream(self) -> Stream:
        return Stream(self.buf, self.mode, self.size, self.area)

    def room(self) -> int:
        """_IO_write_end - _IO_write_ptr."""
        return self.size - len(self.buf) if self.area == AREA_OK else 0

    def do_write(self, data: str) -> None:
        """new_do_write: one write(2), then the write area is reset according to the mode."""
        self.writes.append(data)
        self.area = AREA_OK if self.mode == IOFBF else AREA_STALE

    def write_buffer(self) -> None:
        """_IO_do_write of the buffered bytes; nothing at all when there are none."""
        if self.buf:
            data, self.buf = self.buf, ""
            self.do_write(data)

    def overflow(self, c: str | None) -> None:
        """_IO_new_file_overflow(c), or (c is None) with EOF: flush."""
        if self.area == AREA_NONE:
            self.area = AREA_OK if self.mode == IOFBF else AREA_STALE
        if c is None:
            self.write_buffer()
            return
        if len(self.buf) >= self.size:
            self.write_buffer()
        self.buf += c
        if self.mode == IONBF or (self.mode == IOLBF and c == "\n"):
            self.write_buffer()

    def default_xsputn(self, s: str) -> None:
        """_IO_default_xsputn: copy while there is room, else one byte through __overflow."""
        i = 0
        while i < len(s):
            room = self.room()
            if room > 0:
                self.buf += s[i : i + room]
                i += room
                continue
            self.overflow(s[i])
            i += 1

    def xsputn(self, s: str) -> None:
        """_IO_new_file_xsputn."""
        count, must_flush = 0, False
        if self.mode == IOLBF and self.area != AREA_NONE:
            count = self.size - len(self.buf)
            if count >= len(s):
                nl = s.rfind("\n")
                if nl >= 0:
                    count, must_flush = nl + 1, True
        else:
            count = self.room()
        self.buf, s = self.buf + s[:count], s[count:]
        if not s and not must_flush:
            return
        self.overflow(None)
        direct = len(s) - (len(s) % self.size if self.size >= SMALL_BLOCK else 0)
        if direct:
            self.do_write(s[:direct])
            s = s[direct:]
        self.default_xsputn(s)

    def putc(self, c: str) -> None:
        """_IO_putc_unlocked: store while there is room, else __overflow."""
        if self.room() > 0:
            self.buf += c
        else:
            self.overflow(c)


def put(stream: Stream, data: str) -> tuple[Stream, list[str]]:
    """Append `data` as one libc call would; return the new stream and the writes issued."""
    if not data:
        return stream, []
    f = _File(stream)
    f.xsputn(data)
    return f.stream(), f.writes


def putc(stream: Stream, c: str) -> tuple[Stream, list[str]]:
    f = _File(stream)
    f.putc(c)
    return f.stream(), f.writes


def flush(stream: Stream) -> tuple[Stream, list[str]]:
    """fflush, and exit's flush of every stream: nothing happens to an empty buffer."""
    f = _File(stream)
    f.write_buffer()
    return f.stream(), f.writes


def setvbuf(stream: Stream, has_buffer: bool, mode: int, size: int) -> tuple[Stream, list[str]]:
    """setvbuf(3) as glibc does it.

    Turning buffering off, or giving a buffer, goes through `_IO_SETBUF`: it flushes
    and resets the write area to the new buffer's start, so a stream that has been
    written to stays "putting" with no room (AREA_STALE). Without a buffer of its own,
    `_IOFBF`/`_IOLBF` only change the mode and keep the current buffer and write area,
    which after `_IONBF` is glibc's one-byte `_shortbuf`.
    """
    if mode == IONBF or has_buffer:
        stream, writes = flush(stream)
        area = AREA_STALE if stream.area != AREA_NONE else AREA_NONE
        if mode == IONBF:
            return Stream("", IONBF, 1, area), writes
        return Stream("", mode, size if size > 0 else BUFSIZ, area), writes
    return Stream(stream.buf, mode, stream.size, stream.area), []
