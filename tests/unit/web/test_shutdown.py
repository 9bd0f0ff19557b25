"""``DrainingServer.handle_exit``: the first signal drains (readiness first), the stop follows the timer."""

from __future__ import annotations

import signal

import uvicorn

from frmr_sso.web.shutdown import Draining, DrainingServer


def _server(drain_seconds: float) -> tuple[DrainingServer, Draining]:
    draining = Draining()
    server = DrainingServer(uvicorn.Config(app=None), draining, drain_seconds)
    return server, draining


def test_first_signal_drains_before_the_server_stops() -> None:
    server, draining = _server(30.0)
    server.handle_exit(signal.SIGTERM, None)
    assert draining.active
    assert not server.should_exit, "still accepting and serving during the drain"
    assert server._timer is not None
    server._timer.cancel()


def test_the_stop_follows_the_drain_period() -> None:
    server, draining = _server(0.05)
    server.handle_exit(signal.SIGTERM, None)
    assert server._timer is not None
    server._timer.join(timeout=5)
    assert draining.active
    assert server.should_exit


def test_a_second_signal_stops_at_once() -> None:
    server, _ = _server(30.0)
    server.handle_exit(signal.SIGTERM, None)
    server.handle_exit(signal.SIGTERM, None)
    assert server.should_exit
    assert server._timer is not None
    assert server._timer.finished.is_set(), "the drain timer is cancelled"


def test_without_a_drain_the_signal_stops_at_once() -> None:
    server, draining = _server(0)
    server.handle_exit(signal.SIGINT, None)
    assert draining.active
    assert server.should_exit
    assert server._timer is None
