"""`backprop-tui serve`: the app in a browser through textual-serve, on loopback unless told."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import shlex
import socket
import sys
from pathlib import Path

from scenarios.defaults import DEFAULT_SCENARIO

from .errors import PROG, fail

# textual_serve (and aiohttp under it) is imported only inside run_serve: `train` must not pay.

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port", metavar="N", default=str(DEFAULT_PORT), help=f"port (default {DEFAULT_PORT})"
    )
    p.add_argument(
        "--host",
        metavar="H",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; anyone who reaches it drives the app)",
    )
    # its own dest: a subparser's default would overwrite `backprop-tui --scenario X serve`
    p.add_argument(
        "--scenario", dest="serve_scenario", metavar="NAME|PATH", help="scenario to open"
    )


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches; a name other than localhost is not."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere: warn rather than guess


def exposure_warning(host: str) -> str | None:
    """The one-line warning for a non-loopback address, or None on loopback."""
    if is_loopback(host):
        return None
    return (
        f"{PROG}: warning: serving on {host}, not loopback: anyone who reaches this port "
        "drives the app (no password)"
    )


def parse_port(text: str) -> int | None:
    """``--port``'s text as a TCP port, or None when it is not one."""
    try:
        port = int(text)
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def app_command(spec: str) -> str:
    """The shell command textual-serve runs per browser tab: this Python, so a venv works."""
    if Path(spec).is_file():
        spec = str(Path(spec).resolve())  # the server's cwd is not the browser's concern
    return shlex.join([sys.executable, "-m", "tui.cli", "--scenario", spec])


def bind_error(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, unknown host), or None when it can.

    Binding first gives one line instead of aiohttp's traceback; SO_REUSEADDR as aiohttp sets
    it, so a port in TIME_WAIT is not reported busy.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"--host {host}: {exc.strerror}"
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            return _os_error_line(host, port, exc)
    return None


def _os_error_line(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use (try --port {port + 1 if port < 65535 else 8001})"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def url_host(host: str) -> str:
    """The host as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def run_serve(args: argparse.Namespace) -> int:
    port = parse_port(args.port)
    if port is None:
        return fail(f"--port: found {args.port!r}, expected an integer from 1 to 65535")
    host: str = args.host
    spec: str = args.serve_scenario or args.scenario or DEFAULT_SCENARIO
    from scenarios import ScenarioError, load_scenario

    try:
        scn = load_scenario(spec)  # a bad name says so here, not in every browser tab
    except ScenarioError as exc:
        return fail(str(exc))
    if warning := exposure_warning(host):
        print(warning, file=sys.stderr)
    if error := bind_error(host, port):
        return fail(error)
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        return fail(f"serve needs textual-serve ({exc}); pip install textual-serve")

    # the page embeds its websocket's absolute URL: a wildcard address is no place to connect to
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "[::]", "") else host
    url = f"http://{url_host(shown)}:{port}"

    class _Server(Server):
        async def on_startup(self, app: object) -> None:
            # our lines instead of textual-serve's banner: what to open, and how over SSH
            print(f"{PROG}: serving {scn.name} at {url} (Ctrl-C stops)", flush=True)
            print(
                f"{PROG}: over SSH, run `ssh -L {port}:127.0.0.1:{port} HOST` on your machine "
                f"and open http://127.0.0.1:{port}",
                flush=True,
            )

    server = _Server(
        app_command(spec),
        host=host,
        port=port,
        title=f"{PROG}: {scn.name}",
        public_url=url,
    )
    try:
        server.serve()
    except OSError as exc:  # lost the port between the check and aiohttp's bind
        return fail(_os_error_line(host, port, exc))
    return 0
