"""Fixtures of the fault tests: the hostile sample site on its own server, and a canary that no crawl may reach."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.sampleweb.hostile import HOST, HostileSite, build_hostile
from monitor.sampleweb.server import SampleWeb

HOSTILE_SOURCES = Path(__file__).parents[2] / "monitor" / "sampleweb" / "hostile_sources.toml"


class Canary:
    """A loopback HTTP server that records every request; a page links to it, and nothing may connect."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                canary.requests.append(self.path)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def canary() -> Iterator[Canary]:
    with Canary() as running:
        yield running


@pytest.fixture(scope="session")
def hostile(canary: Canary) -> HostileSite:
    return build_hostile(canary_port=canary.port)


@pytest.fixture(scope="session")
def hostile_web(hostile: HostileSite) -> Iterator[SampleWeb]:
    with SampleWeb(sites={HOST: hostile.site}) as web:
        yield web
