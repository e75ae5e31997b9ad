"""glibc stdio buffering as pure functions of a Stream.

Fully buffered streams flush when a character arrives at a full buffer; line
buffered ones also at every newline. Each flush is one write(2). Splitting output
at every newline and every full buffer is never coarser than glibc, so the model
allows every interleaving of writes the real library can produce.
"""
from __future__ import annotations

from forkspec.kernel.state import IOFBF, IOLBF, IONBF, Stream

TTY_BUFFER = 1024  # st_blksize of a pty on Linux
FILE_BUFFER = 4096  # st_blksize of a pipe or an ext4 file
BUFSIZ = 8192


def stdout_stream(mode: str) -> Stream:
    if mode == "tty":
        return Stream("", IOLBF, TTY_BUFFER)
    return Stream("", IOFBF, FILE_BUFFER)


def stderr_stream() -> Stream:
    return Stream("", IONBF, 0)


def put(stream: Stream, data: str) -> tuple[Stream, list[str]]:
    """Append `data` as one libc call would; return the new stream and the writes issued."""
    if not data:
        return stream, []
    if stream.mode == IONBF:
        return stream, [data]
    writes: list[str] = []
    buf, size, line = stream.buf, stream.size, stream.mode == IOLBF
    i = 0
    while i < len(data):
        if len(buf) >= size:
            writes.append(buf)
            buf = ""
        room = size - len(buf)
        chunk = data[i : i + room]
        if line:
            nl = chunk.find("\n")
            if nl >= 0:
                chunk = chunk[: nl + 1]
                writes.append(buf + chunk)
                buf = ""
                i += len(chunk)
                continue
        buf += chunk
        i += len(chunk)
    return Stream(buf, stream.mode, size), writes


def flush(stream: Stream) -> tuple[Stream, list[str]]:
    if not stream.buf:
        return stream, []
    return stream._replace(buf=""), [stream.buf]


def setvbuf(stream: Stream, has_buffer: bool, mode: int, size: int) -> tuple[Stream, list[str]]:
    """setvbuf(3): glibc flushes first when it installs a new buffer or turns buffering off."""
    writes: list[str] = []
    if mode == IONBF or has_buffer:
        stream, writes = flush(stream)
    if mode == IONBF:
        return Stream("", IONBF, 0), writes
    new_size = size if has_buffer and size > 0 else (stream.size or FILE_BUFFER)
    return Stream(stream.buf, mode, new_size), writes
