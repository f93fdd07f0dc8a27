"""`backprop-tui serve`: the page over HTTP, the app over its websocket, and the guard rails."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.cli import main
from tui.cli.serve import app_command, exposure_warning, is_loopback

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 10.0  # seconds for the server to accept; it takes about one on an idle machine


def free_port() -> int:
    """A loopback port nobody listens on: bound by the kernel's choice, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_accepting(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Poll a connect until the server accepts, it dies, or the deadline passes."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"serve exited {proc.returncode}: {err.decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # a poll interval, not a wait for anything in particular
    pytest.fail(f"serve did not accept on port {port} within {DEADLINE} s")


def serve(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = serve("--port", str(port), "--scenario", "xor")
    try:
        wait_accepting(port, proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if proc.poll() is None:  # a hung server must not outlive the tests
            proc.kill()
            proc.wait(timeout=10)


def test_page_is_served_over_http(server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, _ = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers.get_content_type() == "text/html"
        html = resp.read().decode()
    assert "backprop-tui: xor" in html  # the page's title names the app and the scenario
    assert f"ws://127.0.0.1:{port}/ws" in html  # where the browser finds the app


def test_app_paints_over_the_websocket(server: tuple[int, subprocess.Popen[bytes]]) -> None:
    """A browser tab runs the real app: its first paint arrives over the websocket."""
    aiohttp = pytest.importorskip("aiohttp")
    port, _ = server

    async def first_paint() -> bytes:
        got = b""
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=36") as ws,
        ):
            async with asyncio.timeout(20):
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        got += msg.data
                    if b"xor" in got and len(got) > 2000:
                        break
        return got

    painted = asyncio.run(first_paint())
    assert b"xor" in painted  # the header names the scenario


def test_ctrl_c_stops_cleanly() -> None:
    port = free_port()
    proc = serve("--port", str(port), "--scenario", "xor")
    try:
        wait_accepting(port, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode in (0, 130)
    assert b"Traceback" not in err
    text = out.decode()
    assert f"http://127.0.0.1:{port}" in text
    assert f"ssh -L {port}:127.0.0.1:{port}" in text  # how to forward it from a laptop
    assert b"warning" not in err  # loopback: nothing to warn about


def test_port_in_use_is_one_line() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "tui.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert f"port {port} on 127.0.0.1 is in use" in proc.stderr


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_bad_port_is_one_line(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", port]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--port" in err


def test_unknown_scenario_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--scenario", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no-such-scenario" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_is_not_warned(host: str) -> None:
    assert is_loopback(host)
    assert exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org"])
def test_non_loopback_is_warned(host: str) -> None:
    warning = exposure_warning(host)
    assert warning is not None
    assert "\n" not in warning
    assert host in warning
    assert "anyone" in warning


def test_non_loopback_warning_reaches_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warning is printed before binding; nothing non-loopback is bound in the suite."""
    import tui.cli.serve as serve_mod

    monkeypatch.setattr(serve_mod, "bind_error", lambda host, port: "stopped before binding")
    assert main(["serve", "--host", "0.0.0.0", "--scenario", "xor"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("backprop-tui: warning: serving on 0.0.0.0")
    assert err[1] == "backprop-tui: stopped before binding"


def test_app_command_uses_this_python_and_quotes() -> None:
    cmd = app_command("xor")
    assert cmd.split()[0].strip("'") == sys.executable
    assert cmd.endswith("-m tui.cli --scenario xor")
    assert "'it s.toml'" in app_command("it s.toml")  # a space survives the shell


def test_train_does_not_import_textual_serve() -> None:
    code = (
        "import sys; from tui.cli import make_parser; make_parser(); "
        "print(sorted(m for m in ('textual_serve', 'aiohttp', 'textual') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stderr
