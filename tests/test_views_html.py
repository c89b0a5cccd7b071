"""The HTML report: self-contained, and its step viewer works in a real (headless) Chromium.

The browser is driven over the DevTools protocol on a pipe (--remote-debugging-pipe), so no
extra package and no network port are needed.  Where Chromium is absent the browser test
skips and says why (.ci/run installs Debian's `chromium`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from migcheck.cli import main

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("report")
    last = d / "last.json"
    assert main(["check", "--model", "qemu-7.2", "--pages", "0", "--property", "recover-exits",
                 "--property", "one-return-path-thread", "--traces", str(d / "traces"),
                 "--last", str(last)]) == 1
    assert main(["report", "--from", str(last), "--out", str(d / "html")]) == 0
    return d / "html" / "index.html"


def test_report_is_self_contained(report):
    page = report.read_text()
    # nothing is loaded from elsewhere: no src=, no stylesheet links, no url() in CSS
    assert not re.search(r"\ssrc\s*=", page)
    assert "<link" not in page and "url(http" not in page and "@import" not in page
    assert "default-src 'none'" in page
    # the only absolute URLs are <a href> links the reader may follow (and SVG namespaces)
    for url in re.findall(r"https?://[^\s\"'<>]+", page):
        assert url.startswith(("http://www.w3.org/", "https://elixir.bootlin.com/qemu/v7.2.0/",
                               "https://gitlab.com/qemu-project/qemu/-/blob/v7.2.0/")), url


def test_report_has_summary_diagram_and_data(report):
    page = report.read_text()
    assert "recover-exits" in page and "one-return-path-thread" in page
    assert page.count("<svg") == 1 and 'class="msc"' in page
    data = json.loads(re.search(r'class="trace-data">(.*?)</script>', page, re.S).group(1))
    assert len(data["steps"]) == 29 and data["loop_start"] == 25


def test_report_without_checks_is_usage_error(tmp_path, capsys):
    assert main(["report", "--from", str(tmp_path / "none.json"), "--out", str(tmp_path)]) == 2
    (tmp_path / "bad.json").write_text('{"checks": 3}')
    assert main(["report", "--from", str(tmp_path / "bad.json"), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 2


# ---------------------------------------------------------------- the browser


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """A minimal DevTools-protocol client over Chromium's pipe (NUL-separated JSON)."""

    def __init__(self, exe: str, profile: Path) -> None:
        self._to_r, self._to_w = os.pipe()
        self._from_r, self._from_w = os.pipe()
        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),  # kept open after _wire has put the pipe ends there
            preexec_fn=self._wire)
        os.close(self._to_r)
        os.close(self._from_w)
        self._next = 0
        self._buf = b""
        self.session: str | None = None

    def _wire(self) -> None:  # in the child: fd 3 reads commands, fd 4 writes replies
        read_end, write_end = os.dup(self._to_r), os.dup(self._from_w)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)

    def send(self, method: str, **params) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next:
                    if "error" in reply:
                        raise RuntimeError(reply["error"])
                    return reply["result"]
            chunk = os.read(self._from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        for _ in range(100):
            if self.js("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise TimeoutError("page did not load")

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_w)
        os.close(self._from_r)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium()
    if exe is None:
        print("SKIP reason: Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    client = DevTools(exe, tmp_path_factory.mktemp("chromium-profile"))
    try:
        client.send("Browser.getVersion")
    except (RuntimeError, TimeoutError, OSError) as exc:
        client.close()
        pytest.skip(f"Chromium did not start: {exc}")
    yield client
    client.close()


SECTION = "document.querySelector('section.cx')"


def shown(b: DevTools) -> dict:
    return b.js(f"""(() => {{ const s = {SECTION};
      return {{ step: s.dataset.step, title: s.querySelector('.step-title').textContent,
        view: s.querySelector('.step-view').innerText,
        changed: [...s.querySelectorAll('.step-view tr.changed')].map(t => t.dataset.var),
        current: [...s.querySelectorAll('.msc .row.current')].map(r => r.dataset.step),
        links: [...s.querySelectorAll('.step-view a.qemu-function')].map(a => a.href) }};
    }})()""")


@pytest.mark.browser
def test_clicking_through_the_steps(browser, report):
    browser.open(report.as_uri())
    assert browser.js("document.querySelectorAll('table.summary tbody tr').length") == 2
    first = shown(browser)
    assert first["step"] == "0" and first["title"] == "initial state" and first["changed"] == []
    next_button = f"{SECTION}.querySelector('.next').click()"
    for _ in range(3):
        browser.js(next_button)
    third = shown(browser)
    assert third["step"] == "3" and third["current"] == ["3"]
    assert third["title"] == "3. src:main: migrate_fd_connect"
    assert "sock" in third["changed"] and "rp" in third["changed"]
    assert third["links"] == ["https://elixir.bootlin.com/qemu/v7.2.0/A/ident/migrate_fd_connect"]
    for _ in range(21):
        browser.js(next_button)
    step24 = shown(browser)
    assert step24["step"] == "24"
    assert "src:migration waits on rp_sem" in step24["view"]


@pytest.mark.browser
def test_diagram_row_and_slider_select_a_step(browser, report):
    browser.open(report.as_uri())
    browser.js(f"{SECTION}.querySelector('.msc .row[data-step=\"27\"]')"
               ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    refused = shown(browser)
    assert refused["step"] == "27" and refused["current"] == ["27"]
    assert "REFUSED: migrate-pause is currently only supported" in refused["view"]
    assert "repeated cycle" in refused["view"]
    browser.js(f"(() => {{ const r = {SECTION}.querySelector('.slider'); r.value = '11';"
               " r.dispatchEvent(new Event('input')); })()")
    listen = shown(browser)
    assert listen["step"] == "11" and "dst_state" in listen["changed"]
    assert "channel: PACKAGED →|" in listen["view"]


@pytest.mark.browser
def test_page_loads_nothing_from_the_network(browser, report):
    browser.open(report.as_uri())
    entries = browser.js("performance.getEntriesByType('resource').map(e => e.name)")
    assert entries == []
    assert browser.js("document.querySelectorAll('svg.msc line.msg').length") >= 3
