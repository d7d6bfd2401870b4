"""What every route shares: the database and auth of the app, JSON-or-HTML answers, the error envelope, the
search filters as query parameters, and the write check (token, session, CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from monitor.query import SearchFilters
from monitor.web.auth import CSRF_HEADER, SESSION_COOKIE, Auth, Session
from storage.database import Database

JSON_ERRORS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 409: "conflict",
               422: "invalid parameters"}  # fmt: skip


class ApiError(HTTPException):
    """An error for the envelope ``{"ok": false, "errors": [{"message", "field"?}]}``."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(status, message)
        self.errors = [{"message": message, **({"field": field} if field else {})}]


def db_of(request: Request) -> Database:
    return request.app.state.db


def auth_of(request: Request) -> Auth:
    return request.app.state.auth


def wants_json(request: Request) -> bool:
    """A JSON twin: an ``/api/`` path, a path ending in ``.json``, or ``Accept`` asking for JSON before HTML (errors
    of the chart images are JSON too: they are no page)."""
    path = request.url.path
    if path.startswith(("/api/", "/charts/")) or path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def session_of(request: Request) -> Session | None:
    return auth_of(request).read_session(request.cookies.get(SESSION_COOKIE))


def check_writer(request: Request, csrf: str | None = None, reviewer: str | None = None) -> str:
    """The reviewer to record for a write, or an error: a Bearer token needs no CSRF token (no cookie is
    involved); a session cookie needs the session's CSRF token (form field or ``X-CSRF-Token`` header)."""
    from monitor.web.auth import clean_reviewer

    auth = auth_of(request)
    header = request.headers.get("authorization")
    if header:
        if not auth.bearer_ok(header):
            raise ApiError(401, "wrong token in the Authorization header")
        return clean_reviewer(reviewer) or "api"
    session = session_of(request)
    if session is None:
        raise ApiError(401, "writing needs the token: log in, or send Authorization: Bearer <token>")
    if not auth.csrf_ok(session, csrf or request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "missing or wrong CSRF token; reload the page and try again", "csrf")
    return session.reviewer


def envelope(status: int, errors: list[dict]) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "errors": errors}, status_code=status)


def error_page(request: Request, status: int, errors: list[dict]) -> Response:
    if wants_json(request):
        return envelope(status, errors)
    templates = request.app.state.templates
    title = JSON_ERRORS.get(status, "error")
    return templates.TemplateResponse(
        request, "error.html", page_context(request, {"status": status, "title": title, "errors": errors}),
        status_code=status,
    )  # fmt: skip


def page_context(request: Request, data: dict, **extra) -> dict:
    """What every template gets: the data, the session (if any) and its CSRF token."""
    session = session_of(request)
    csrf = auth_of(request).csrf_token(session) if session else None
    path = request.url.path
    json_path = "/index.json" if path == "/" else path if path.endswith(".json") else f"{path}.json"
    query = request.url.query
    return {"data": data, "session": session, "csrf": csrf, "path": path,
            "json_href": json_path + (f"?{query}" if query else ""), **extra}  # fmt: skip


def page(request: Request, template: str, data: dict, **extra) -> Response:
    """The page, or its JSON twin (the same ``data``)."""
    if wants_json(request):
        return JSONResponse(data)
    return request.app.state.templates.TemplateResponse(request, template, page_context(request, data, **extra))


def _blank(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _tristate(value: str | None, name: str) -> bool | None:
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ApiError(422, f"{name}: {value!r} is not true or false", name)


def search_filters(
    region: Annotated[
        str | None, Query(description="Region code prefix: 33, 3305 or 330502 (330000 means 33).")
    ] = None,
    speaker: Annotated[str | None, Query(description="Part of the speaker's name (either script).")] = None,
    organization: Annotated[str | None, Query(description="Part of the organization's name.")] = None,
    doc_type: Annotated[str | None, Query(description="speech, speech_report, transcript, notice or other.")] = None,
    source_kind: Annotated[str | None, Query(description="gov or template (of the canonical copy).")] = None,
    date_from: Annotated[str | None, Query(description="Speech date on or after (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[str | None, Query(description="Speech date on or before (YYYY[-MM[-DD]]).")] = None,
    topic: Annotated[str | None, Query(description="The speech's topic.")] = None,
    has_commitments: Annotated[str | None, Query(description="true / false: speeches with (without) commitments.")] = (
        None
    ),
    status: Annotated[
        str | None, Query(description="Commitment status: new, accepted, rejected, done, overdue.")
    ] = None,
    commitment_topic: Annotated[str | None, Query(description="Commitment topic (land, finance, …).")] = None,
    strength: Annotated[str | None, Query(description="strong, aspirational or general.")] = None,
    deadline_from: Annotated[str | None, Query(description="Deadline on or after (YYYY[-MM[-DD]]).")] = None,
    deadline_to: Annotated[str | None, Query(description="Deadline on or before (YYYY[-MM[-DD]]).")] = None,
    overdue: Annotated[bool, Query(description="Only accepted commitments past their deadline.")] = False,
    include_cited: Annotated[bool, Query(description="Include targets quoted from higher bodies.")] = False,
) -> SearchFilters:
    """The search filters as query parameters; empty values mean "any" (HTML forms send them)."""
    return SearchFilters(
        region=_blank(region), speaker=_blank(speaker), organization=_blank(organization), doc_type=_blank(doc_type),
        source_kind=_blank(source_kind), date_from=_blank(date_from), date_to=_blank(date_to), topic=_blank(topic),
        has_commitments=_tristate(has_commitments, "has_commitments"), status=_blank(status),
        commitment_topic=_blank(commitment_topic), strength=_blank(strength), deadline_from=_blank(deadline_from),
        deadline_to=_blank(deadline_to), overdue=overdue, include_cited=include_cited,
    )  # fmt: skip


Limit = Annotated[int, Query(ge=1, le=500, description="Results per page (1–500).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Results to skip.")]
