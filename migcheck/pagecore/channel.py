"""Channels: FIFOs of messages; a break drops everything in flight.

The main channel and the return path are one socket (one ``Channel`` with two
directions); the preempt channel is a second socket that only carries pages
source -> destination.  Writing to a broken channel is a silent no-op, like a
QEMUFile with a sticky error.

A recovery connection exists for the source as soon as its connect succeeds,
but the destination only reads it once ``postcopy_try_recover`` accepts it; it
may break in between, or never reach the destination at all.  So the network
keeps two ends: ``main``, the socket the source writes (``to_dst_file``), and
``incoming``, the socket the destination reads (``from_src_file``).  They are
the same object except between a reconnect on the source and the destination's
accept; until then the destination still holds its old, shut-down socket.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from migcheck.pagecore.messages import ToDst, ToSrc


@dataclass
class Channel:
    name: str
    to_dst: deque[ToDst] = field(default_factory=deque)
    to_src: deque[ToSrc] = field(default_factory=deque)
    broken: bool = False

    def send_to_dst(self, msg: ToDst) -> None:
        if not self.broken:
            self.to_dst.append(msg)

    def send_to_src(self, msg: ToSrc) -> None:
        if not self.broken:
            self.to_src.append(msg)

    def head_to_dst(self) -> ToDst | None:
        return self.to_dst[0] if self.to_dst else None

    def head_to_src(self) -> ToSrc | None:
        return self.to_src[0] if self.to_src else None

    def shutdown(self) -> None:
        """Break the socket: both directions lose every in-flight message."""
        self.broken = True
        self.to_dst.clear()
        self.to_src.clear()

    def healthy(self) -> bool:
        return not self.broken


@dataclass
class Network:
    """The channels currently in use (replaced on reconnect)."""

    main: Channel = field(default_factory=lambda: Channel("main"))
    preempt: Channel | None = None
    generation: int = 0
    pending: bool = False  # ``main`` is a connection the destination has yet to accept
    incoming: Channel = field(init=False)

    def __post_init__(self) -> None:
        self.incoming = self.main  # the initial connection is accepted before the core starts

    def connect_main(self) -> None:
        """The source's connect succeeded: a new socket, not yet accepted."""
        self.generation += 1
        self.main = Channel("main")
        self.pending = True

    def accept_main(self) -> None:
        """The destination takes the source's current socket as its main channel."""
        self.pending = False
        self.incoming = self.main

    def connect_preempt(self) -> None:
        self.preempt = Channel("preempt")

    def incoming_channel(self, name: str) -> Channel | None:
        """The channel the destination reads for ``name`` (main or preempt)."""
        return self.incoming if name == "main" else self.preempt
