"""The web app: one FastAPI object serves the JSON API, the pages, the CLI's ``serve`` and the tests."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.web.auth import Auth
from monitor.web.common import JSON_ERRORS, error_page
from storage.database import Database

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (FastAPI's /docs, /redoc) load from a CDN and start with a small inline script; no crawled
# text is ever on those pages.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _finalize(value: object) -> object:
    """Every ``{{ … }}`` of a template: plain strings lose bidi overrides and control characters (then autoescape
    escapes them); Markup, built by :mod:`monitor.web.text` from cleaned pieces, passes."""
    from monitor.web.text import clean

    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


def templates() -> Jinja2Templates:
    from monitor.web import text

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(clean=text.clean, link=text.link, marked=text.marked, safe_href=text.safe_href)
    return Jinja2Templates(env=env)


def create_app(db: Database | str | None = None, *, token: str | None = None) -> FastAPI:
    """The app over ``db`` (a :class:`Database` or a URL; default ``$SPEECHWATCH_DB``). Writes need ``token``;
    without one a token is generated (``app.state.auth.token``) for the caller to show once."""
    from monitor.web import api, pages

    owned = not isinstance(db, Database)
    database = Database(db) if owned else db

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            database.close()

    app = FastAPI(
        title="speechwatch",
        summary="Officials' speeches on the business environment, their reposts and the commitments they make.",
        version="1",
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.auth = Auth(token or Auth.generate_token())
    app.state.token_generated = not token
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        path = request.url.path
        docs = path in ("/docs", "/redoc") or path.startswith("/docs/")
        if "content-security-policy" not in response.headers:
            response.headers["Content-Security-Policy"] = DOCS_CSP if docs else PAGE_CSP
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        errors = getattr(exc, "errors", None) or [{"message": str(exc.detail or JSON_ERRORS.get(exc.status_code))}]
        response = error_page(request, exc.status_code, errors)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = []
        for error in exc.errors():
            where = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body", "form")]
            field = ".".join(where) or None
            message = f"{field}: {error.get('msg')}" if field else str(error.get("msg"))
            errors.append({"message": message, **({"field": field} if field else {})})
        return error_page(request, 422, errors or [{"message": "invalid parameters"}])

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("error serving %s", request.url.path)
        return error_page(request, 500, [{"message": "internal error; the server log has the details"}])

    return app
