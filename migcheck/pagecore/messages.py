"""Messages carried by the channels (frozen, hashable, with real payload bytes).

Main channel, source -> destination: ``PageMsg``, ``DiscardMsg``, ``Command``.
Return path, destination -> source: ``ReqPages``, ``RecvBitmap``, ``ResumeAck``.
Preempt channel, source -> destination: ``PageMsg`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

# Main-channel commands (MIG_CMD_* / QEMU_VM_EOF).
POSTCOPY_LISTEN = "POSTCOPY_LISTEN"
POSTCOPY_RUN = "POSTCOPY_RUN"
RECV_BITMAP = "RECV_BITMAP"
POSTCOPY_RESUME = "POSTCOPY_RESUME"
EOF = "QEMU_VM_EOF"


@dataclass(frozen=True)
class PageMsg:
    """One (host == target) page: index and its PAGE_SIZE content bytes."""

    index: int
    data: bytes


@dataclass(frozen=True)
class DiscardMsg:
    """POSTCOPY_RAM_DISCARD: pages the destination must drop at switchover."""

    indices: tuple[int, ...]


@dataclass(frozen=True)
class Command:
    """A payload-free main-channel command (one of the constants above)."""

    name: str


@dataclass(frozen=True)
class ReqPages:
    """MIG_RP_MSG_REQ_PAGES for one page."""

    index: int


@dataclass(frozen=True)
class RecvBitmap:
    """MIG_RP_MSG_RECV_BITMAP with its blob (see pages.encode_bitmap)."""

    blob: bytes


@dataclass(frozen=True)
class ResumeAck:
    """MIG_RP_MSG_RESUME_ACK(1)."""

    value: int = 1


ToDst = PageMsg | DiscardMsg | Command
ToSrc = ReqPages | RecvBitmap | ResumeAck
