"""Start ``dsr serve`` as a child process on a free loopback port.

The test suite and the benchmarks both drive a real server this way. It lives in
the package, not in either of them, because it knows the product (the ``serve``
command, ``/healthz``, ``DSR_PUBLIC_URL``) and because the installed package is
the one place both may import: the tests do not depend on ``benchmarks``, which
is not installed (issue 17). Standard library only; it runs in the caller.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path,
    *args: str,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[subprocess.Popen, str]:
    """Start ``dsr serve --db DB ARGS...`` on loopback; wait until it answers.

    The caller's ``DSR_*`` settings are left out: ``env`` gives the server its own.
    Its output goes to ``log``: a pipe nobody reads would fill up (waitress warns
    of its queue depth under load) and stall the server. Returns the process,
    which the caller terminates, and the base URL.

    :raises RuntimeError: the server exited or did not answer in time (its log).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    full_env.update(DSR_PUBLIC_URL=url, PYTHONUNBUFFERED="1", **(env or {}))
    argv = [sys.executable, "-m", "dsr_app", "serve", "--db", str(db)]
    argv += ["--port", str(port), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise RuntimeError(
                    f"dsr serve did not start: {log.read_text()}"
                ) from None
            time.sleep(0.2)
