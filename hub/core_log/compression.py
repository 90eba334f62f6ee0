"""Per-batch compression codecs, in the exact stream formats Kafka clients use.

All codecs come from ``cramjam`` (one C-backed wheel, no hand-written codecs):

* gzip: an ordinary gzip member (what ``GZIPOutputStream`` writes).
* snappy: Kafka's Java client wraps snappy in xerial's ``SnappyOutputStream``
  framing (an 8-byte magic, two version ints, then length-prefixed raw
  blocks), while librdkafka and others send one raw snappy block.  We write
  the xerial framing (so old Java consumers and kafka-python read it) and
  read both.
* lz4: the standard LZ4 *frame* format with independent blocks (Kafka's
  reader decompresses block by block, so linked blocks would break it).
* zstd: a standard zstd frame.
"""

from __future__ import annotations

import struct
from enum import IntEnum

import cramjam

from hub.core_log.errors import CorruptRecordError


class CompressionType(IntEnum):
    """The codec id stored in the low three bits of a batch's attributes."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4

    @classmethod
    def from_name(cls, name: str) -> CompressionType:
        """Parse a ``compression.type`` value; ``producer`` means keep the producer's codec.

        ``producer`` maps to NONE here: the caller that knows the producer's
        batch keeps its codec and only asks us when it must recompress.

        Raises:
            ValueError: the name is not one of Kafka's codec names.
        """
        lowered = name.strip().lower()
        if lowered == "producer":
            return cls.NONE
        try:
            return cls[lowered.upper()]
        except KeyError:
            allowed = ", ".join(["producer", *(c.name.lower() for c in cls)])
            msg = f"unknown compression type {name!r}; use one of: {allowed}"
            raise ValueError(msg) from None


_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK = 32 * 1024  # xerial's default block size
_INT32 = struct.Struct(">i")
_GZIP_LEVEL = 6  # java.util.zip's default, as Kafka uses
_ZSTD_LEVEL = 3  # Kafka's default zstd level


def compress(codec: CompressionType, data: bytes) -> bytes:
    """Compress a batch's records section with ``codec``."""
    if codec == CompressionType.NONE:
        return data
    if codec == CompressionType.GZIP:
        return bytes(cramjam.gzip.compress(data, level=_GZIP_LEVEL))
    if codec == CompressionType.SNAPPY:
        return _xerial_snappy(data)
    if codec == CompressionType.LZ4:
        compressor = cramjam.lz4.Compressor(block_linked=False, content_checksum=False)
        compressor.compress(data)
        return bytes(compressor.finish())
    if codec == CompressionType.ZSTD:
        return bytes(cramjam.zstd.compress(data, level=_ZSTD_LEVEL))
    msg = f"compression type {codec!r} is not supported; use none, gzip, snappy, lz4 or zstd"
    raise ValueError(msg)


def _xerial_snappy(data: bytes) -> bytes:
    pieces = [_XERIAL_HEADER]
    view = memoryview(data)
    for start in range(0, len(data), _XERIAL_BLOCK):
        block = bytes(cramjam.snappy.compress_raw(view[start : start + _XERIAL_BLOCK]))
        pieces.append(_INT32.pack(len(block)))
        pieces.append(block)
    return b"".join(pieces)


def decompress(codec: CompressionType, data: bytes | memoryview) -> bytes:
    """Decompress a batch's records section.

    Raises:
        CorruptRecordError: the codec id is unknown or the data does not
            decompress (a corrupt batch, or a producer bug).
    """
    if codec == CompressionType.NONE:
        return bytes(data)
    try:
        if codec == CompressionType.GZIP:
            return bytes(cramjam.gzip.decompress(data))
        if codec == CompressionType.SNAPPY:
            return _snappy_decode(data)
        if codec == CompressionType.LZ4:
            return bytes(cramjam.lz4.decompress(data))
        if codec == CompressionType.ZSTD:
            return bytes(cramjam.zstd.decompress(data))
    except cramjam.DecompressionError as exc:
        name = codec.name.lower()
        msg = f"cannot {name}-decompress the batch records ({exc}); the batch is corrupt"
        raise CorruptRecordError(msg) from exc
    msg = f"unknown compression codec id {int(codec)} in batch attributes; the batch is corrupt"
    raise CorruptRecordError(msg)


def _snappy_decode(data: bytes | memoryview) -> bytes:
    view = memoryview(data)
    if bytes(view[:8]) != _XERIAL_MAGIC:
        return bytes(cramjam.snappy.decompress_raw(view))
    pos = 16
    pieces = []
    while pos + 4 <= len(view):
        (size,) = _INT32.unpack_from(view, pos)
        pos += 4
        if size < 0 or pos + size > len(view):
            msg = "xerial snappy block runs past the batch end; the batch is corrupt"
            raise CorruptRecordError(msg)
        pieces.append(bytes(cramjam.snappy.decompress_raw(view[pos : pos + size])))
        pos += size
    if pos != len(view):
        msg = "trailing bytes after the last xerial snappy block; the batch is corrupt"
        raise CorruptRecordError(msg)
    return b"".join(pieces)
