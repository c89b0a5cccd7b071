"""How a state is packed into 64-bit words.

Every scalar position of a state (a variable, or one element of a tuple-valued variable) is a
*slot* of `width` bits holding `value - lo`, where lo..hi is its domain.  Slots are laid out
in variable order and never straddle a word, so reading one is a shift and a mask.  The same
layout serves the generated C code, the projections over packed states and the conversion
back to the state tuples the rest of migcheck reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migcheck.checker.spec import (
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    Model,
    ModelError,
    TupleDomain,
)


@dataclass(frozen=True)
class Slot:
    var: int  # variable index
    elem: int | None  # element of a tuple-valued variable (None: the variable itself)
    word: int
    shift: int
    width: int
    lo: int
    hi: int
    boolean: bool  # a BoolDomain slot: unpacked as False/True

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


def bounds(domain: Domain) -> tuple[int, int]:
    """The integer codes a scalar domain's values take."""
    match domain:
        case BoolDomain():
            return 0, 1
        case IntDomain(lo=lo, hi=hi):
            return lo, hi
        case EnumDomain():
            return 0, max(len(domain.members) - 1, 0)
    raise ModelError(f"cannot pack a value of {domain!r}")


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]
    words: int
    var_slots: tuple[tuple[int, ...], ...]  # per variable: its slot numbers
    tuple_size: tuple[int | None, ...]  # per variable: its tuple size (None: a scalar)

    @staticmethod
    def of(model: Model) -> Layout:
        slots: list[Slot] = []
        var_slots: list[tuple[int, ...]] = []
        sizes: list[int | None] = []
        word = shift = 0
        for i, v in enumerate(model.variables):
            dom = v.domain
            if isinstance(dom, TupleDomain):
                if isinstance(dom.elem, TupleDomain):
                    raise ModelError(f"variable {v.name}: nested tuples cannot be packed")
                elems: list[int | None] = list(range(dom.size))
                sizes.append(dom.size)
                dom = dom.elem
            else:
                elems = [None]
                sizes.append(None)
            lo, hi = bounds(dom)
            width = max((hi - lo).bit_length(), 1)
            mine = []
            for e in elems:
                if shift + width > 64:
                    word, shift = word + 1, 0
                mine.append(len(slots))
                slots.append(Slot(i, e, word, shift, width, lo, hi, isinstance(dom, BoolDomain)))
                shift += width
            var_slots.append(tuple(mine))
        return Layout(tuple(slots), word + 1, tuple(var_slots), tuple(sizes))

    def pack(self, state: tuple) -> list[int]:
        out = [0] * self.words
        for slot, value in zip(self.slots, self._flat(state), strict=True):
            out[slot.word] |= (int(value) - slot.lo) << slot.shift
        return out

    def _flat(self, state: tuple) -> list[int]:
        flat: list[int] = []
        for value, size in zip(state, self.tuple_size, strict=True):
            flat.extend(value if size is not None else (value,))
        return flat

    def unpack(self, words: np.ndarray) -> tuple:
        """One packed state (its words) as the state tuple the Python explorer uses."""
        ws = [int(w) for w in words]
        return self._state([self.value(s, (ws[s.word] >> s.shift) & s.mask)
                            for s in self.slots])

    @staticmethod
    def value(slot: Slot, raw: int) -> object:
        """A slot's stored bits as the value the Python explorer holds there."""
        return bool(raw) if slot.boolean else raw + slot.lo

    def _state(self, values: list[object]) -> tuple:
        out: list[object] = []
        k = 0
        for size in self.tuple_size:
            if size is None:
                out.append(values[k])
                k += 1
            else:
                out.append(tuple(values[k:k + size]))
                k += size
        return tuple(out)
