"""Page properties (checked when the model has pages, --pages N >= 1).

Their predicates depend on the model's number of pages and on where it says a page can be in
flight (`meta.IN_FLIGHT`), so each is a `PageRule` built for the model.  A model without pages
has none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from migcheck.checker.expr import Expr, all_of, any_of
from migcheck.checker.kinds import (
    Invariant,
    LeavesEventually,
    Property,
    Sometimes,
)
from migcheck.checker.spec import Model
from migcheck.model import meta
from migcheck.model.pages import (
    bmap,
    dst_ver,
    page_requested,
    queued,
    receivedmap,
    rp_req,
    src_ver,
    tmp,
)
from migcheck.model.state import dst_state, recovered, sock, src_state, to_dst_file
from migcheck.model.vocab import FileRef, MigrationStatus as MS, Sock


def _pages(n: int, fn: Callable[[int], Expr]) -> Expr:
    return all_of(*(fn(p) for p in range(n)))


Maker = Callable[[str, str, str, Model, int], Property]


@dataclass(frozen=True)
class PageRule:
    """A page property before it is built for a model's number of pages and its places."""

    name: str
    statement: str
    rests_on: str
    make: Maker

    def build(self, model: Model, n: int) -> Property:
        return self.make(self.name, self.statement, self.rests_on, model, n)


def _page(name: str, statement: str, rests_on: str, kind: str, make: Maker) -> PageRule:
    return PageRule(name, statement, rests_on, make)


PAGES_CONSISTENT = _page(
    "pages-consistent",
    "Whenever both sides are COMPLETED, every destination page holds the source's content"
    " (same write).",
    "Reference 6.5(4)(5): no loss (resync makes lost pages dirty, completion sends the rest) and"
    " no staleness (DISCARD at switchover, source frozen in postcopy).",
    "invariant",
    lambda name, st, ro, model, n: Invariant(name, st, ro, predicate=any_of(
        ~(src_state.eq(MS.COMPLETED) & dst_state.eq(MS.COMPLETED)),
        _pages(n, lambda p: dst_ver[p].eq(src_ver[p])))),
)

NO_STALE_PLACEMENT = _page(
    "no-stale-placement",
    "The destination never holds a copy of a page, waiting in its temp page to be placed, while"
    " that page is already installed: placing it would overwrite the page (UFFDIO_COPY fails with"
    " EEXIST) or install an older copy over a newer one.",
    "Reference 6.5(3): at-most-once placement; a page is sent only while dirty, and placed pages"
    " are clean after the resync.",
    "invariant",
    lambda name, st, ro, model, n: Invariant(name, st, ro, predicate=_pages(
        n, lambda p: (tmp[p] < 0) | (dst_ver[p] < 0))),
)

RECEIVED_MEANS_PLACED = _page(
    "received-means-placed",
    "A page's receivedmap bit is set exactly when the destination has the page installed.",
    "Reference 6.5(2): qemu_ufd_copy_ioctl sets receivedmap only after UFFDIO_COPY succeeded;"
    " only ram_discard_range clears it.",
    "invariant",
    lambda name, st, ro, model, n: Invariant(name, st, ro, predicate=_pages(
        n, lambda p: receivedmap[p].eq(dst_ver[p] >= 0))),
)


def _steady() -> Expr:
    return (src_state.eq(MS.POSTCOPY_ACTIVE) & sock.eq(Sock.UP)
            & to_dst_file.eq(FileRef.CUR))


NO_PAGE_LOST = _page(
    "no-page-lost",
    "While the source migrates on a healthy channel (precopy, or postcopy-active after any"
    " resync), every page not received is dirty on the source or in flight (on the channel or"
    " in the temp page).",
    "Reference 6.5(4): a break voids 'in flight'; ram_dirty_bitmap_reload (bmap := NOT"
    " receivedmap) restores 'dirty if not received' before the source sends again.",
    "invariant",
    lambda name, st, ro, model, n: Invariant(name, st, ro, predicate=any_of(
        ~((src_state.eq(MS.ACTIVE) | src_state.eq(MS.POSTCOPY_ACTIVE)) & sock.eq(Sock.UP)
          & to_dst_file.eq(FileRef.CUR)),
        _pages(n, lambda p: receivedmap[p] | bmap[p] | meta.in_flight(model, p)))),
)

REQUESTS_TRACKED = _page(
    "requests-tracked",
    "In steady postcopy (both sides postcopy-active, healthy channel), every page the"
    " destination requested and still misses is known to the source: its request is in flight"
    " or queued, or a copy is in flight.",
    "Reference 6.4: requests lost at a break stay in page_requested and are re-sent by"
    " loadvm_postcopy_handle_resume; without that the faulting vCPU waits for the background"
    " push.",
    "invariant",
    lambda name, st, ro, model, n: Invariant(name, st, ro, predicate=any_of(
        ~(_steady() & dst_state.eq(MS.POSTCOPY_ACTIVE)),
        _pages(n, lambda p: ~page_requested[p] | receivedmap[p] | rp_req[p] | queued[p]
               | meta.in_flight(model, p)))),
)

NOT_PAUSED = ~(src_state.isin(MS.POSTCOPY_PAUSED, MS.FAILED, MS.CANCELLING, MS.CANCELLED)
               | dst_state.isin(MS.POSTCOPY_PAUSED, MS.FAILED))
"""Neither side is paused or dead: otherwise only the admin (never obliged) can help."""

REQUESTS_SERVED = _page(
    "requests-served",
    "Every page the destination faults on is eventually received in every fair run, unless the"
    " migration pauses (then the admin must act) or a side fails: the state 'requested and"
    " missing, nothing paused' is always left.",
    "The source serves queued requests before the background push, and re-sent requests after"
    " a recovery reach it (reference 6.1, 6.4).",
    "liveness",
    lambda name, st, ro, model, n: LeavesEventually(name, st, ro, cond=all_of(NOT_PAUSED, any_of(
        *(page_requested[p] & ~receivedmap[p] for p in range(n))))),
)

REQUEST_SERVED_AFTER_RECOVERY = _page(
    "request-served-after-recovery",
    "Some run recovers and then loads a page the destination requested, for placement.",
    "Without it requests-served could hold only because requests never survive a recovery.",
    "witness",
    lambda name, st, ro, model, n: Sometimes(name, st, ro, predicate=recovered & any_of(
        *(page_requested[p] & (tmp[p] >= 0) for p in range(n)))),
)

RULES = (PAGES_CONSISTENT, NO_STALE_PLACEMENT, RECEIVED_MEANS_PLACED, NO_PAGE_LOST,
         REQUESTS_TRACKED, REQUESTS_SERVED, REQUEST_SERVED_AFTER_RECOVERY)


def build(model: Model) -> list[Property]:
    """The page properties for the model's pages (none without pages)."""
    n = meta.pages(model)
    return [rule.build(model, n) for rule in RULES] if n else []
