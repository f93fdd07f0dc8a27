"""Which process owns a running run, and whether that process is still alive."""

from __future__ import annotations

import os
import socket
from pathlib import Path

# A run owned by a process on another host (a shared home) is taken as interrupted once it has
# not written for this long: that process cannot be asked, and a paused app writes nothing.
STALE_SECONDS = 7 * 24 * 3600


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc), "" where unknown.

    With the pid it names one process: a pid reused by a later process has another start time.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # the command name (field 2) is in parentheses and may hold spaces; starttime is field 22
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def this_owner() -> str:
    """This process as "host:pid:start"."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def owner_alive(owner: str, updated: float, now: float) -> bool:
    """Whether the process ``owner`` names still runs (on another host: wrote within a week)."""
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname():
        return now - updated < STALE_SECONDS
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid <= 0:
        return False
    if Path("/proc/self/stat").exists():
        # Linux: the pid must exist and be the same process (its start time), not a reuse
        return Path(f"/proc/{pid}").exists() and (not start or _start_time(pid) == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
