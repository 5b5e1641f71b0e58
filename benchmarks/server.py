"""``dsr serve`` on a free loopback port: ``dsr_app.server.live_server``, which the
tests use too (kept here so that ``from .server import start_server`` still reads as the
benchmarks' own helper)."""

from dsr_app.server.live_server import free_port, start_server

__all__ = ["free_port", "start_server"]
