"""Candidate lemmas suggested by the explicit explorer's reachable states.

The explorer sees a bounded world; z3 decides which of its observations are inductive.  A
candidate is only a guess: `migcheck.checker.z3.induction` keeps exactly those that z3 proves
inductive together, so a wrong guess costs time, never soundness.

Two shapes, over the encoder's scalar slots (tuples are flattened):
* unary:  slot in {values seen};
* pair:   slot_i == a  ->  slot_j in {values seen together with a}   (i < j).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import z3

from migcheck.checker.z3.encode import Encoder, Slot, number


@dataclass(frozen=True)
class Lemma:
    """`target in allowed`, under `when = (slot, value)` if given."""

    target: int  # slot index
    allowed: frozenset[int]
    when: tuple[int, int] | None = None

    def check(self, values: tuple) -> bool:
        """Does the lemma hold in a state given as a tuple of slot values?"""
        if self.when is not None and values[self.when[0]] != self.when[1]:
            return True
        return values[self.target] in self.allowed

    def formula(self, terms: list[z3.ExprRef], bv: int) -> z3.BoolRef:
        t = terms[self.target]
        member = z3.Or(*(_is(t, v, bv) for v in sorted(self.allowed)))
        if self.when is None:
            return member
        slot, value = self.when
        return z3.Implies(_is(terms[slot], value, bv), member)

    def show(self, slots: tuple[Slot, ...]) -> str:
        target = slots[self.target]
        names = sorted(_name(target, v) for v in self.allowed)
        rhs = (f"{target.label} == {names[0]}" if len(names) == 1
               else f"{target.label} in {{{', '.join(names)}}}")
        if self.when is None:
            return rhs
        slot, value = self.when
        return f"{slots[slot].label} == {_name(slots[slot], value)} -> {rhs}"


def _is(term: z3.ExprRef, value: int, bv: int) -> z3.BoolRef:
    if z3.is_bool(term):
        return term if value else z3.Not(term)
    return term == number(value, bv)


def _name(slot: Slot, code: int) -> str:
    value = slot.domain.decode(code)
    return getattr(value, "name", str(value))


def slot_rows(enc: Encoder, states: Iterable[tuple]) -> set[tuple]:
    """Explorer states (full tuples) as flat slot-value tuples of the encoder (bound variables
    dropped in abstract mode; duplicates merged)."""
    return {slot_row(enc, s) for s in states}


def slot_row(enc: Encoder, state: tuple) -> tuple:
    """One explorer state as the encoder's flat slot-value tuple."""
    return tuple(_flatten([state[enc.model.var_index[v.name]] for v in enc.kept]))


def _flatten(values: list) -> list[int]:
    flat: list[int] = []
    for v in values:
        if isinstance(v, tuple):
            flat.extend(_flatten(list(v)))
        else:
            flat.append(int(v))
    return flat


def candidates(enc: Encoder, rows: set[tuple]) -> list[Lemma]:
    """Every unary and pair restriction that the rows satisfy and the domains do not imply."""
    slots = enc.slots
    cols = list(zip(*rows, strict=True))
    full = [frozenset(int(v) for v in s.values()) for s in slots]
    out: list[Lemma] = []
    seen = [frozenset(c) for c in cols]
    for i in range(len(slots)):
        out.append(Lemma(i, seen[i]))  # also states the domain: needed in every proof
    for i in range(len(slots)):
        for j in range(i + 1, len(slots)):
            if len(seen[i]) < 2 or len(seen[j]) < 2:
                continue
            pairs = set(zip(cols[i], cols[j], strict=True))
            by_a: dict[int, set[int]] = {}
            for a, b in pairs:
                by_a.setdefault(a, set()).add(b)
            for a, bs in sorted(by_a.items()):
                if bs != seen[j] and bs != full[j]:
                    out.append(Lemma(j, frozenset(bs), (i, a)))
    return out


@dataclass(frozen=True)
class Cube:
    """A learned lemma: never all of these (slot == value) at once."""

    literals: tuple[tuple[int, int], ...]

    def check(self, values: tuple) -> bool:
        return not all(values[i] == v for i, v in self.literals)

    def formula(self, terms: list[z3.ExprRef], bv: int) -> z3.BoolRef:
        return z3.Not(z3.And(*(_is(terms[i], v, bv) for i, v in self.literals)))

    def show(self, slots: tuple[Slot, ...]) -> str:
        parts = [f"{slots[i].label} == {_name(slots[i], v)}" for i, v in self.literals]
        return "never (" + " and ".join(parts) + ")"
