"""The HTML report: self-contained, a matrix of checks, and a counterexample viewer that fits a
1400x1000 window in a real Chromium, stepped with real key presses.

The browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright for Python,
never a browser Playwright downloads; where either is missing they skip and say why
(.ci/run installs both).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from migcheck.checker.trace import load
from migcheck.checker.views import html, whystuck
from migcheck.checker.views.report_json import SCHEMA_FILE
from migcheck.cli import main

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
# every character beyond ASCII the page may use: all are in DejaVu Sans (Debian's default)
GLYPHS = set("◀▶↻✗→←↓×·—…“”≤")


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> Path:
    """qemu-7.2 twice in one last-check file: the protocol alone (every property) and with
    one guest page (recover-exits only; its page lanes stay empty)."""
    d = tmp_path_factory.mktemp("report")
    last, traces = d / "last.json", d / "traces"
    assert main(["check", "--model", "qemu-7.2", "--pages", "0", "--traces", str(traces),
                 "--last", str(last)]) == 1
    assert main(["check", "--model", "qemu-7.2", "--pages", "1", "--property", "recover-exits",
                 "--traces", str(traces), "--last", str(last)]) == 1
    return last


@pytest.fixture(scope="module")
def report(checks) -> Path:
    out = checks.parent / "html"
    assert main(["report", "--from", str(checks), "--out", str(out)]) == 0
    return out / "index.html"


def trace_data(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'class="trace-data">(.*?)</script>', page, re.S)]


def test_report_is_self_contained(report):
    page = report.read_text()
    # nothing is loaded from elsewhere: no src=, no stylesheet links, no url() in CSS
    assert not re.search(r"\ssrc\s*=", page)
    assert "<link" not in page and "url(http" not in page and "@import" not in page
    assert "default-src 'none'" in page
    # the only absolute URLs are the model's source links (and SVG namespaces)
    for url in re.findall(r"https?://[^\s\"'<>]+", page):
        assert url.startswith(("http://www.w3.org/", "https://elixir.bootlin.com/qemu/v7.2.0/",
                               "https://gitlab.com/qemu-project/qemu/-/blob/v7.2.0/")), url


def test_generic_views_hold_no_application_names():
    """Source links and names come from the model; the generic views know none."""
    folder = Path(html.__file__).parent
    for path in [*(folder / name for name in ("html.py", "sequence.py", "whystuck.py")),
                 *(folder / "assets").glob("report.*")]:
        text = path.read_text().lower()
        for word in ("qemu", "elixir", "gitlab", "rp_sem", "postcopy"):
            assert word not in text, (path.name, word)


def test_matrix_tells_the_parameters_apart(report):
    page = report.read_text()
    heads = re.findall(r'<th class="check[^"]*" scope="col">(.*?)</th>', page)
    assert len(heads) == 2
    assert "failures &lt;= 2, pages 0" in heads[0] and "failures &lt;= 2, pages 1" in heads[1]
    assert all("exhaustive" in h for h in heads)
    matrix = page.split("</table>")[0]
    # bounds and assumptions are shown in every column
    assert matrix.count("pages abstracted away") == 1 and matrix.count("one RAMBlock of 1") == 1
    assert matrix.count("cancel-only-in-precopy") == 2


def test_a_path_violating_two_properties_is_shown_once(report):
    page = report.read_text()
    titles = re.findall(r"<h2>(.*?) <span", page)
    assert titles.count("recover-exits, no-deadlock") == 1
    # every violated cell links to a counterexample section that exists
    for anchor in re.findall(r'<a href="#(cx\d+)">trace</a>', page):
        assert f'id="{anchor}"' in page


def test_each_counterexample_embeds_the_state_graph_with_its_path(report):
    page = report.read_text()
    sections = page.split('<section class="cx"')[1:]
    for sec in sections:
        (graph,) = re.findall(r'<details class="state-graph">(.*?)</details>', sec, re.S)
        assert "<svg" in graph and 'stroke="#c0262d"' in graph  # the path, in red
    assert "13,813 states over src_state × dst_state" in sections[0]


def test_diagram_hides_empty_lanes(report):
    page = report.read_text()
    pages1 = next(s for s in page.split('<section class="cx"')[1:] if "pages 1" in s)
    heads = re.findall(r'class="lane-head" data-lane="([^"]+)"', pages1)
    assert "dst:pages" not in heads and "src:pages" not in heads
    assert heads[:3] == ["admin", "src:main", "src:migration"] and len(heads) == 8


def test_why_stuck_names_the_sleepers_their_posters_and_the_refusals(checks):
    doc = json.loads(checks.read_text())
    result = next(r for r in doc["checks"][0]["results"] if r["property"] == "recover-exits")
    trace = load(Path(result["trace"]))
    text = " ".join(whystuck.sentences(trace))
    assert text.startswith("At step 25 three threads sleep.")
    assert ("src:migration has waited on rp_sem since step 23: only src:return-path (source"
            " return-path thread) would post it") in text
    assert "it has been at rp = EXITED since step 25 and posts only from RUNNING" in text
    assert ("src: migrate-pause is refused (\u201cmigrate-pause is currently only supported"
            " during postcopy-active state\u201d)") in text


def test_last_check_carries_traces_and_status_graph_and_fits_the_schema(checks):
    doc = json.loads(checks.read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(doc)
    first = doc["checks"][0]
    graph = first["status_graph"]
    assert graph["keys"] == ["src_state", "dst_state"]
    assert sum(n["states"] for n in graph["nodes"]) == first["coverage"]["states"]
    recorded = [r for r in first["results"] if r["verdict"] == "violated"]
    assert recorded and all(r["itf"]["#meta"]["params"] == first["params"] for r in recorded)


def test_an_incomplete_run_does_not_replace_a_complete_one(checks, tmp_path):
    last = tmp_path / "last.json"
    last.write_text(checks.read_text())
    assert main(["check", "--model", "qemu-7.2", "--pages", "0", "--max-states", "500",
                 "--traces", str(tmp_path / "t"), "--last", str(last)]) == 3
    kept = json.loads(last.read_text())["checks"]
    assert len(kept) == 2 and all(c["coverage"]["complete"] for c in kept)


def test_a_trace_file_of_another_run_is_not_shown(checks, tmp_path, capsys):
    doc = json.loads(checks.read_text())
    pages0, pages1 = doc["checks"]
    for r in pages0["results"]:
        r.pop("itf", None)  # an older document: traces by file name only
        if r["property"] == "recover-exits":
            r["trace"] = next(x["trace"] for x in pages1["results"]
                              if x["property"] == "recover-exits")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    assert main(["report", "--from", str(old), "--out", str(tmp_path / "html")]) == 0
    out = capsys.readouterr().out
    assert "now holds another run's trace" in out and "recover-exits" in out


def test_glyphs_have_a_font(report):
    page = report.read_text()
    used = {c for c in page if ord(c) > 127}
    assert used <= GLYPHS, used - GLYPHS
    fonts = (subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True
                            ).stdout if shutil.which("fc-list") else "")
    if "DejaVu Sans" not in fonts:
        print("SKIP font coverage: fc-list or the DejaVu fonts are not installed")
        return
    for c in used:
        fonts = subprocess.run(["fc-list", f":charset={ord(c):x}", "family"],
                               capture_output=True, text=True, check=True).stdout
        assert "DejaVu Sans" in fonts, f"{c!r} is in no DejaVu font"


def test_report_without_checks_is_usage_error(tmp_path, capsys):
    assert main(["report", "--from", str(tmp_path / "none.json"), "--out", str(tmp_path)]) == 2
    (tmp_path / "bad.json").write_text('{"checks": 3}')
    assert main(["report", "--from", str(tmp_path / "bad.json"), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 2


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        print("SKIP reason: Playwright for Python is not installed (pip install playwright)")
        pytest.skip("Playwright for Python is not installed (.ci/run installs it)")
    if not CHROMIUM.exists():
        print(f"SKIP reason: {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (.ci/run installs Debian's chromium)")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        except Error as exc:
            print(f"SKIP reason: Chromium did not start: {exc}")
            pytest.skip(f"Chromium did not start: {str(exc).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture
def page(browser, report):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(report.as_uri())
    yield tab
    context.close()
    assert errors == []


def section(page, params: str):
    """The first counterexample section of the check with these parameters."""
    return page.locator("section.cx", has=page.locator("h2", has_text=params)).first


def step_of(sec) -> str:
    return sec.get_attribute("data-step")


def box(locator) -> dict:
    b = locator.bounding_box()
    assert b is not None
    return b


@pytest.mark.browser
def test_every_lane_is_on_screen_with_the_step_panel_beside(page):
    for sec in page.locator("section.cx").all():
        sec.locator(".cx-body").scroll_into_view_if_needed()
        diagram = box(sec.locator(".diagram"))
        assert sec.locator(".diagram").evaluate("d => d.scrollWidth <= d.clientWidth")
        for head in sec.locator(".lane-head").all():
            b = box(head)
            assert diagram["x"] <= b["x"] and b["x"] + b["width"] <= diagram["x"] + \
                diagram["width"] <= 1400, head.get_attribute("data-lane")
        viewer = box(sec.locator(".viewer"))
        assert viewer["x"] >= diagram["x"] + diagram["width"] and viewer["y"] < 1000


@pytest.mark.browser
def test_the_rp_sem_wait_is_written_on_its_lane(page):
    sec = section(page, "pages 1")
    label = sec.locator("svg.msc text.wait-label", has_text="rp_sem").first
    label.scroll_into_view_if_needed()
    assert label.is_visible()
    b = box(label)
    diagram = box(sec.locator(".diagram"))
    assert 0 <= b["y"] and b["y"] + b["height"] <= 1000
    assert diagram["x"] <= b["x"] and b["x"] + b["width"] <= diagram["x"] + diagram["width"]
    # nothing covers it: the topmost element at its centre is the label itself
    top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('text')"
                        "?.textContent", [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
    assert top is not None and "rp_sem" in top
    lane = sec.locator(".lane-head", has_text="migration").first
    assert abs(box(lane)["x"] + box(lane)["width"] / 2 - b["x"]) < 20  # on its lane


@pytest.mark.browser
def test_one_right_arrow_press_is_one_step(page):
    sec = section(page, "pages 1")
    slider = sec.locator(".slider")
    slider.focus()
    assert step_of(sec) == "0"
    page.keyboard.press("ArrowRight")
    assert step_of(sec) == "1" and slider.input_value() == "1"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert step_of(sec) == "1"
    sec.locator('.msc .row[data-step="20"] .row-bg').click()
    assert step_of(sec) == "20"
    page.keyboard.press("ArrowRight")
    assert step_of(sec) == "21"
    assert sec.locator(".step-title").text_content() == "21. src:main: migrate_fd_connect (resume)"
    page.keyboard.press("End")
    assert step_of(sec) == "28"


@pytest.mark.browser
def test_clicking_through_the_steps(page):
    sec = section(page, "pages 0")
    assert page.locator("table.matrix tbody tr").count() == 11
    next_button = sec.locator(".next")
    for _ in range(3):
        next_button.click()
    assert step_of(sec) == "3"
    assert sec.locator(".msc .row.current").get_attribute("data-step") == "3"
    assert sec.locator(".step-title").text_content() == "3. src:main: migrate_fd_connect"
    changed = sec.locator(".step-view tr.changed").evaluate_all("rs => rs.map(r => r.dataset.var)")
    assert "to_dst_file" in changed and "rp" in changed
    assert sec.locator(".step-view a.source-function").get_attribute("href") == \
        "https://elixir.bootlin.com/qemu/v7.2.0/A/ident/migrate_fd_connect"
    sec.locator('.msc .row[data-step="27"] .row-bg').click()
    view = sec.locator(".step-view").inner_text()
    assert "REFUSED: migrate-pause is currently only supported" in view
    assert "repeated cycle" in view
    assert "src:migration waits on rp_sem" in view


@pytest.mark.browser
def test_step_and_status_columns_and_lane_heads_stay_put(browser, report):
    context = browser.new_context(viewport={"width": 800, "height": 600})
    tab = context.new_page()
    tab.goto(report.as_uri())
    sec = section(tab, "pages 1")
    sec.locator(".cx-body").scroll_into_view_if_needed()
    diagram = sec.locator(".diagram")
    assert diagram.evaluate("d => d.scrollWidth > d.clientWidth")  # too narrow: it scrolls
    diagram.evaluate("d => { d.scrollLeft = 300; d.scrollTop = 200; }")
    d, gutter, heads = box(diagram), box(sec.locator("svg.gutter")), box(sec.locator("svg.heads"))
    assert abs(gutter["x"] - d["x"]) <= 2 and abs(heads["y"] - d["y"]) <= 2
    context.close()


@pytest.mark.browser
def test_page_loads_nothing_from_the_network(page):
    assert page.evaluate("performance.getEntriesByType('resource').map(e => e.name)") == []
    assert page.locator("svg.msc line.msg").count() >= 3
