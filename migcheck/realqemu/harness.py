"""Drive a real source and destination QEMU through a postcopy scenario and record a trace.

Set-up (see /work/shared/real-qemu-notes.md):

* guest: q35, TCG, 64 MiB, no disk (SeaBIOS idles); the source's RAM is a file of random
  bytes so it does not migrate at once; the destination starts with ``-incoming defer``;
* both sides: capabilities ``events``, ``postcopy-ram``, ``return-path``; source limits
  ``max-bandwidth`` 8 MiB/s and ``max-postcopy-bandwidth`` 4 MiB/s;
* path: ``src -> unix:src.sock -> socat (a) -> tcp:127.0.0.1:PORT -> socat (b) ->
  unix:dst-N.sock -> dst``; killing (b) breaks it, restarting (b) heals it.

Every QEMU and socat runs in its own process group (its own session) and is killed at the
end, whatever happens. All files live in one temporary folder. Only loopback is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .binaries import QemuBuild
from .steps import Break, Cmd, Heal, NewDstSocket, Quiet, Sleep, Step, WaitEvent, validate
from .trace import TraceWriter, plain

MiB = 1024 * 1024
RAM_MIB = 64
MAX_BANDWIDTH = 8 * MiB
MAX_POSTCOPY_BANDWIDTH = 4 * MiB
CAPABILITIES = ("events", "postcopy-ram", "return-path")
POLL = 0.01


class ScenarioError(Exception):
    """The scenario could not be carried out as written (timeout, unexpected reply, crash)."""


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen
    log: Path


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tcp_listening(port: int) -> bool:
    """Is something listening on 127.0.0.1:port? (Read from /proc: connecting to proxy (b)
    would make it open a connection to the destination.)"""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1] == want and parts[3] == "0A":
                    return True
    except OSError:
        return False
    return False


def _is_socket(path: Path) -> bool:
    import stat

    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


def write_random_file(path: Path, size: int) -> None:
    chunk = 4 * MiB
    with path.open("wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


class Harness:
    """One run: two QEMUs, two proxies, two QMP clients, one trace."""

    def __init__(self, build: QemuBuild, workdir: Path, trace: TraceWriter):
        self.build = build
        self.dir = Path(workdir)
        self.trace = trace
        self.procs: dict[str, _Proc] = {}
        self.qmp: dict[str, object] = {}
        self.events: dict[str, list[dict]] = {"src": [], "dst": []}
        self.cursor: dict[str, int] = {"src": 0, "dst": 0}
        self.last_event = time.monotonic()
        self.port = free_tcp_port()
        self.src_sock = self.dir / "src.sock"
        self.dst_n = 0
        self.dst_sock = self.dir / "dst-0.sock"
        self._pumps: list[asyncio.Task] = []

    # ---- processes ------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> _Proc:
        log = self.dir / f"{name}.log"
        with log.open("ab") as out:
            p = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.dir,
            )
        proc = _Proc(name, p, log)
        self.procs[name] = proc
        return proc

    def _kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL)  # pgid == pid (own session)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=5)

    def kill_all(self) -> None:
        for name in list(self.procs):
            self._kill(name)

    def _log_tail(self, name: str, n: int = 600) -> str:
        try:
            return (self.dir / f"{name}.log").read_text(errors="replace")[-n:].strip()
        except OSError:
            return ""

    def _check_alive(self) -> None:
        for name in ("src", "dst"):
            proc = self.procs.get(name)
            if proc is not None and proc.popen.poll() is not None:
                raise ScenarioError(
                    f"{name} QEMU exited with {proc.popen.returncode}: {self._log_tail(name)}"
                )

    async def _wait_for(self, what: str, pred, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            self._check_alive()
            if time.monotonic() > deadline:
                raise ScenarioError(f"timeout ({timeout:g} s) waiting for {what}")
            await asyncio.sleep(POLL)

    def _qemu_argv(self, side: str) -> list[str]:
        argv = self.build.base_argv() + [
            "-name",
            f"migcheck-{side}",
            "-machine",
            "q35,memory-backend=pc.ram",
            "-accel",
            "tcg",
            "-m",
            f"{RAM_MIB}M",
            "-nographic",
            "-nodefaults",
            "-display",
            "none",
            "-qmp",
            f"unix:{self.dir / (side + '-qmp.sock')},server=on,wait=off",
        ]
        if side == "src":
            argv += [
                "-object",
                f"memory-backend-file,id=pc.ram,size={RAM_MIB}M,"
                f"mem-path={self.dir / 'src-ram.bin'},share=off",
            ]
        else:
            argv += [
                "-object",
                f"memory-backend-ram,id=pc.ram,size={RAM_MIB}M",
                "-incoming",
                "defer",
            ]
        return argv

    async def _start_proxy_a(self) -> None:
        self._spawn(
            "proxy-a",
            [
                "socat",
                f"UNIX-LISTEN:{self.src_sock},fork,unlink-early",
                f"TCP:127.0.0.1:{self.port}",
            ],
        )
        await self._wait_for("proxy (a) socket", lambda: _is_socket(self.src_sock), 10)

    async def _start_proxy_b(self) -> None:
        self._spawn(
            "proxy-b",
            [
                "socat",
                f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                f"UNIX-CONNECT:{self.dst_sock}",
            ],
        )
        await self._wait_for("proxy (b) port", lambda: _tcp_listening(self.port), 10)

    # ---- QMP --------------------------------------------------------------------------
    async def _connect(self, side: str) -> None:
        from qemu.qmp import EventListener, QMPClient

        path = self.dir / f"{side}-qmp.sock"
        await self._wait_for(f"{side} QMP socket", lambda: _is_socket(path), 20)
        client = QMPClient(f"migcheck-{side}")
        listener = EventListener()
        client.register_listener(listener)
        deadline = time.monotonic() + 20
        while True:
            try:
                await client.connect(str(path))
                break
            except Exception as e:  # noqa: BLE001 - connection races at start-up
                self._check_alive()
                if time.monotonic() > deadline:
                    raise ScenarioError(f"cannot connect to {side} QMP: {e}") from e
                await asyncio.sleep(0.1)
        self.qmp[side] = client
        greeting = client.greeting
        self.trace.mark(
            "qmp-connected",
            peer=side,
            greeting=greeting._asdict() if greeting is not None else None,
            note="qmp_capabilities negotiated by qemu.qmp",
        )
        self._pumps.append(asyncio.create_task(self._pump(side, listener)))

    async def _pump(self, side: str, listener) -> None:
        async for event in listener:
            data = plain(event)
            self.trace.write(side, "event", data)
            self.events[side].append(data)
            self.last_event = time.monotonic()

    async def command(
        self, side: str, name: str, args: dict | None = None, expect: str = "ok"
    ) -> dict:
        """Run one QMP command and record it and its reply; returns the reply object."""
        from qemu.qmp import ExecuteError, QMPClient, QMPError

        client = self.qmp[side]
        msg = QMPClient.make_execute_msg(name, args)
        self.trace.write(side, "cmd", msg)
        try:
            ret = await client.execute_msg(msg)
        except ExecuteError as e:
            reply = plain(e.received)
            reply.pop("id", None)  # the library's internal id; commands are recorded without
            self.trace.write(side, "reply", reply)
            if expect == "ok":
                raise ScenarioError(f"{side} {name} failed: {e}") from e
            return reply
        except (QMPError, OSError, EOFError) as e:  # connection lost, QEMU gone, ...
            self._check_alive()
            raise ScenarioError(f"{side} {name}: no reply ({type(e).__name__}: {e})") from e
        reply = {"return": plain(ret)}
        self.trace.write(side, "reply", reply)
        if expect == "error":
            raise ScenarioError(f"{side} {name} succeeded but was expected to fail")
        return reply

    # ---- set-up -----------------------------------------------------------------------
    async def setup(self) -> None:
        write_random_file(self.dir / "src-ram.bin", RAM_MIB * MiB)
        self._spawn("dst", self._qemu_argv("dst"))
        self._spawn("src", self._qemu_argv("src"))
        await self._connect("dst")
        await self._connect("src")
        caps = [{"capability": c, "state": True} for c in CAPABILITIES]
        for side in ("dst", "src"):
            await self.command(side, "migrate-set-capabilities", {"capabilities": caps})
        await self.command(
            "src",
            "migrate-set-parameters",
            {
                "max-bandwidth": MAX_BANDWIDTH,
                "max-postcopy-bandwidth": MAX_POSTCOPY_BANDWIDTH,
            },
        )
        await self.command("dst", "migrate-incoming", {"uri": f"unix:{self.dst_sock}"})
        await self._wait_for("dst listening socket", lambda: _is_socket(self.dst_sock), 10)
        await self._start_proxy_b()
        await self._start_proxy_a()
        self.trace.mark("ready", port=self.port)

    # ---- steps ------------------------------------------------------------------------
    async def step(self, s: Step) -> None:
        if isinstance(s, Cmd):
            args = s.arguments(src_uri=f"unix:{self.src_sock}", dst_uri=f"unix:{self.dst_sock}")
            await self.command(s.side, s.name, args, s.expect)
        elif isinstance(s, Break):
            self._kill("proxy-b")
            self.trace.mark("break")
        elif isinstance(s, Heal):
            await self._start_proxy_b()
            self.trace.mark("heal", target=self.dst_sock.name)
        elif isinstance(s, NewDstSocket):
            self.dst_n += 1
            self.dst_sock = self.dir / f"dst-{self.dst_n}.sock"
            restart = "proxy-b" in self.procs
            if restart:
                self._kill("proxy-b")
                await self._start_proxy_b()
            self.trace.mark("dst-socket", path=self.dst_sock.name, proxy_b_restarted=restart)
        elif isinstance(s, WaitEvent):
            await self._wait_event(s)
        elif isinstance(s, Quiet):
            start = time.monotonic()

            def quiet() -> bool:
                return time.monotonic() - max(self.last_event, start) >= s.seconds

            await self._wait_for(f"{s.seconds:g} s without events", quiet, s.timeout)
            self.trace.mark("quiet", seconds=s.seconds)
        elif isinstance(s, Sleep):
            await asyncio.sleep(s.seconds)
        else:  # pragma: no cover - validate() rejects these
            raise ScenarioError(f"unknown step {s!r}")

    async def _wait_event(self, s: WaitEvent) -> None:
        evs = self.events[s.side]

        def found() -> bool:
            for i in range(self.cursor[s.side], len(evs)):
                e = evs[i]
                if e.get("event") == "MIGRATION" and e.get("data", {}).get("status") == s.status:
                    self.cursor[s.side] = i + 1
                    return True
            return False

        await self._wait_for(f"{s.side} MIGRATION status {s.status}", found, s.timeout)

    async def run(self, steps: list[Step]) -> None:
        steps = validate(steps)
        try:
            await self.setup()
            for i, s in enumerate(steps):
                try:
                    await self.step(s)
                except ScenarioError as e:
                    self.trace.mark("error", step=i, message=str(e))
                    raise
            await asyncio.sleep(0.2)  # let late events arrive
        finally:
            exited = {
                n: p.popen.returncode for n, p in self.procs.items() if p.popen.poll() is not None
            }
            alive = sorted(n for n in self.procs if n not in exited)
            self.trace.mark("end", killed=alive, **({"exited": exited} if exited else {}))
            self.kill_all()
            for client in self.qmp.values():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.disconnect(), 5)
            for t in self._pumps:
                t.cancel()
            for t in self._pumps:
                with contextlib.suppress(BaseException):
                    await t


def run_harness(build: QemuBuild, steps: list[Step], trace: TraceWriter, workdir: Path) -> None:
    """Synchronous entry: run ``steps``; every process is killed before this returns."""
    # qemu.qmp logs connection loss at ERROR when we kill QEMU; the trace says enough.
    logging.getLogger("qemu.qmp").setLevel(logging.CRITICAL)
    h = Harness(build, workdir, trace)
    try:
        asyncio.run(h.run(list(steps)))
    finally:
        h.kill_all()
