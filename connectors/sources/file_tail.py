"""Tail one file across rotation and truncation, remembering exactly where each line ends.

A file's position is only meaningful for the file it was taken in, so a position is stored
with the file's identity: device + inode, plus a fingerprint of its first bytes (which
survives copies and restores that change the inode). :class:`Tailer` gives out complete
lines with the byte position right after each one; that position, with the identity, is the
whole resume point (:meth:`Tailer.offset_for`).

Rotation (a new inode at the same path) is noticed at end of file: the old file is read to
its end (a last line without newline included), then the new one from its start.
Truncation (same inode, size below our position) restarts at 0.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, BinaryIO

#: How many leading bytes identify a file's content.
FINGERPRINT_BYTES = 256
_PLUS_NEWLINE = (1).__add__


@dataclass(frozen=True)
class FileIdentity:
    """Which file a position belongs to."""

    device: int
    inode: int
    fingerprint: str
    fingerprint_length: int

    def to_offset(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "inode": self.inode,
            "fingerprint": self.fingerprint,
            "fingerprint.length": self.fingerprint_length,
        }


def head_fingerprint(fd: BinaryIO, length: int = FINGERPRINT_BYTES) -> tuple[str, int]:
    """Hash of the first ``length`` bytes (fewer if the file is shorter) and their count."""
    head = os.pread(fd.fileno(), length, 0)
    return hashlib.blake2b(head, digest_size=12).hexdigest(), len(head)


def _same_file(fd: BinaryIO, offset: dict[str, Any]) -> bool:
    """Whether a stored offset was taken in the file ``fd`` is open on.

    Same device+inode counts only if the leading bytes did not change either (an inode can
    be reused by a new file); another inode counts if the leading bytes match (a copy or a
    restore of the same file).
    """
    if "inode" not in offset:  # FileStreamSource's offsets: the position alone
        return True
    st = os.fstat(fd.fileno())
    length = int(offset.get("fingerprint.length") or 0)
    same_head = length > 0 and head_fingerprint(fd, length) == (offset.get("fingerprint"), length)
    if offset.get("inode") == st.st_ino and offset.get("device") == st.st_dev:
        return same_head or length <= 0
    return same_head


class Tailer:
    """Reads complete lines of one path, following rotation and truncation.

    Attributes:
        path: the tailed path. position: byte position just after the last line given out.
    """

    def __init__(self, path: str, chunk_size: int = 1 << 20, *, text: bool = False) -> None:
        self.path = path
        self.chunk_size = chunk_size
        #: keep all-ASCII chunks as text, for a reader of :meth:`read_text_block` (a bytes
        #: reader would pay for decoding them and encoding every line back)
        self.text = text
        self.position = 0
        self._fd: BinaryIO | None = None
        self._identity: FileIdentity | None = None
        self._identity_offset: dict[str, Any] | None = None
        self._has_cr = False
        #: where reading stopped in files this tailer left by rotation, by (device, inode)
        self.retired: dict[tuple[int, int], dict[str, Any]] = {}
        #: the complete lines of the current chunk: text when the chunk was all ASCII
        #: (decoded and split once; a character is a byte there), else bytes
        self._lines: list[Any] = []  # list[str] when self._text, else list[bytes]
        self._text = False
        self._next = 0
        self._partial = b""
        self.gone = False

    # -- opening ---------------------------------------------------------------------------
    def open(self, offset: dict[str, Any] | None, *, from_end: bool = False) -> bool:
        """Open the path and seek to ``offset`` when it belongs to this file.

        Without a usable offset start at 0 (or at the end with ``from_end``). Returns False
        when the path does not exist (yet); call again later.
        """
        try:
            fd = open(self.path, "rb")  # noqa: SIM115 - kept open while tailing
        except FileNotFoundError:
            return False
        start = 0
        size = os.fstat(fd.fileno()).st_size
        if offset is not None and _same_file(fd, offset):
            wanted = int(offset.get("position", 0))
            start = wanted if wanted <= size else 0  # shorter than our position: truncated
        elif offset is None and from_end:
            start = size
        self._attach(fd, start)
        return True

    def _attach(self, fd: BinaryIO, start: int) -> None:
        if self._fd is not fd:
            self.close()
        fd.seek(start)
        self._fd = fd
        self.position = start
        self._lines, self._text, self._next, self._partial = [], False, 0, b""
        st = os.fstat(fd.fileno())
        self._identity = FileIdentity(st.st_dev, st.st_ino, *head_fingerprint(fd))
        self._identity_offset = None
        self.gone = False

    @property
    def file_key(self) -> tuple[int, int] | None:
        """(device, inode) of the open file."""
        ident = self._identity
        return None if ident is None or self._fd is None else (ident.device, ident.inode)

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self._fd.close()
            self._fd = None

    # -- reading ---------------------------------------------------------------------------
    def offset_for(self, position: int) -> dict[str, Any]:
        """The resume point for a line ending at ``position`` in the current file."""
        return {"position": position, **self.identity_offset}

    @property
    def identity_offset(self) -> dict[str, Any]:
        """The identity part of offsets (cached: it is copied into every record's offset)."""
        assert self._identity is not None
        if self._identity_offset is None:
            self._identity_offset = self._identity.to_offset()
        return self._identity_offset

    def read_lines(self, max_lines: int) -> list[tuple[bytes, int]]:
        """Up to ``max_lines`` complete lines (without terminator) with their end positions.

        Returns [] at end of file; checks for rotation/truncation then, so the next call
        continues in the right file.
        """
        lines, ends = self.read_block(max_lines)
        return list(zip(lines, ends, strict=True))

    def read_block(self, max_lines: int) -> tuple[list[bytes], list[int]]:
        """:meth:`read_lines` as two parallel lists: the lines, and where each one ends.

        The end positions are summed in C (``accumulate`` over the lengths), so a batch of
        lines costs no Python work per line here.
        """
        lines, ends = self._take(max_lines)
        if self._text:
            return [line.encode("ascii") for line in lines], ends
        return lines, ends

    def read_text_block(self, max_lines: int, encoding: str) -> tuple[list[str], list[int]]:
        """:meth:`read_block` with each line decoded (errors replaced).

        ``encoding`` must be ASCII-compatible (newline is byte 0x0A): an all-ASCII chunk is
        then already text, the same in every such encoding.
        """
        lines, ends = self._take(max_lines)
        if self._text:
            return lines, ends
        return decode_lines(lines, encoding), ends

    def _take(self, max_lines: int) -> tuple[list[Any], list[int]]:
        if self._fd is None:
            return [], []
        if self._next >= len(self._lines) and not self._fill():
            self._check_rotation()
            return [], []
        i = self._next
        stop = min(len(self._lines), i + max_lines)
        lines = self._lines[i:stop]
        ends = list(accumulate(map(_PLUS_NEWLINE, map(len, lines)), initial=self.position))
        del ends[0]
        if self._has_cr:  # never text: see _fill
            lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        self._next, self.position = stop, ends[-1]
        return lines, ends

    def _fill(self) -> bool:
        """Read the next chunk into whole lines; False when no complete line is available."""
        assert self._fd is not None
        data = self._fd.read(self.chunk_size)
        if not data:
            return False
        self._refresh_fingerprint()
        buffer = self._partial + data
        self._has_cr = b"\r" in buffer  # a line's CR may have come with the previous chunk
        if self.text and not self._has_cr and buffer.isascii():  # one decode, one split
            texts = buffer.decode("ascii").split("\n")
            self._partial = texts.pop().encode("ascii")
            self._lines, self._text, self._next = texts, True, 0
            return bool(texts)
        parts = buffer.split(b"\n")
        self._partial = parts.pop()
        self._lines, self._text, self._next = parts, False, 0
        return bool(parts)

    def _refresh_fingerprint(self) -> None:
        ident = self._identity
        if ident is not None and ident.fingerprint_length < FINGERPRINT_BYTES and self._fd:
            self._identity = FileIdentity(ident.device, ident.inode, *head_fingerprint(self._fd))
            self._identity_offset = None

    def _check_rotation(self) -> None:
        assert self._fd is not None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.gone = True  # deleted or moved away without a successor (yet)
            return
        own = os.fstat(self._fd.fileno())
        if (st.st_dev, st.st_ino) != (own.st_dev, own.st_ino):
            if self._partial:  # the old file will never complete its last line
                self._lines, self._text, self._next = [self._partial], False, 0
                self._partial = b""
                return
            self.retired[(own.st_dev, own.st_ino)] = self.offset_for(self.position)
            self._attach(open(self.path, "rb"), 0)  # noqa: SIM115 - kept open while tailing
        elif st.st_size < self._fd.tell():
            self._attach(self._fd, 0)  # truncated in place: start over

    def take_partial(self) -> list[tuple[bytes, int]]:
        """The unterminated last line, when the file is gone and will never complete it."""
        if not self._partial:
            return []
        line, self._partial = self._partial, b""
        self.position += len(line)
        return [(line, self.position)]


def decode_lines(lines: list[bytes], encoding: str) -> list[str]:
    """``line.decode(encoding, "replace")`` for each line of an ASCII-compatible encoding.

    A newline byte is a newline character there, and no replacement makes one, so decoding
    the joined lines once and splitting them again gives the same texts without a decode
    call per line.
    """
    texts = b"\n".join(lines).decode(encoding, "replace").split("\n")
    if len(texts) == len(lines):
        return texts
    return [line.decode(encoding, "replace") for line in lines]
