"""Small helpers the action files share: building an action, semaphores, the socket, messages."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from migcheck.checker import fifo
from migcheck.checker.edit import expr
from migcheck.checker.expr import Expr, all_of, ite, lift, min_
from migcheck.checker.spec import Action
from migcheck.model.state import (
    D2M_SIZE,
    M2D_SIZE,
    SEM_MAX,
    d2m,
    m2d,
    sock,
    src_error,
    to_dst_file,
    to_src_file,
)
from migcheck.model.vocab import FileRef, MigCmd, RpMsg, Sock, SrcError

Effect = Mapping[str, object]


def act(
    name: str,
    actor: str,
    guard: object,
    effect: Effect,
    qemu: str,
    doc: str = "",
    **fields: object,
) -> Action:
    """An action citing the QEMU function `qemu` ("file.c:function"), remembering the model
    file and line that wrote it (for SARIF and `migcheck models --show`)."""
    where = fields.pop("source", None)
    if where is None:
        frame = sys._getframe(1)
        where = (frame.f_code.co_filename, frame.f_lineno)
    pairs = tuple((k, expr(v, f"{name}: {k}")) for k, v in effect.items())
    return Action(name, actor, expr(guard, f"{name}: guard"), pairs, qemu, doc,
                  source=where, **fields)  # type: ignore[arg-type]


def post(sem: Expr) -> Expr:
    """qemu_sem_post (the count saturates at SEM_MAX; see model/state.py)."""
    return min_(sem + 1, SEM_MAX)


def take(sem: Expr) -> Expr:
    """The decrement of a qemu_sem_wait that returned (the guard requires sem > 0)."""
    return sem - 1


def first_error(kind: SrcError) -> Expr:
    """migrate_set_error: the first error wins."""
    return ite(src_error.eq(SrcError.NONE), kind, src_error)


def send_main(message: MigCmd, queue: Expr = m2d) -> Expr:
    """A write on the main channel: lost silently once the socket is broken (sticky error)."""
    return ite(sock.eq(Sock.UP), fifo.push(queue, message, M2D_SIZE, MigCmd.EMPTY), queue)


def send_rp(message: RpMsg, queue: Expr = d2m) -> Expr:
    """migrate_send_rp_message: needs to_src_file; lost once the socket is broken."""
    ok = all_of(to_src_file.eq(FileRef.CUR), sock.eq(Sock.UP))
    return ite(ok, fifo.push(queue, message, D2M_SIZE, RpMsg.EMPTY), queue)


def pop_main() -> Expr:
    return fifo.pop(m2d, M2D_SIZE, MigCmd.EMPTY)


def pop_rp() -> Expr:
    return fifo.pop(d2m, D2M_SIZE, RpMsg.EMPTY)


def main_head(message: MigCmd) -> Expr:
    return all_of(sock.eq(Sock.UP), fifo.head(m2d).eq(message))


def rp_head(message: RpMsg) -> Expr:
    return all_of(sock.eq(Sock.UP), fifo.head(d2m).eq(message))


def shutdown(when: object = True) -> dict[str, Expr]:
    """qemu_file_shutdown on either end: the socket breaks in both directions, in-flight data
    is lost (the model drops it at once)."""
    when = lift(when)
    return {
        "sock": ite(when & sock.eq(Sock.UP), Sock.BROKEN, sock),
        "m2d": ite(when, fifo.empty_queue(M2D_SIZE, MigCmd.EMPTY), m2d),
        "d2m": ite(when, fifo.empty_queue(D2M_SIZE, RpMsg.EMPTY), d2m),
    }


def new_connection() -> dict[str, Expr]:
    """A fresh socket, empty in both directions."""
    return {
        "sock": lift(Sock.UP),
        "m2d": lift(fifo.empty_queue(M2D_SIZE, MigCmd.EMPTY)),
        "d2m": lift(fifo.empty_queue(D2M_SIZE, RpMsg.EMPTY)),
    }


# ---- predicates used by several files
stream_error = all_of(to_dst_file.eq(FileRef.CUR), sock.eq(Sock.BROKEN))
"""qemu_file_get_error(ms->to_dst_file) != 0"""
