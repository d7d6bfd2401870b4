"""Hostile input to the HTTP API: any query text and any parameter value is answered or refused as JSON, never
with a 500, a raw database error or a changed store."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import Commitment, Speech

PARAMS = ["q", "what", "region", "speaker", "organization", "doc_type", "source_kind", "date_from", "date_to",
          "topic", "has_commitments", "status", "commitment_topic", "strength", "deadline_from", "deadline_to",
          "overdue", "include_copies", "limit", "offset"]  # fmt: skip
NASTY = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "'; DROP TABLE speeches; --",
            '"',
            "\"'",
            "NEAR(a b)",
            "a OR b",
            "*",
            "-1",
            "1e309",
            "NaN",
            "%",
            "_",
            "\\",
            "\x00",
            "٣",
            "🙂",
            "营商\u202e环境",
            "<script>alert(1)</script>",
            "9" * 400,
            "2024-02-30",
            "true",
            "null",
            "[]",
            "{}",
            "..",
            "/etc/passwd",
        ]
    ),  # fmt: skip
)


def counts(db) -> tuple[int, int]:
    with db.read() as session:
        return session.scalar(select(func.count(Speech.id))), session.scalar(select(func.count(Commitment.id)))


def test_any_search_parameters_get_a_json_answer(sqlite_client, sqlite_web_db):
    before = counts(sqlite_web_db)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.dictionaries(st.sampled_from(PARAMS), NASTY, max_size=4))
    def check(params):
        for path in ("/api/search", "/api/commitments", "/api/speeches", "/search.json"):
            response = sqlite_client.get(path, params=params)
            assert response.status_code < 500, (path, params, response.text[:300])
            body = response.json()
            assert isinstance(body, dict) and "ok" in body, (path, params)
            text = response.text.lower()
            assert "sqlite" not in text and "operationalerror" not in text and "traceback" not in text

    check()
    assert counts(sqlite_web_db) == before


def test_any_path_id_gets_a_json_answer(sqlite_client):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ident=NASTY)
    def check(ident):
        for path in ("/api/speeches/", "/api/commitments/", "/api/digests/"):
            response = sqlite_client.get(path + quote(ident, safe=""))
            assert response.status_code < 500, (path, ident, response.text[:300])

    check()
