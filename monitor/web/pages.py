"""Server-rendered pages (Jinja2, autoescaped). Each has a JSON twin: the same path with ``.json``, or the same
path with ``Accept: application/json``; the twin carries exactly the data the page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from monitor.query import SearchFilters
from monitor.web import data
from monitor.web.api import Action, ReviewView, What, apply_review, run_search
from monitor.web.auth import LOGIN_COOKIE, SESSION_COOKIE, SESSION_SECONDS, clean_reviewer
from monitor.web.common import (
    ApiError,
    Limit,
    Offset,
    auth_of,
    check_writer,
    db_of,
    error_page,
    page,
    page_context,
    search_filters,
    session_of,
    wants_json,
)

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
LOGIN_SECONDS = 3600


def safe_next(value: str | None, default: str = "/review") -> str:
    """A local path to go back to after a form (never another site: no ``//host`` or ``\\`` tricks)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    return value


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip


def login_fields(request: Request) -> tuple[str, str]:
    """A fresh login nonce (for the cookie) and the CSRF value of the login form."""
    nonce = auth_of(request).new_login_nonce()
    return nonce, auth_of(request).login_csrf(nonce)


def with_login(request: Request, template: str, payload: dict, **extra) -> Response:
    """A page that shows the login form when nobody is logged in (its nonce goes into a short-lived cookie)."""
    if wants_json(request) or session_of(request) is not None:
        return page(request, template, payload, **extra)
    nonce, login_csrf = login_fields(request)
    response = page(request, template, payload, login_csrf=login_csrf, **extra)
    _cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_SECONDS)
    return response


# -- overview and charts --------------------------------------------------------------------------------------


@router.get("/")
@router.get("/index.json")
def overview(request: Request) -> Response:
    from monitor.web.charts import CHARTS, overview_data

    db = db_of(request)
    payload = {"ok": True, "counts": data.store_counts(db), "charts": overview_data(db)}
    return page(request, "overview.html", payload, charts=CHARTS)


@router.get("/charts/{name}.svg")
def chart(request: Request, name: str) -> Response:
    from monitor.web.charts import CHARTS, overview_data, render_chart

    if name not in CHARTS:
        raise ApiError(404, f"no chart named {name!r}; charts: {', '.join(CHARTS)}")
    svg = render_chart(name, overview_data(db_of(request))[name])
    return Response(svg, media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "Cache-Control": "no-cache"})  # fmt: skip


# -- feeds: the stable URLs of FEED_PATHS -------------------------------------------------------------------------


@router.get("/feeds/speeches.atom")
def feed_speeches(request: Request) -> Response:
    return _feed(request, "speeches", "atom")


@router.get("/feeds/commitments.atom")
def feed_commitments(request: Request) -> Response:
    return _feed(request, "commitments", "atom")


@router.get("/feeds/deadlines.ics")
def feed_deadlines(request: Request) -> Response:
    return _feed(request, "deadlines", "ics")


def _feed(request: Request, what: str, output_format: str) -> Response:
    from monitor.feeds import MEDIA_TYPES, build_feed

    base_url = str(request.base_url).rstrip("/")
    body = build_feed(db_of(request), what, output_format, base_url=base_url)
    return Response(body, media_type=MEDIA_TYPES[output_format], headers={"Cache-Control": "no-cache"})


# -- search, speeches, commitments ------------------------------------------------------------------------------


@router.get("/search")
@router.get("/search.json")
def search_page(
    request: Request,
    filters: Annotated[SearchFilters, Depends(search_filters)],
    q: Annotated[str | None, Query(max_length=1000)] = None,
    what: What = What.speeches,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    payload = run_search(request, what.value, q, filters, limit, offset, include_copies=what == What.speeches)
    from urllib.parse import urlencode

    form = {key: value for key, value in request.query_params.items() if key != "offset"}
    return page(request, "search.html", payload, form=form, pager_base=f"/search?{urlencode(form)}&")


@router.get("/speeches/{speech_id}")
@router.get("/speeches/{speech_id}.json")  # registered first: "7.json" is not an id
def speech_page(request: Request, speech_id: Id) -> Response:
    from monitor.web.text import segments

    record = data.speech_detail(db_of(request), speech_id)
    if record is None:
        raise ApiError(404, f"no speech with id {speech_id}")
    parts, unplaced = segments(record["text"], record["commitments"], record["canonical_document_id"])
    return page(request, "speech.html", {"ok": True, **record}, segments=parts, unplaced=set(unplaced))


@router.get("/commitments/{commitment_id}")
@router.get("/commitments/{commitment_id}.json")  # registered first: "7.json" is not an id
def commitment_page(request: Request, commitment_id: Id) -> Response:
    record = data.commitment_detail(db_of(request), commitment_id)
    if record is None:
        raise ApiError(404, f"no commitment with id {commitment_id}")
    return with_login(request, "commitment.html", {"ok": True, **record})


# -- review -------------------------------------------------------------------------------------------------------


@router.get("/review")
@router.get("/review.json")
def review_page(
    request: Request,
    view: ReviewView = ReviewView.new,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    at: Annotated[int, Query(ge=0, le=10_000)] = 0,
    reviewed: Annotated[int | None, Query(ge=1)] = None,
    result: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    payload = data.review_queue(db_of(request), view.value, limit, offset)
    notice = None
    if reviewed and result in ("accepted", "rejected", "done"):
        notice = f"commitment {reviewed}: {result}"
    return with_login(request, "review.html", payload, at=at, notice=notice)


@router.post("/review/{commitment_id}")
def review_action(
    request: Request,
    commitment_id: Id,
    action: Annotated[Action, Form()],
    csrf: Annotated[str | None, Form(max_length=200)] = None,
    note: Annotated[str | None, Form(max_length=4000)] = None,
    next_url: Annotated[str | None, Form(alias="next", max_length=2000)] = None,
    at: Annotated[int, Form(ge=0, le=10_000)] = 0,
) -> Response:
    """The review form: the session's CSRF token is required; the result goes back to where the form was."""
    reviewer = check_writer(request, csrf=csrf)
    apply_review(request, commitment_id, action.value, note, reviewer)
    target = safe_next(next_url)
    if target.startswith("/review"):
        view = "accepted" if "view=accepted" in target else "overdue" if "view=overdue" in target else "new"
        result = {"accept": "accepted", "reject": "rejected", "done": "done"}[action.value]
        target = f"/review?view={view}&at={at}&reviewed={commitment_id}&result={result}"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request, next_url: Annotated[str | None, Query(alias="next", max_length=2000)] = None):
    nonce, login_csrf = login_fields(request)
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", page_context(request, {}, login_csrf=login_csrf, next=safe_next(next_url))
    )
    _cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_SECONDS)
    return response


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=500)],
    reviewer: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str | None, Form(max_length=200)] = None,
    next_url: Annotated[str | None, Form(alias="next", max_length=2000)] = None,
) -> Response:
    """Check the token once; the browser then keeps a signed session cookie (the token itself is not stored)."""
    auth = auth_of(request)
    if not auth.login_csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf):
        raise ApiError(403, "the login form expired or came from another site; open it again", "csrf")
    if not auth.token_ok(token.strip()):
        raise ApiError(401, "wrong token", "token")
    name = clean_reviewer(reviewer)
    if name is None:
        raise ApiError(422, "give your name: it is recorded with every decision", "reviewer")
    response = RedirectResponse(safe_next(next_url), status_code=303)
    _cookie(response, request, SESSION_COOKIE, auth.new_session(name), SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form(max_length=200)] = None) -> Response:
    check_writer(request, csrf=csrf)
    response = RedirectResponse("/review", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- digests, sources -----------------------------------------------------------------------------------------------


@router.get("/digests")
@router.get("/digests.json")
def digests_page(request: Request, limit: Limit = 50, offset: Offset = 0) -> Response:
    return page(request, "digests.html", data.digests_list(db_of(request), limit, offset))


@router.get("/digests/{digest_id}")
@router.get("/digests/{digest_id}.json")  # registered first: "7.json" is not an id
def digest_page(request: Request, digest_id: Id) -> Response:
    record = data.digest_detail(db_of(request), digest_id)
    if record is None:
        raise ApiError(404, f"no digest with id {digest_id}")
    return page(request, "digest.html", {"ok": True, **record})


@router.get("/sources")
@router.get("/sources.json")
def sources_page(request: Request, idle_runs: Annotated[int, Query(ge=1, le=100)] = 5) -> Response:
    db = db_of(request)
    payload = {"ok": True, "sources": data.sources_list(db, idle_runs), "runs": data.runs_list(db, None, 30)}
    return page(request, "sources.html", payload)


__all__ = ["error_page", "router", "safe_next"]
