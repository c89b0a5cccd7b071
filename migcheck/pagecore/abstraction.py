"""The abstraction function: concrete PageCore state -> small frozen summary.

Meant for checking refinement against the abstract protocol model.  Per page:

=============== ==============================================================
dirty           source dirty bitmap bit (``bmap``; clean = handed to a channel)
logged          source dirty-log bit not yet harvested by a bitmap sync
received        destination ``receivedmap`` bit
present         destination holds some content for the page (not missing)
requested       page is in the destination's ``page_requested`` set
req_in_flight   a REQ_PAGES for it is on the return path
queued          it is in the source request queue (non-preempt only)
on_main         a copy is in flight on the main channel
on_preempt      a copy is in flight on the preempt channel
in_temp         a copy sits in a destination temp page (loaded, not placed)
dst_equal       destination bytes == source bytes
src_version     source version counter (number of guest writes)
dst_version     version encoded in the destination bytes, None if missing
=============== ==============================================================

Globals: both phases, where the source migration thread is in recovery, the
state of the two sockets, and whether the destination is inside the RESUME
handler (requests not yet re-sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from migcheck.pagecore.messages import PageMsg, ReqPages
from migcheck.pagecore.pages import page_version

if TYPE_CHECKING:
    from migcheck.pagecore.core import PageCore


@dataclass(frozen=True)
class PageAbs:
    dirty: bool
    logged: bool
    received: bool
    present: bool
    requested: bool
    req_in_flight: bool
    queued: bool
    on_main: bool
    on_preempt: bool
    in_temp: bool
    dst_equal: bool
    src_version: int
    dst_version: int | None


@dataclass(frozen=True)
class CoreAbs:
    src_phase: str
    dst_phase: str
    src_recover_pc: str | None
    main: str  # "up" | "broken"
    preempt: str  # "none" | "up" | "broken"
    resend_due: bool
    pages: tuple[PageAbs, ...]


def _state(broken: bool) -> str:
    return "broken" if broken else "up"


def abstract(core: PageCore) -> CoreAbs:
    src, dst, net = core.src, core.dst, core.net
    on_main = {m.index for m in net.main.to_dst if isinstance(m, PageMsg)}
    on_pre = set() if net.preempt is None else {
        m.index for m in net.preempt.to_dst if isinstance(m, PageMsg)}
    reqs = {m.index for m in net.main.to_src if isinstance(m, ReqPages)}
    temps = {t.index for t in dst.temp.values() if t is not None}
    pages = tuple(
        PageAbs(
            dirty=src.bmap[p],
            logged=src.dirty_log[p],
            received=dst.receivedmap[p],
            present=dst.ram[p] is not None,
            requested=p in dst.page_requested,
            req_in_flight=p in reqs,
            queued=p in src.queue,
            on_main=p in on_main,
            on_preempt=p in on_pre,
            in_temp=p in temps,
            dst_equal=dst.ram[p] == src.ram[p],
            src_version=src.version[p],
            dst_version=None if dst.ram[p] is None else page_version(dst.ram[p]),
        )
        for p in range(src.n)
    )
    return CoreAbs(
        src_phase=src.phase,
        dst_phase=dst.phase,
        src_recover_pc=src.recover_pc,
        main=_state(net.main.broken),
        preempt="none" if net.preempt is None else _state(net.preempt.broken),
        resend_due=dst.resend_due,
        pages=pages,
    )
