"""The sample web's HTTP server: every site by host name on one 127.0.0.1 port.

Crawlers reach it as their HTTP proxy (absolute URL in the request line) or with a ``Host`` header. It never
forwards anything: a host it does not know gets a 502 from it, so nothing can leave the machine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.sampleweb.site import Page, Site, default_sites, http_date

log = logging.getLogger(__name__)


def normalize_path(path: str) -> str:
    """Path plus query with its parameters sorted, so lookups ignore parameter order."""
    parts = urlsplit(path)
    if not parts.query:
        return parts.path or "/"
    return f"{parts.path}?{urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))}"


@dataclass
class RequestRecord:
    method: str
    host: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class SampleWeb:
    """A running sample web; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, sites: dict[str, Site] | None = None, latency: float = 0.0
    ) -> None:
        self.sites = sites if sites is not None else default_sites()
        self.latency = latency  # seconds added to every response (benchmarks: a network-like round trip)
        self._routes = {
            (host_name, normalize_path(path)): page
            for host_name, site in self.sites.items()
            for path, page in site.pages.items()
        }
        self._overrides: dict[tuple[str, str], Page] = {}
        self.requests: list[RequestRecord] = []
        self._hits: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address[:2]

    @property
    def proxy_url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> SampleWeb:
        self._thread = threading.Thread(target=self._server.serve_forever, name="sampleweb", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket; safe whether or not :meth:`start` ran."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SampleWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def fetched(self, host: str | None = None, status: int | None = None) -> list[RequestRecord]:
        with self._lock:
            return [
                r for r in self.requests if (host is None or r.host == host) and (status is None or r.status == status)
            ]

    def switch_layout(self, host: str, layout: str = "default") -> int:
        """Serve one site in another layout from the next request on (for tests of source-health checks).

        ``redesign`` is a CMS migration: every article moves to ``/content/post_<n>.html``, a URL scheme the
        source's article patterns do not match, and every page linking to the old URLs (list pages, the Hanweb
        XML, related-article boxes) links to the new ones, so the next crawl finds 0 article links. ``default``
        serves the site as built. The built sites are shared and never changed; returns the pages switched.
        """
        if host not in self.sites:
            raise KeyError(f"no sample site {host!r}")
        if layout not in ("default", "redesign"):
            raise ValueError(f"unknown layout {layout!r} (default, redesign)")
        overrides = {key: page for key, page in self._overrides.items() if key[0] != host}
        if layout == "redesign":
            pages = self.sites[host].pages
            moved = [
                path for path, page in sorted(pages.items()) if page.truth is not None or page.status in (301, 302)
            ]
            new_paths = {old: f"/content/post_{n}.html" for n, old in enumerate(moved, start=1)}
            for path, page in pages.items():
                body = page.body
                for old, new in new_paths.items():
                    body = body.replace(f'href="{old}"'.encode(), f'href="{new}"'.encode())
                if body != page.body:
                    overrides[(host, normalize_path(path))] = replace(page, body=body)
            for old, new in new_paths.items():
                overrides[(host, new)] = overrides.get((host, normalize_path(old)), pages[old])
        self._overrides = overrides
        return sum(1 for key in overrides if key[0] == host)

    def answer(self, method: str, host: str, path: str, headers: dict[str, str]) -> tuple[Page | None, int]:
        """Decide the status for one request (shared by the handler and the tests)."""
        if host not in self.sites:
            return None, 502
        key = (host, normalize_path(path))
        page = self._overrides.get(key) or self._routes.get(key)
        if page is None and self.sites[host].dynamic is not None:
            page = self.sites[host].dynamic(key[1])
        if page is None:
            return None, 404
        with self._lock:
            count = self._hits.get((host, path), 0) + 1
            self._hits[(host, path)] = count
        if page.flaky and count % 2 == 1:
            return page, 500
        if page.status == 200 and _not_modified(page, headers):
            return page, 304
        return page, page.status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def version_string(self) -> str:
                return "nginx"

            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve(send_body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(send_body=False)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._serve(send_body=True)

            def do_CONNECT(self) -> None:  # noqa: N802
                self._reply(502, b"sampleweb: CONNECT (https) is not served; use http:// URLs\n", "text/plain")

            def _serve(self, send_body: bool) -> None:
                if self.path.startswith(("http://", "https://")):
                    parts = urlsplit(self.path)
                    host = parts.hostname or ""
                    path = parts.path + (f"?{parts.query}" if parts.query else "")
                else:
                    host = (self.headers.get("Host") or "").split(":")[0]
                    path = self.path
                headers = {k.lower(): v for k, v in self.headers.items()}
                if web.latency:
                    time.sleep(web.latency)
                page, status = web.answer(self.command, host, path, headers)
                with web._lock:
                    web.requests.append(RequestRecord(self.command, host, path, status, headers))
                if page is None:
                    message = (
                        f"sampleweb: unknown host {host!r}; this server never forwards requests\n"
                        if status == 502
                        else "<html><body><h1>404 Not Found</h1></body></html>\n"
                    )
                    self._reply(status, message.encode(), "text/html; charset=utf-8", send_body)
                    return
                if page.delay:
                    time.sleep(page.delay)
                extra = dict(page.headers)
                if page.status == 200:
                    extra["ETag"] = page.etag
                    if page.last_modified:
                        extra["Last-Modified"] = http_date(page.last_modified)
                if status == 304:
                    self._reply(304, b"", None, send_body, extra)
                elif status == 500:
                    self._reply(500, b"<h1>500 Internal Server Error</h1>", "text/html", send_body)
                else:
                    self._reply(status, page.body, page.content_type, send_body, extra, page)

            def _reply(
                self,
                status: int,
                body: bytes,
                content_type: str | None,
                send_body: bool = True,
                extra: dict[str, str] | None = None,
                page: Page | None = None,
            ) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                stream = page.stream if page is not None and status == 200 else None
                if stream is None:
                    self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
                elif page.stream_length is None:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(page.stream_length))
                self.end_headers()
                if not send_body or status == 304:
                    return
                if stream is None:
                    self.wfile.write(body)
                else:
                    self._send_stream(stream(), chunked=page.stream_length is None)

            def _send_stream(self, pieces: Iterable[bytes], chunked: bool) -> None:
                """Write a body piece by piece (never held whole); stop quietly when the client hangs up."""
                try:
                    for piece in pieces:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    getattr(pieces, "close", lambda: None)()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("sampleweb: " + format, *args)

        return Handler


def _not_modified(page: Page, headers: dict[str, str]) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match:
        return page.etag in [tag.strip() for tag in if_none_match.split(",")]
    since = headers.get("if-modified-since")
    if since and page.last_modified:
        try:
            return page.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
