"""The refinement mapping from model actions to pagecore steps (model/ names on one side,
pagecore step names on the other; no protocol logic of its own).

Each row: a model action name (a regular expression) -> the core steps it stands for.  Model
actions with no row are stutters for the core (thread bookkeeping, semaphores, QMP replies).
A step of the model that breaks the socket also breaks the core's channel (`connect_path_break`
when the same step takes away the connection the destination had yet to accept).

The model leaves two orders open that the core fixes: which dirty page the scan sends and
which queued request is served.  `prepare` resolves them by pointing the core's scan position
or queue at the model's choice (an abstraction of the core's internal scheduling).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from migcheck.pagecore import PageCore, checks
from migcheck.pagecore.messages import PageMsg, ReqPages

Steps = Callable[[re.Match, dict, dict, PageCore], list[str]]
Ready = Callable[[re.Match, dict, PageCore], bool]


def _always(m: re.Match, before: dict, core: PageCore) -> bool:
    return True


@dataclass(frozen=True)
class Row:
    pattern: str
    steps: Steps
    ready: Ready = _always  # the core can follow this choice (orders the model leaves open)
    prepare: Callable[[re.Match, PageCore], None] | None = None


def _p(m: re.Match) -> int:
    return int(m.group(1))


def _head_page(core: PageCore, p: int) -> bool:
    head = core.net.main.head_to_dst()
    return isinstance(head, PageMsg) and head.index == p


def _scan_to(m: re.Match, core: PageCore) -> None:
    core.src.scan_pos = _p(m)


def _queue_first(m: re.Match, core: PageCore) -> None:
    """Move every queued request for the page to the front (a request re-sent after a
    recovery can sit beside the one queued before the break; the first is served, the
    second skipped as clean)."""
    p = _p(m)
    mine = [q for q in core.src.queue if q == p]
    rest = [q for q in core.src.queue if q != p]
    core.src.queue.clear()
    core.src.queue.extend(mine + rest)


def _if(cond: Callable[[dict], bool], steps: list[str]) -> Steps:
    return lambda m, before, after, core: steps if cond(before) else []


ROWS: tuple[Row, ...] = (
    Row(r"guest writes page (\d)",
        lambda m, b, a, c: [f"guest_write({_p(m)})", "migration_bitmap_sync()"]),
    # the entries still queued are for pages already sent: get_queued_page skips them first
    Row(r"ram_save_host_page\((\d)\)",
        lambda m, b, a, c: ["get_queued_page()"] * len(c.src.queue) + ["ram_save_host_page()"],
        lambda m, b, c: c.src.bmap[_p(m)], _scan_to),
    Row(r"get_queued_page\((\d)\)",
        lambda m, b, a, c: ["get_queued_page()"] * c.src.queue.count(_p(m)),
        lambda m, b, c: _p(m) in c.src.queue, _queue_first),
    Row(r"ram_save_queue_pages\((\d)\)", lambda m, b, a, c: ["ram_save_queue_pages()"],
        lambda m, b, c: c.net.main.head_to_src() == ReqPages(_p(m))),
    Row(r"ram_load_precopy\((\d), v\d\)", lambda m, b, a, c: ["ram_load_precopy()"],
        lambda m, b, c: _head_page(c, _p(m))),
    Row(r"ram_load_postcopy\((\d), v\d\)", lambda m, b, a, c: ["ram_load_postcopy(main)"],
        lambda m, b, c: _head_page(c, _p(m))),
    Row(r"postcopy_place_page\((\d)\)", lambda m, b, a, c: ["postcopy_place_page(main)"]),
    Row(r"postcopy_request_page\((\d)\)", lambda m, b, a, c: [f"postcopy_request_page({_p(m)})"]),
    Row(r"postcopy_start", lambda m, b, a, c: ["postcopy_start()"]),
    Row(r"loadvm_postcopy_handle_listen",
        lambda m, b, a, c: (["ram_discard_range()"] if c.can("ram_discard_range()") else [])
        + ["loadvm_postcopy_handle_listen()"]),
    Row(r"loadvm_postcopy_handle_run", lambda m, b, a, c: ["loadvm_postcopy_handle_run()"]),
    Row(r"migration_completion", lambda m, b, a, c: ["migration_completion()"]),
    Row(r"postcopy_ram_listen_thread: EOF",
        lambda m, b, a, c: ["postcopy_ram_listen_thread_exit()"]),
    Row(r"postcopy_pause: close_return_path_on_source", lambda m, b, a, c: ["postcopy_pause()"]),
    Row(r"migrate_fd_connect \(resume\)", lambda m, b, a, c: ["migrate_fd_connect()"]),
    Row(r"postcopy_try_recover", lambda m, b, a, c: ["postcopy_try_recover()"]),
    Row(r"qemu_loadvm_state_main: postcopy_pause_incoming|"
        r"loadvm_handle_recv_bitmap: not recovering",
        lambda m, b, a, c: ["postcopy_pause_incoming()"]),
    Row(r"ram_dirty_bitmap_sync_all", lambda m, b, a, c: ["ram_dirty_bitmap_sync_all()"]),
    Row(r"loadvm_handle_recv_bitmap", lambda m, b, a, c: ["loadvm_handle_recv_bitmap()"]),
    Row(r"source_return_path_thread: RECV_BITMAP",
        lambda m, b, a, c: ["ram_dirty_bitmap_reload()"]),
    Row(r"postcopy_resume_handshake", lambda m, b, a, c: ["postcopy_resume_handshake()"]),
    Row(r"loadvm_postcopy_handle_resume",
        _if(lambda b: b["dst_state"] == "POSTCOPY_RECOVER",
            ["loadvm_postcopy_handle_resume()", "migrate_send_rp_req_pages_pending()"])),
    Row(r"source_return_path_thread: RESUME_ACK",
        _if(lambda b: b["src_state"] == "POSTCOPY_RECOVER", ["migrate_handle_rp_resume_ack()"])),
)

_COMPILED = tuple((re.compile(r.pattern + r"\Z"), r) for r in ROWS)


@cache
def row_for(action: str) -> tuple[re.Match, Row] | None:
    for rx, row in _COMPILED:
        m = rx.match(action)
        if m:
            return m, row
    return None


def breaks(before: dict, after: dict) -> list[str]:
    """The model step broke the socket: the core's main channel breaks with it (a break that
    also takes away the connection the destination was yet to accept never reaches it)."""
    if not (before["sock"] == "UP" and after["sock"] == "BROKEN"):
        return []
    unseen = before["conn_pending"] and not after["conn_pending"]
    return ["connect_path_break()" if unseen else "channel_break()"]


def core_plan(action: str, before: dict, after: dict, core: PageCore) -> list[str] | None:
    """The core steps for one model step, or None when the core cannot take this choice."""
    steps = breaks(before, after)
    if steps and not core.can(steps[0]):
        return None
    found = row_for(action)
    if found is None:
        return steps
    m, row = found
    if not row.ready(m, before, core):
        return None
    planned = row.steps(m, before, after, core)
    if planned and not steps and not core.can(planned[0]) and row.prepare is None:
        return None
    return steps + planned


def run_plan(action: str, steps: list[str], core: PageCore) -> None:
    found = row_for(action)
    if found is not None and found[1].prepare is not None:
        found[1].prepare(found[0], core)
    for s in steps:
        core.step(s)


def abstract_mismatch(model_state: dict, core: PageCore, n: int, in_flight) -> list[str]:
    """Where the core's abstract() page state differs from the model's (empty = refines)."""
    out = []
    abs_ = core.abstract()
    for p in range(n):
        a = abs_.pages[p]
        pairs = {
            "dirty": (a.dirty, model_state["bmap"][p]),
            "received": (a.received, model_state["receivedmap"][p]),
            "dst_version": (-1 if a.dst_version is None else a.dst_version,
                            model_state["dst_ver"][p]),
            "src_version": (a.src_version, model_state["src_ver"][p]),
            "requested": (a.requested, model_state["page_requested"][p]),
            "req_in_flight": (a.req_in_flight, model_state["rp_req"][p]),
            # the model keeps no queue entry for a page received and clean (a no-op for good)
            "queued": (a.queued and not (a.received and not a.dirty),
                       model_state["queued"][p]),
            "on_main": (a.on_main, in_flight(p)),
            "in_temp": (a.in_temp, model_state["tmp"][p] >= 0),
        }
        out += [f"page {p} {k}: core {c} != model {m}" for k, (c, m) in pairs.items() if c != m]
    return out


FAULT_OF_MODEL = {
    "qemu-8.2+no-bitmap-rebuild": ("no-bitmap-rebuild",),
    "qemu-8.2+no-request-resend": ("no-request-resend",),
    "qemu-8.2+mark-before-place": ("mark-before-place",),
    "qemu-8.2+no-discard": ("no-discard",),
}

CORE_CHECKS: dict[str, Callable[[PageCore], list[str]]] = {
    "pages-consistent": checks.pages_consistent,
    "no-stale-placement": checks.no_stale_placement,
    "received-means-placed": checks.received_implies_present,
    "requests-tracked": checks.requests_tracked,
}
"""Core checks that state a model property (the core's other checks have no model twin)."""
