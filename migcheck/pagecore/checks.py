"""Invariants of reference section 6.5 that apply to the page core.

Every check returns a list of violation strings (empty = holds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migcheck.pagecore import destination as D, source as S
from migcheck.pagecore.abstraction import abstract
from migcheck.pagecore.pages import page_version

if TYPE_CHECKING:
    from migcheck.pagecore.core import PageCore


def _v(data: bytes | None) -> str:
    return "missing" if data is None else f"v{page_version(data)}"


def pages_consistent(core: PageCore) -> list[str]:
    """Both sides completed => every destination page equals the source's."""
    src, dst = core.src, core.dst
    if src.phase != S.COMPLETED or dst.phase != D.COMPLETED:
        return []
    return [
        f"pages_consistent: page {p} dst {_v(dst.ram[p])} != src {_v(src.ram[p])}"
        for p in range(src.n) if dst.ram[p] != src.ram[p]
    ]


def no_stale_placement(core: PageCore) -> list[str]:
    """Recorded at each placement: never over an installed (same or newer) page."""
    return list(core.dst.placement_violations)


def received_implies_present(core: PageCore) -> list[str]:
    """Inv 2: receivedmap[p] <=> the page is installed."""
    dst = core.dst
    out = []
    for p in range(dst.n):
        if dst.receivedmap[p] and dst.ram[p] is None:
            out.append(f"received_implies_present: page {p} marked received but missing")
        if not dst.receivedmap[p] and dst.ram[p] is not None:
            out.append(f"received_implies_present: page {p} installed but not marked")
    return out


def no_loss(core: PageCore) -> list[str]:
    """Inv 4: not received => dirty/logged on the source or in flight on a healthy channel.

    Voided from a channel break until the source reloads its bitmap.
    """
    if core.lost_window:
        return []
    out = []
    for p, a in enumerate(abstract(core).pages):
        if not (a.received or a.dirty or a.logged or a.on_main or a.on_preempt or a.in_temp):
            out.append(f"no_loss: page {p} not received, clean on source, not in flight")
    return out


def source_frozen(core: PageCore) -> list[str]:
    """Inv 1: after postcopy_start source memory never changes."""
    src = core.src
    if src.frozen is None or tuple(src.ram) == src.frozen:
        return []
    return ["source_frozen: source RAM changed after the guest was stopped"]


def no_stale_received(core: PageCore) -> list[str]:
    """Inv 5: once DISCARD is processed each received, present page equals the source's."""
    src, dst = core.src, core.dst
    if dst.phase == D.PRECOPY:
        return []
    return [
        f"no_stale_received: page {p} dst {_v(dst.ram[p])} but src {_v(src.ram[p])}"
        for p in range(dst.n)
        if dst.receivedmap[p] and dst.ram[p] is not None and dst.ram[p] != src.ram[p]
    ]


def requests_tracked(core: PageCore) -> list[str]:
    """Every outstanding request is known to the source or already answered.

    Checked only in steady postcopy (both sides active, channels healthy, no
    pending resync, RESUME handler finished): a requested page must have its
    REQ on the return path, be in the source queue, or be in flight.  Without
    this, the faulting vCPU waits for the background push at best.
    """
    src, dst, net = core.src, core.dst, core.net
    steady = (src.phase in (S.POSTCOPY_ACTIVE, S.COMPLETED) and dst.phase == D.POSTCOPY_ACTIVE
              and not dst.resend_due and net.main.healthy() and net.incoming is net.main
              and not core.lost_window)
    if not steady:
        return []
    out = []
    for p, a in enumerate(abstract(core).pages):
        if a.requested and not (a.req_in_flight or a.queued or a.on_main or a.on_preempt
                                or a.in_temp):
            out.append(f"requests_tracked: request for page {p} unknown to the source "
                       "(never served)")
    return out


ALL_CHECKS = (
    pages_consistent,
    no_stale_placement,
    received_implies_present,
    no_loss,
    source_frozen,
    no_stale_received,
    requests_tracked,
)


def check_all(core: PageCore) -> list[str]:
    out: list[str] = []
    for check in ALL_CHECKS:
        out.extend(check(core))
    return out
