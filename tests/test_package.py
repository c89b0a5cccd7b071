"""migcheck as a package and a command: metadata, entry points, completion, and what the
command line promises every user (`-` for standard output, --quiet, COLUMNS, --color, the
progress display)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from importlib.metadata import files, metadata

import pytest
from rich.cells import cell_len
from rich.console import Console

from migcheck.build import build
from migcheck.checker.runner import run_check
from migcheck.checker.views.progress import RunProgress
from migcheck.cli import main
from migcheck.model.config import Config

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ANSI_MOVES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # cursor moves a live display makes


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def quick(tmp_path, *extra: str) -> list[str]:
    """A fast qemu-7.2 check (no pages), its files in tmp_path."""
    return ["check", "--model", "qemu-7.2", "--pages", "0", "--traces", str(tmp_path),
            "--last", str(tmp_path / "last.json"), *extra]


def test_metadata_has_licence_classifiers_urls_and_types():
    meta = metadata("migcheck")
    assert meta["License-Expression"] == "GPL-2.0-or-later"
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert len(meta.get_all("Classifier")) >= 8
    assert any("qemu.org" in url for url in meta.get_all("Project-URL"))
    assert "qemu-qmp>=0.0.3; extra == \"qemu\"" in meta.get_all("Requires-Dist")
    assert any(str(f).endswith("migcheck/py.typed") for f in files("migcheck") or ()) or \
        (__import__("pathlib").Path(__import__("migcheck").__file__).parent / "py.typed"
         ).is_file()


def test_version_and_python_m(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("migcheck ") and metadata("migcheck")["Version"] in out
    done = subprocess.run([sys.executable, "-m", "migcheck", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == out


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_shell_completion_knows_the_commands(capsys, shell):
    code, out, _ = run(capsys, "--print-completion", shell)
    assert code == 0
    assert "migcheck" in out and "check" in out and "--expect" in out


def test_json_to_standard_output_keeps_the_words_on_stderr(capsys, tmp_path):
    code, out, err = run(capsys, *quick(tmp_path, "--json", "-"))
    assert code == 1
    doc = json.loads(out)  # nothing but the JSON on stdout
    assert doc["checks"][0]["model"] == "qemu-7.2"
    assert err.rstrip().splitlines()[-1].startswith("4 violated")


def test_only_one_output_can_be_standard_output(capsys, tmp_path):
    code, out, err = run(capsys, *quick(tmp_path, "--json", "-", "--sarif", "-"))
    assert code == 2 and "only one output can be standard output" in err


def test_quiet_prints_only_the_closing_line(capsys, tmp_path):
    code, out, _ = run(capsys, *quick(tmp_path, "-q"))
    assert code == 1
    assert out == "4 violated, 5 hold, 2 witnessed (qemu-7.2, failures <= 2, pages 0)\n"


def test_columns_is_honoured_when_piped(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    _, out, _ = run(capsys, *quick(tmp_path))
    lines = [line for line in out.splitlines() if "migcheck trace" not in line]
    assert max(cell_len(line) for line in lines[:-1]) <= 60  # the closing line is never cut
    assert any(line.startswith("waits-have-posters ") for line in lines)


@pytest.mark.parametrize("command", [("models",), ("properties",)])
def test_color_is_accepted_everywhere(capsys, command):
    assert run(capsys, *command, "--color", "never")[0] == 0


def test_color_always_and_never_on_check(capsys, tmp_path):
    _, coloured, _ = run(capsys, *quick(tmp_path, "--color", "always"))
    _, plain, _ = run(capsys, *quick(tmp_path, "--color", "never"))
    assert ANSI.search(coloured) and not ANSI.search(plain)


def test_progress_display_ends_with_the_final_numbers():
    built = build(Config("qemu-7.2", 2, 0, False))
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with RunProgress(console) as display:
        report = run_check(built.model, list(built.properties), progress=display,
                           on_property=display.deciding)
        assert display.snap.phase.startswith(f"deciding {len(built.properties)} of")
        assert "states" in display.line().plain
    last = ANSI_MOVES.sub("", screen.getvalue()).rstrip().splitlines()[-1]
    assert last.startswith(f"✓ {report.coverage.states:,} states (depth"
                           f" {report.coverage.depth}) in ")
    assert f", {len(built.properties)} properties in " in last and last.endswith("MB")
