"""Page contents and the received-bitmap wire blob.

Every page is PAGE_SIZE bytes whose text names the page index and a version
counter, e.g. ``b"page0002v000001|"``.  A write on the source bumps the
version, so a stale copy on the destination is visible in its bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

PAGE_SIZE = 16
BITMAP_END_MARK = 0x0123456789ABCDEF


def page_content(index: int, version: int) -> bytes:
    """The bytes of page ``index`` after ``version`` guest writes."""
    data = f"page{index:04d}v{version:06d}|".encode()
    assert len(data) == PAGE_SIZE, data
    return data


def page_version(data: bytes) -> int:
    """Inverse of :func:`page_content` for the version part."""
    return int(data[9:15].decode())


def encode_bitmap(bits: Sequence[bool]) -> bytes:
    """Received-bitmap blob as the destination sends it after RECV_BITMAP.

    Layout (our own rendering of the shape in section 4): be64 byte count,
    the bits little-endian (bit i is bit i%8 of byte i//8) padded to a
    multiple of 8 bytes, then a be64 end marker.
    """
    nbytes = ((len(bits) + 63) // 64) * 8
    raw = bytearray(nbytes)
    for i, bit in enumerate(bits):
        if bit:
            raw[i // 8] |= 1 << (i % 8)
    return struct.pack(">Q", nbytes) + bytes(raw) + struct.pack(">Q", BITMAP_END_MARK)


def decode_bitmap(blob: bytes, n_bits: int) -> tuple[bool, ...]:
    """Parse a blob from :func:`encode_bitmap`; ValueError if malformed."""
    (nbytes,) = struct.unpack(">Q", blob[:8])
    if nbytes * 8 < n_bits or len(blob) != 16 + nbytes:
        raise ValueError(f"bitmap blob size mismatch: {nbytes} bytes for {n_bits} bits")
    (mark,) = struct.unpack(">Q", blob[8 + nbytes :])
    if mark != BITMAP_END_MARK:
        raise ValueError(f"bitmap blob end marker wrong: {mark:#x}")
    raw = blob[8 : 8 + nbytes]
    return tuple(bool(raw[i // 8] & (1 << (i % 8))) for i in range(n_bits))
