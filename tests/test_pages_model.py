"""Pages in the model: pages=0 is today's model, the page chain holds at N=1, bad input."""

from __future__ import annotations

import functools

import pytest
from conftest import built

from migcheck.build import build_model
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, check_all
from migcheck.checker.explore import explore
from migcheck.checker.report import Verdict
from migcheck.cli import main


@functools.cache
def _ctx(name: str, failures: int, pages: int) -> Context:
    c = CompiledModel(build_model(name, failures, pages))
    return Context(c, explore(c))


def test_pages_zero_is_the_protocol_model_state_for_state() -> None:
    a, b = build_model("qemu-8.2", 1), build_model("qemu-8.2", 1, 0)
    assert a.variables == b.variables and a.actions == b.actions
    assert b.params["pages"] == 0  # the report tells --pages 0 from --pages 2


def test_pages_add_variables_and_per_page_actions() -> None:
    m = build_model("qemu-8.2", 1, 2)
    names = {a.name for a in m.actions}
    assert {"ram_save_host_page(0)", "ram_save_host_page(1)", "postcopy_place_page(1)",
            "postcopy_request_page(0)", "ram_load_postcopy(1, v0)"} <= names
    assert m.var("bmap").init == (True, True)
    assert m.params["pages"] == 2


def test_one_page_every_page_property_holds_exhaustively() -> None:
    ctx = _ctx("qemu-8.2", 0, 1)
    assert ctx.graph.complete
    results = check_all(ctx, list(built("qemu-8.2", 0, 1).properties))
    bad = [(r.property.name, r.verdict) for r in results if not r.verdict.ok]
    assert bad == []
    names = {r.property.name: r.verdict for r in results}
    assert names["request-served-after-recovery"] is Verdict.WITNESSED


def test_page_properties_not_selected_without_pages() -> None:
    selected = {p.name for p in built("qemu-8.2", 2, 0).properties}
    assert "pages-consistent" not in selected and "recover-exits" in selected


@pytest.mark.parametrize("argv", [["--pages", "5"], ["--pages", "x"],
                                  ["--pages", "0", "--property", "pages-consistent"],
                                  ["--pages", "0", "--model", "qemu-8.2+no-discard"]])
def test_bad_pages_input_exits_2(argv: list[str], capsys) -> None:
    assert main(["check", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("migcheck: error:") and len(err.strip().splitlines()) == 1
