"""Channels: FIFOs of messages; a break drops everything in flight.

The main channel and the return path are one socket (one ``Channel`` with two
directions); the preempt channel is a second socket that only carries pages
source -> destination.  Writing to a broken channel is a silent no-op, like a
QEMUFile with a sticky error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pagecore.messages import ToDst, ToSrc


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

    def connect_main(self) -> None:
        self.generation += 1
        self.main = Channel("main")

    def connect_preempt(self) -> None:
        self.preempt = Channel("preempt")

    def channel(self, name: str) -> Channel | None:
        return self.main if name == "main" else self.preempt
