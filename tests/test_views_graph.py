"""`migcheck graph`: the (src_state, dst_state) projection as DOT and SVG, path highlighted."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from migcheck.cli import main


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("g")
    assert main(["check", "--model", "qemu-7.2", "--pages", "0", "--property", "recover-exits",
                 "--traces", str(d), "--last", str(d / "last.json")]) == 1
    return d / "qemu-7.2--recover-exits.itf.json"


def test_grid_svg_and_dot_with_the_path(tmp_path, trace_file, capsys):
    out = tmp_path / "states.svg"
    assert main(["graph", "--model", "qemu-7.2", "--trace", str(trace_file),
                 "--layout", "grid", "--out", str(out)]) == 0
    dot = (tmp_path / "states.dot").read_text()
    assert dot.startswith('digraph "qemu-7.2"')
    assert "src POSTCOPY_RECOVER\\ndst POSTCOPY_PAUSED" in dot
    # the counterexample visits 10 status pairs and moves 9 times between them
    assert dot.count('color="#c0262d", penwidth=2.5, fillcolor') == 10
    assert dot.count('color="#c0262d", penwidth=2.5, fontcolor') == 9
    svg = ET.parse(out).getroot()
    assert svg.tag.endswith("svg")
    assert "grid layout" in capsys.readouterr().out


def test_graph_rejects_a_trace_of_another_model(tmp_path, trace_file, capsys):
    assert main(["graph", "--model", "qemu-8.2", "--trace", str(trace_file),
                 "--out", str(tmp_path / "x")]) == 2
    assert "not of qemu-8.2" in capsys.readouterr().err
