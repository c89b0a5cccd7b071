"""The network: the main socket may fail at any moment, up to --failures times.

A failure may also strike a recovery connection before the destination has accepted it:
with a proxy in the path (the recipe in f8c543e808's message: src -> socat -> socat -> dst),
the source's connect succeeds against the first proxy while the destination never sees a
connection and keeps listening.
"""

from __future__ import annotations

from migcheck.checker.spec import Action
from migcheck.model.dsl import act, shutdown
from migcheck.model.state import conn_pending, failures, sock
from migcheck.model.vocab import Sock

NET = "net"


def actions(max_failures: int) -> list[Action]:
    budget = failures < max_failures
    return [
        act("network: main channel fails", NET,
            sock.eq(Sock.UP) & budget,
            {**shutdown(), "failures": failures + 1},
            "io/channel-socket.c:qio_channel_socket_readv",
            "The socket breaks: both directions see errors, in-flight data is lost."),
        act("network: path fails before the destination accepts", NET,
            sock.eq(Sock.UP) & conn_pending & budget,
            {**shutdown(), "failures": failures + 1, "conn_pending": False, "listening": True},
            "io/channel-socket.c:qio_channel_socket_readv",
            "A proxy accepted the source's connection but the path beyond it is broken: the"
            " destination never sees the connection and keeps listening."),
    ]
