"""Fuzzing the command line: no input makes migcheck crash or hang.

Hypothesis draws a command line for any subcommand (valid, odd and malformed flags; paths to
mutated copies of the files under reports/, to a FIFO, a directory, a device, names too long;
a [tool.migcheck] table of defaults; odd COLUMNS, LINES, TERM, NO_COLOR) and runs
`migcheck.cli.main` in-process, in a fresh folder.  It fails on any exception out of main, on
an exit code outside 0 1 2 3, on an exit 2 whose message is not one line, and on a run longer
than HANG_S seconds.  The models it checks are tiny (--pages 0, --failures 0 or 1, or a small
--max-states), and no input starts real QEMU or a z3 proof (`prove` always ends at its
argument checks), so each example takes well under a second.

Profiles (the seed is fixed unless MIGCHECK_FUZZ_SEED is set):
  pytest tests/test_cli_fuzz.py                                  # CI: 300 examples
  MIGCHECK_FUZZ_EXAMPLES=10000 MIGCHECK_FUZZ_SEED=$RANDOM \\
      pytest tests/test_cli_fuzz.py -p no:cacheprovider           # nightly: 10,000 inputs
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings, strategies as st

from migcheck.cli import COMMANDS, main
from migcheck.model.versions import BUILT_IN

REPORTS = Path(__file__).resolve().parent.parent / "reports"
SOURCES = sorted(p for p in REPORTS.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
CONTENT = {p: p.read_bytes() for p in SOURCES}  # read once: generation must not see edits
EXAMPLES = int(os.environ.get("MIGCHECK_FUZZ_EXAMPLES", "300"))
SEED = os.environ.get("MIGCHECK_FUZZ_SEED")
HANG_S = 30
CLEAN_EXITS = (0, 1, 2, 3)

MODELS = [v.name for v in BUILT_IN]
PROPERTIES = ["recover-exits", "no-deadlock", "handshake-order", "no-page-lost", "bogus", ""]


# --- inputs: files -------------------------------------------------------------------------

class Hang(BaseException):
    """A run went on past HANG_S seconds (a BaseException: nothing in migcheck catches it)."""


def _deep(n: int) -> str:
    return "[" * n + "]" * n


WEIRD = [None, True, False, 0, -1, 2**64, -(2**70), 1.5, "", "x" * 5000, "NONE", [], {},
         [[[[]]]], {"#tup": 5}, {"#tup": [{"#tup": []}]}, {"#bigint": "9" * 60},
         {"#bigint": "x"}, {"#set": []}, {"a": {"b": {"c": None}}}, ["a", 1, None]]


def _paths(doc: object, at: tuple = ()) -> list[tuple]:
    """Every path to a node of a parsed JSON document (bounded)."""
    out = [at]
    if len(out) < 400 and isinstance(doc, dict):
        for k, v in list(doc.items())[:40]:
            out += _paths(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:40]):
            out += _paths(v, (*at, i))
    return out


def _replace(doc: object, at: tuple, value: object, delete: bool) -> object:
    if not at:
        return value
    parent = doc
    for key in at[:-1]:
        parent = parent[key]  # type: ignore[index]
    if delete:
        del parent[at[-1]]  # type: ignore[index, union-attr]
    else:
        parent[at[-1]] = value  # type: ignore[index]
    return doc


@st.composite
def json_mutation(draw: st.DrawFn, text: str) -> str:
    """Parse `text` (a JSON document or JSON lines), change one node, write it back."""
    lines = text.splitlines()
    whole = len(lines) == 1 or not text.lstrip().startswith("{\"t\"")
    if whole:
        chunks = [text]
    else:
        chunks = lines
    i = draw(st.integers(0, len(chunks) - 1))
    try:
        doc = json.loads(chunks[i])
    except ValueError:
        return text
    at = draw(st.sampled_from(_paths(doc)))
    delete = bool(at) and draw(st.booleans())
    value = draw(st.sampled_from(WEIRD))
    chunks[i] = json.dumps(_replace(doc, at, value, delete))  # NaN / Infinity stay possible
    return "\n".join(chunks) + "\n"


@st.composite
def mutated(draw: st.DrawFn, source: Path) -> bytes:
    data = CONTENT[source]
    how = draw(st.sampled_from(["same", "same", "json", "json", "json", "json", "json",
                                "truncate", "flip", "insert", "empty", "deep", "nan", "binary",
                                "repeat"]))
    if how == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if how == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            if out:
                k = draw(st.integers(0, len(out) - 1))
                out[k] = draw(st.integers(0, 255))
        return bytes(out)
    if how == "insert":
        k = draw(st.integers(0, len(data)))
        return data[:k] + draw(st.binary(min_size=1, max_size=16)) + data[k:]
    if how == "json":
        return draw(json_mutation(data.decode("utf-8", "replace"))).encode()
    if how == "empty":
        return b""
    if how == "deep":
        return _deep(draw(st.sampled_from([63, 64, 65, 3000, 100_000]))).encode()
    if how == "nan":
        return data.replace(b"1", b"NaN", 1).replace(b"0", b"1e999", 1)
    if how == "binary":
        return draw(st.binary(max_size=512))
    if how == "repeat":
        return data * draw(st.integers(2, 20))
    return data


@dataclass
class Sandbox:
    """The files one example creates in its folder before running."""

    files: dict[str, bytes] = field(default_factory=dict)


INPUTS_FIXED = ["fifo", "dir", "missing.json", "empty.json", "plain.txt", "link-to-fifo",
                "x" * 300, "/dev/null", "/dev/zero", "dir/../plain.txt", "-"]
GOOD_OUTPUTS = ["out.json", "out/sub/r.json", "-", "new dir/é.json", "dir/r.json"]
BAD_OUTPUTS = ["dir", "plain.txt/x", "fifo", "link-to-fifo", "x" * 300, "a/" + "b" * 300 + "/c",
               "", ".", "..", "dir/"]


def output_path() -> st.SearchStrategy[str]:
    """Mostly a path that can be written; one time in four one that cannot."""
    return st.integers(0, 3).flatmap(
        lambda k: st.sampled_from(BAD_OUTPUTS if k == 3 else GOOD_OUTPUTS))


@st.composite
def input_file(draw: st.DrawFn, box: Sandbox, suffix: tuple[str, ...] = ()) -> str:
    """A path to read: mostly a mutated copy of a file under reports/."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(INPUTS_FIXED))
    pool = [s for s in SOURCES if not suffix or s.name.endswith(suffix)] or SOURCES
    source = draw(st.sampled_from(pool))
    name = f"in{len(box.files)}-{source.name}"
    box.files[name] = draw(mutated(source))
    return name


# --- inputs: command lines -----------------------------------------------------------------

BAD_INTS = ["-1", "abc", "", "1e3", "99999999999999999999", "0x10", " 2", "\u0663", "1.5",
            "-0", "9" * 5000]


EXPECT = ["recover-exits=violated", "no-deadlock=holds", "bogus=holds", "recover-exits",
          "recover-exits=maybe", "=", ""]
REPORTING = (("--expect", st.sampled_from(EXPECT)), ("-q", st.just("-q")))


def ints(*good: str) -> st.SearchStrategy[str]:
    """Mostly one of `good`; one time in eight a malformed or out-of-range value."""
    return st.integers(0, 7).flatmap(  # Hypothesis favours 0: the good values
        lambda k: st.sampled_from(BAD_INTS if k == 7 else good))


def model_name() -> st.SearchStrategy[str]:
    return st.sampled_from([*MODELS, "qemu-9.9", "", "x.py", "dir/", "fifo", "qemu-8.2:x",
                            "missing/p.py", "x" * 300 + ".py"])


@st.composite
def tiny_model(draw: st.DrawFn, pages: tuple[str, ...] = ("0",)) -> list[str]:
    """--model, --pages and --failures, always given (the defaults are large)."""
    argv = ["--pages", draw(ints(*pages)), "--failures", draw(ints("0", "0", "1"))]
    if draw(st.booleans()):
        argv += ["--model", draw(model_name())]
    return argv


@st.composite
def outputs(draw: st.DrawFn, flags: tuple[str, ...]) -> list[str]:
    argv: list[str] = []
    for flag in flags:
        if draw(st.integers(0, 2)) == 0:
            argv += [flag, draw(output_path())]
    return argv


def flags(*pairs: tuple[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[str]]:
    """Each (flag, value) pair, present or not (a switch's value is the flag itself)."""
    return st.tuples(*(st.one_of(st.just([]),
                                 value.map(lambda v, f=flag: [f] if v == f else [f, v]))
                       for flag, value in pairs)).map(lambda parts: [x for p in parts for x in p])


@st.composite
def check_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = draw(tiny_model())
    if draw(st.booleans()):
        argv += ["--max-states", draw(ints("0", "50", "3000"))]
    if draw(st.integers(0, 5)) == 0:  # preempt: only within a small state limit
        argv += ["--preempt", "--max-states", "2000"]
    argv += draw(flags(("--property", st.sampled_from(PROPERTIES)), *REPORTING))
    return argv + draw(outputs(("--json", "--junit", "--sarif", "--last", "--traces")))


@st.composite
def prove_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = draw(flags(("--depth", ints("1", "1000", "1001")), ("--timeout", ints("1", "0")),
                      ("--property", st.sampled_from(PROPERTIES)), ("--model", model_name()),
                      ("--lemmas", st.just("--lemmas")), *REPORTING))
    argv += draw(outputs(("--json", "--junit", "--sarif", "--last", "--traces")))
    return argv + ["--pages", draw(ints("0")), "--failures", "0"]  # never starts z3


@st.composite
def graph_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = draw(tiny_model())
    argv += draw(flags(("--layout", st.sampled_from(["auto", "grid", "dot", "svg"]))))
    if draw(st.booleans()):
        argv += ["--trace", draw(input_file(box, (".itf.json",)))]
    return argv + ["--out", draw(output_path())]


@st.composite
def trace_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = [draw(input_file(box, (".itf.json",)))]
    return argv + draw(flags(("--width", ints("60", "100", "1000", "59", "1001")),
                             ("--color", st.sampled_from(["auto", "always", "never", "x"])),
                             ("--diff", st.just("--diff"))))


@st.composite
def report_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = ["--out", draw(output_path())]
    if draw(st.booleans()):
        argv += ["--from", draw(input_file(box, (".json",)))]
    else:  # the default --from: a mutated reports/last-check.json
        box.files["reports/last-check.json"] = draw(mutated(REPORTS / "example" / "check.json"))
    trace = REPORTS / "example" / "qemu-7.2--recover-exits.itf.json"  # the one it names
    box.files[str(trace.relative_to(REPORTS.parent))] = draw(mutated(trace))
    for _ in range(draw(st.integers(0, 2))):
        argv += ["--trace", draw(input_file(box, (".itf.json",)))]
    return argv


@st.composite
def validate_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = [draw(input_file(box, (".jsonl",)))]
    argv += draw(flags(("--model", model_name()), ("--failures", ints("0", "1", "2")),
                       ("--save", output_path())))
    return argv


@st.composite
def replay_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    qemu = draw(st.sampled_from(["9.9", "", "missing/qemu", "plain.txt", "dir", "fifo"]))
    argv = [draw(input_file(box, (".itf.json",))), "--qemu", qemu]  # never a real QEMU
    return argv + draw(flags(("--out", output_path())))


@st.composite
def record_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    scenario = draw(st.sampled_from(["normal", "recover", "broken", "bogus", ""]))
    qemu = draw(st.sampled_from(["9.9", "", "7", "latest"]))  # never a real QEMU
    return [scenario, "--qemu", qemu, "--out", draw(output_path())]


@st.composite
def fuzz_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = draw(tiny_model(pages=("1",)))
    return argv + ["--examples", draw(ints("1", "2")), "--steps", draw(ints("1", "5")),
                   *draw(flags(("--seed", ints("0", "7", "-3")), *REPORTING)),
                   *draw(outputs(("--json", "--junit", "--sarif", "--last", "--traces")))]


@st.composite
def diff_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    argv = [draw(model_name()), draw(model_name()), "--pages", draw(ints("0")),
            "--failures", draw(ints("0", "1"))]
    return argv + draw(flags(("--on", st.sampled_from(["src_state,dst_state", "bogus", ",",
                                                       ""])),
                             ("--limit", ints("1", "10", "0")), ("--json", output_path())))


@st.composite
def models_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    what = draw(st.sampled_from(["list", "file", "changes", "actions", "show"]))
    argv = draw(flags(("--failures", ints("0", "1")), ("--pages", ints("0", "1"))))
    if what == "file":
        argv.append(draw(input_file(box)))
    elif what == "changes":
        argv += ["--changes"] + draw(st.lists(model_name(), max_size=1))
    elif what == "actions":
        argv += ["--actions", draw(model_name())]
    elif what == "show":
        argv += ["--show", draw(model_name()),
                 *draw(st.lists(st.sampled_from(["migrate", "bogus", "source: migrate"]),
                                max_size=2))]
    return argv


@st.composite
def properties_args(draw: st.DrawFn, box: Sandbox) -> list[str]:
    return draw(tiny_model(pages=("0", "1", "2")))


ARGS = {"check": check_args, "prove": prove_args, "graph": graph_args, "trace": trace_args,
        "report": report_args, "validate": validate_args, "replay": replay_args,
        "record": record_args, "fuzz": fuzz_args, "models": models_args,
        "properties": properties_args, "diff": diff_args}
JUNK = ["--bogus", "-h", "--", "-", "--json", "é", "--pages=0", "-x", "--model="]

TOML_KEYS = ["failures", "pages", "model", "json", "expect", "max-states", "max_states",
             "bogus", "preempt", "color", "quiet", "property"]
TOML_VALUES = ["1", "0", '"1"', '"qemu-7.2"', "false", "-1", "1e9", '["x", 1]', "{x = 1}",
               '"out.json"', '["recover-exits=violated"]', '"fifo"', "[[[[[]]]]]"]


@st.composite
def pyproject(draw: st.DrawFn) -> bytes:
    """A [tool.migcheck] table (no `preempt = true`: that would be a large model)."""
    lines = ["[tool.migcheck]"]
    for _ in range(draw(st.integers(0, 3))):
        lines.append(f"{draw(st.sampled_from(TOML_KEYS))} = {draw(st.sampled_from(TOML_VALUES))}")
    if draw(st.booleans()):
        lines += [f"[tool.migcheck.{draw(st.sampled_from(['check', 'trace', 'bogus']))}]",
                  f"{draw(st.sampled_from(TOML_KEYS))} = {draw(st.sampled_from(TOML_VALUES))}"]
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("=", draw(st.sampled_from(["", "==", "= [" * 2000])), 1)
    return text.encode()


COLUMNS = [None, "0", "-5", "abc", "100000", "40", ""]
TERMS = [None, "dumb", "xterm-256color", "", "vt100"]


@dataclass
class Invocation:
    argv: list[str]
    box: Sandbox
    env: dict[str, str | None]


@st.composite
def invocations(draw: st.DrawFn) -> Invocation:
    box = Sandbox()
    command = draw(st.sampled_from([*COMMANDS, "frobnicate"]))
    argv = [command] + (draw(ARGS[command](box)) if command in ARGS else [])
    if draw(st.integers(0, 3)) == 0:
        argv += ["--color", draw(st.sampled_from(["always", "never", "auto", "x"]))]
    if draw(st.integers(0, 9)) == 0:  # a stray token anywhere
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(JUNK)))
    if draw(st.integers(0, 7)) == 0:  # defaults from a pyproject.toml in the folder
        box.files["pyproject.toml"] = draw(pyproject())
    env = {"COLUMNS": draw(st.sampled_from(COLUMNS)), "LINES": draw(st.sampled_from(COLUMNS)),
           "TERM": draw(st.sampled_from(TERMS)), "NO_COLOR": draw(st.sampled_from([None, "1"]))}
    return Invocation(argv, box, env)


# --- running one --------------------------------------------------------------------------

def _alarm(signum: int, frame: object) -> None:
    raise Hang


def _lay_out(folder: Path, box: Sandbox) -> None:
    (folder / "dir").mkdir()
    (folder / "plain.txt").write_text("not a trace\n")
    (folder / "empty.json").write_text("")
    os.mkfifo(folder / "fifo")
    (folder / "link-to-fifo").symlink_to("fifo")
    for name, data in box.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def run(inv: Invocation) -> tuple[int, str]:
    """Run one invocation in a fresh folder; its exit code and standard error."""
    here, saved = os.getcwd(), {k: os.environ.get(k) for k in inv.env}
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory(prefix="migcheck-fuzz-") as d:
        _lay_out(Path(d), inv.box)
        old = signal.signal(signal.SIGALRM, _alarm)
        try:
            os.chdir(d)
            for k, v in inv.env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            signal.alarm(HANG_S)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(inv.argv)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            os.chdir(here)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return code, err.getvalue()


def test_cli_never_crashes_or_hangs() -> None:
    cfg = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                   derandomize=SEED is None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.large_base_example,
                                          HealthCheck.nested_given])  # `migcheck fuzz`

    @cfg
    @given(invocations())
    def one(inv: Invocation) -> None:
        code, err = run(inv)
        assert code in CLEAN_EXITS, (inv.argv, code, err[-2000:])
        assert "Traceback" not in err, (inv.argv, err[-2000:])
        if code == 2:
            assert err.strip() and err.strip().count("\n") == 0, (inv.argv, err[-2000:])

    if SEED is not None:
        one = seed(int(SEED))(one)
    one()
