"""The JSON API under ``/api``: search, speeches, commitments (and their review), runs, digests, sources.

Every answer is JSON; errors use the envelope ``{"ok": false, "status", "errors": [{"message", "field"?}]}``.
The schema is published at ``/openapi.json`` and browsable at ``/docs``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from monitor.query import QueryError, SearchFilters, search_commitments, search_speeches
from monitor.web import data
from monitor.web.common import ApiError, Limit, Offset, check_writer, db_of, search_filters

router = APIRouter(prefix="/api", tags=["api"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class What(StrEnum):
    speeches = "speeches"
    commitments = "commitments"


class Action(StrEnum):
    accept = "accept"
    reject = "reject"
    done = "done"


class ReviewView(StrEnum):
    new = "new"
    accepted = "accepted"
    overdue = "overdue"


class ReviewBody(BaseModel):
    """A review decision; ``done`` needs the evidence as ``note`` (a URL or a sentence)."""

    note: str | None = Field(default=None, max_length=4000)
    reviewer: str | None = Field(default=None, max_length=200, description="Recorded for Bearer clients.")


def run_search(request: Request, what: str, q: str | None, filters: SearchFilters, limit: int, offset: int,
               include_copies: bool = False) -> dict:  # fmt: skip
    """A search page as a dict; a query or filter the user can fix is a 400 with its reason."""
    db = db_of(request)
    try:
        if what == "speeches":
            result = search_speeches(db, q, filters, limit, offset, include_copies=include_copies)
        else:
            result = search_commitments(db, q, filters, limit, offset)
    except QueryError as exc:
        raise ApiError(400, str(exc)) from None
    return result.as_dict()


@router.get("/search", summary="Search speeches or commitments")
def api_search(
    request: Request,
    filters: Annotated[SearchFilters, Depends(search_filters)],
    q: Annotated[str | None, Query(max_length=1000, description="Words that must all appear (any script).")] = None,
    what: What = What.speeches,
    include_copies: bool = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict:
    """Full-text search (README "Search" has the rules); an empty ``q`` lists by the filters alone."""
    return run_search(request, what.value, q, filters, limit, offset, include_copies)


@router.get("/speeches", summary="List speeches")
def api_speeches(
    request: Request,
    filters: Annotated[SearchFilters, Depends(search_filters)],
    include_copies: bool = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict:
    """Speeches by the filters, newest speech date first (the search without words)."""
    return run_search(request, "speeches", None, filters, limit, offset, include_copies)


@router.get("/speeches/{speech_id}", summary="One speech")
def api_speech(request: Request, speech_id: Id) -> dict:
    """A speech: its fields and where each came from, its canonical text, copies (Hamming distance, containment,
    fetch time, URL, content hash) and commitments (``start``/``end`` locate them in ``text`` when they were
    mined from the canonical copy)."""
    record = data.speech_detail(db_of(request), speech_id)
    if record is None:
        raise ApiError(404, f"no speech with id {speech_id}")
    return {"ok": True, **record}


@router.get("/commitments", summary="List commitments")
def api_commitments(
    request: Request,
    filters: Annotated[SearchFilters, Depends(search_filters)],
    q: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict:
    """Commitments by the filters (``status``, ``commitment_topic``, ``strength``, ``deadline_from``/``to``,
    ``region``, …), optionally matching ``q``."""
    return run_search(request, "commitments", q, filters, limit, offset)


@router.get("/commitments/{commitment_id}", summary="One commitment with its audit log")
def api_commitment(request: Request, commitment_id: Id) -> dict:
    record = data.commitment_detail(db_of(request), commitment_id)
    if record is None:
        raise ApiError(404, f"no commitment with id {commitment_id}")
    return {"ok": True, **record}


@router.get("/review", summary="The review queue")
def api_review(request: Request, view: ReviewView = ReviewView.new, limit: Limit = 50, offset: Offset = 0) -> dict:
    """``new``: flagged commitments to accept or reject; ``accepted``: to mark done; ``overdue``."""
    return data.review_queue(db_of(request), view.value, limit, offset)


def apply_review(request: Request, commitment_id: int, action: str, note: str | None, reviewer: str) -> dict:
    """The one write path: :func:`monitor.commitments.track.review` (which writes the audit-log entry)."""
    from monitor.commitments.track import ReviewError, review

    db = db_of(request)
    note = (note or "").strip() or None
    if data.commitment_detail(db, commitment_id) is None:
        raise ApiError(404, f"no commitment with id {commitment_id}")
    if action == "done" and not note:
        raise ApiError(422, "marking done needs the evidence as note (a URL or a sentence)", "note")
    try:
        review(db, commitment_id, action, reviewer=reviewer, note=note)
    except ReviewError as exc:
        raise ApiError(409, str(exc)) from None
    return {"ok": True, "commitment": data.commitment_detail(db, commitment_id)}


@router.post(
    "/commitments/{commitment_id}/{action}",
    summary="Accept, reject or mark done",
    responses={401: {"description": "no or wrong token"}, 403: {"description": "CSRF token missing or wrong"},
               404: {"description": "no such commitment"}, 409: {"description": "not allowed from its status"}},
)  # fmt: skip
def api_review_action(request: Request, commitment_id: Id, action: Action, body: ReviewBody | None = None) -> dict:
    """Needs ``Authorization: Bearer <token>`` (then ``reviewer`` in the body is recorded), or the browser session
    cookie plus its CSRF token in ``X-CSRF-Token``. Recorded in the audit log."""
    body = body or ReviewBody()
    reviewer = check_writer(request, reviewer=body.reviewer)
    return apply_review(request, commitment_id, action.value, body.note, reviewer)


@router.get("/runs", summary="Crawl runs, newest first")
def api_runs(
    request: Request,
    source: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict:
    return {"ok": True, "runs": data.runs_list(db_of(request), source, limit)}


@router.get("/digests", summary="The digest archive, newest first")
def api_digests(request: Request, limit: Limit = 50, offset: Offset = 0) -> dict:
    return data.digests_list(db_of(request), limit, offset)


@router.get("/digests/{digest_id}", summary="One digest as it was built")
def api_digest(request: Request, digest_id: Id) -> dict:
    record = data.digest_detail(db_of(request), digest_id)
    if record is None:
        raise ApiError(404, f"no digest with id {digest_id}")
    return {"ok": True, **record}


@router.get("/sources", summary="Sources with their health")
def api_sources(request: Request, idle_runs: Annotated[int, Query(ge=1, le=100)] = 5) -> dict:
    return {"ok": True, "sources": data.sources_list(db_of(request), idle_runs)}


@router.get("/overview", summary="The numbers behind the overview charts")
def api_overview(request: Request) -> dict:
    from monitor.web.charts import overview_data

    db = db_of(request)
    return {"ok": True, "counts": data.store_counts(db), "charts": overview_data(db)}
