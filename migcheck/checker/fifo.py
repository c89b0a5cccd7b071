"""Bounded FIFOs as fixed-size tuples, built from plain expression nodes.

A queue of capacity n is a tuple of n slots filled from the left; `empty` marks a free slot.
push/pop expand to if-then-else over the slots, so every engine reads them as ordinary
expressions (no queue primitive in the language).
"""

from __future__ import annotations

from migcheck.checker.expr import Expr, Tuple, all_of, ite, lift


def empty_queue(size: int, empty: object) -> tuple:
    return (empty,) * size


def head(queue: Expr) -> Expr:
    return queue[0]


def push(queue: Expr, message: object, size: int, empty: object) -> Expr:
    """Append `message` in the first free slot (a full queue is left unchanged)."""
    message = lift(message)
    slots = []
    for i in range(size):
        before_full = all_of(*(queue[j].ne(empty) for j in range(i)))
        slots.append(ite(all_of(before_full, queue[i].eq(empty)), message, queue[i]))
    return Tuple(tuple(slots))


def pop(queue: Expr, size: int, empty: object) -> Expr:
    return Tuple(tuple(queue[i + 1] for i in range(size - 1)) + (lift(empty),))
