"""The explorer's reachable states as an oracle for lemma learning.

`Reach` holds explorer states as flat slot rows (see `lemmas.slot_rows`) with one bitset per
(slot, value), so "does any known reachable state match this partial assignment?" is a few
big-integer ANDs.  The rows only guide the search: every lemma they suggest is proved by z3.
"""

from __future__ import annotations

from collections.abc import Iterable


class Reach:
    def __init__(self, rows: Iterable[tuple]):
        self.rows: dict[tuple, int] = {}
        self.bits: list[dict[int, int]] = []
        for row in rows:
            self.add(row)

    def __contains__(self, row: tuple) -> bool:
        return row in self.rows

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: tuple) -> None:
        if row in self.rows:
            return
        k = len(self.rows)
        self.rows[row] = k
        if not self.bits:
            self.bits = [{} for _ in row]
        for i, v in enumerate(row):
            self.bits[i][v] = self.bits[i].get(v, 0) | (1 << k)

    def matching(self, literals: Iterable[tuple[int, int]]) -> int:
        """Bitset of the rows agreeing with every (slot, value) literal."""
        mask = (1 << len(self.rows)) - 1
        for slot, value in literals:
            mask &= self.bits[slot].get(value, 0)
        return mask

    def generalize(self, row: tuple) -> tuple[tuple[int, int], ...] | None:
        """A small set of the row's literals that no known reachable row satisfies (a cube to
        block), or None if the row itself is known reachable.  Greedy: add the literal that
        leaves the fewest matching rows, then drop literals that became redundant."""
        if row in self.rows:
            return None
        chosen: list[tuple[int, int]] = []
        mask = (1 << len(self.rows)) - 1
        remaining = set(range(len(row)))
        while mask:
            best = min(remaining, key=lambda i: (self.bits[i].get(row[i], 0) & mask).bit_count())
            remaining.discard(best)
            chosen.append((best, row[best]))
            mask &= self.bits[best].get(row[best], 0)
        for lit in list(chosen):
            rest = [c for c in chosen if c != lit]
            if rest and not self.matching(rest):
                chosen = rest
        return tuple(sorted(chosen))
