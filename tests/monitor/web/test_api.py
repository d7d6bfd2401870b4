"""The JSON API through the real app: search, speeches, commitments and their filters, review with its token and
CSRF rules and audit log, runs, digests, sources, and errors that are always the JSON envelope (never a 500)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Commitment, CommitmentEvent
from tests.monitor.web.conftest import REVIEWER, TOKEN, log_in

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def first_new(client, **params) -> dict:
    page = client.get("/api/commitments", params={"status": "new", **params}).json()
    assert page["hits"], page
    return page["hits"][0]


def test_search_and_one_speech_with_copies_provenance_and_commitments(client):
    page = client.get("/api/search", params={"q": "标准地", "include_copies": "true"}).json()
    assert page["ok"] and page["total"] >= 2 and page["terms"] == ["标准地"]
    hit = next(h for h in page["hits"] if h["title"] == "深化“最多跑一次”改革 加快打造营商环境最优市")
    assert "⟦标准地⟧" in hit["snippet"] and len(hit["copy_list"]) == 2 and hit["copies"] == 2
    speech = client.get(f"/api/speeches/{hit['speech_id']}").json()
    assert speech["ok"] and speech["speech_id"] == hit["speech_id"]
    assert {c["source_kind"] for c in speech["copy_list"]} == {"gov", "template"}
    repost = next(c for c in speech["copy_list"] if not c["canonical"])
    assert repost["hamming"] == 0 and repost["containment"] == 1.0 and len(repost["content_hash"]) == 64
    canonical = speech["canonical"]
    assert canonical["url"].startswith("http://www.gov0.example/") and canonical["fetched_at"]
    assert len(canonical["content_hash"]) == 64 and speech["provenance"]["title"] == canonical["document_id"]
    assert len(speech["commitments"]) >= 5
    for c in speech["commitments"]:
        if c["document_id"] == canonical["document_id"]:
            assert speech["text"][c["start"] : c["end"]] == c["text"]
    listed = client.get("/api/speeches", params={"region": "3305", "doc_type": "speech"}).json()
    assert listed["total"] >= 1 and all(h["region_code"].startswith("3305") for h in listed["hits"])


def test_commitment_filters(client):
    def hits(**params):
        return client.get("/api/commitments", params={"limit": 200, **params}).json()["hits"]

    everything = hits()
    assert len(everything) >= 20 and not any(h["cited"] for h in everything)
    strong_land = hits(strength="strong", commitment_topic="land")
    assert strong_land and all(h["strength"] == "strong" and h["topic"] == "land" for h in strong_land)
    late = hits(deadline_from="2030")
    assert late and all(h["deadline"] >= "2030" for h in late)
    assert all(h["region_code"].startswith("3305") for h in hits(region="330500"))
    assert {h["commitment_id"] for h in hits(q="标准地")} <= {h["commitment_id"] for h in everything}
    assert hits(status="done") == []
    cited = hits(include_cited="true")
    assert len(cited) >= len(everything)
    one = client.get(f"/api/commitments/{everything[0]['commitment_id']}").json()
    assert one["ok"] and one["events"][0]["action"] in ("flagged", "restated", "changed") and one["speech"]["id"]


def test_review_needs_the_token(client, web_db):
    target = first_new(client)["commitment_id"]
    assert client.post(f"/api/commitments/{target}/accept").status_code == 401
    wrong = client.post(f"/api/commitments/{target}/accept", headers={"Authorization": "Bearer nope-nope-nope"})
    assert wrong.status_code == 401 and wrong.json()["ok"] is False
    ok = client.post(f"/api/commitments/{target}/accept", headers=BEARER, json={"reviewer": "bot", "note": "checked"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["commitment"]["status"] in ("accepted", "overdue")
    with web_db.read() as session:
        event = session.scalars(
            select(CommitmentEvent).where(CommitmentEvent.commitment_id == target, CommitmentEvent.action == "accept")
        ).one()
    assert (event.reviewer, event.note, event.details) == ("bot", "checked", {"from": "new", "to": "accepted"})
    queue = client.get("/api/review").json()
    assert target not in [item["id"] for item in queue["items"]]


def test_browser_session_needs_its_csrf_token(sqlite_client, sqlite_web_db):
    client = sqlite_client
    target, other = (h["commitment_id"] for h in client.get("/api/commitments?status=new&limit=2").json()["hits"])
    # the login form itself: without its CSRF value, or with a wrong token, nobody is logged in
    assert client.post("/login", data={"token": TOKEN, "reviewer": "x", "csrf": "forged"}).status_code == 403
    form = client.get("/login").text
    from tests.monitor.web.conftest import hidden

    wrong = client.post("/login", data={"token": "wrong-token", "reviewer": "x", "csrf": hidden(form, "csrf")})
    assert wrong.status_code == 401 and "wrong token" in wrong.text
    csrf = log_in(client)
    assert client.post(f"/review/{target}", data={"action": "accept"}).status_code == 403
    forged = ("y" if csrf[0] == "x" else "x") + csrf[1:]  # one character changed (a token may start with "x")
    assert client.post(f"/review/{target}", data={"action": "accept", "csrf": forged}).status_code == 403
    assert client.post(f"/api/commitments/{target}/accept").status_code == 403  # cookie without X-CSRF-Token
    with sqlite_web_db.read() as session:
        assert session.get(Commitment, target).status == "new"
    done = client.post(f"/review/{target}", data={"action": "accept", "csrf": csrf, "note": "a real pledge",
                                                 "next": "/review?view=new", "at": "0"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/review?view=new&at=0&reviewed=")
    api = client.post(f"/api/commitments/{other}/reject", headers={"X-CSRF-Token": csrf}, json={"note": "slogan"})
    assert api.status_code == 200 and api.json()["commitment"]["status"] == "rejected"
    with sqlite_web_db.read() as session:
        events = session.scalars(
            select(CommitmentEvent).where(CommitmentEvent.action.in_(("accept", "reject"))).order_by(CommitmentEvent.id)
        ).all()
    assert [(e.commitment_id, e.action, e.reviewer, e.note) for e in events] == [
        (target, "accept", REVIEWER, "a real pledge"),
        (other, "reject", REVIEWER, "slogan"),
    ]
    page = client.get(done.headers["location"]).text
    assert f"commitment {target}: accepted" in page and f'id="c{target}"' not in page
    # a session cookie made under another token is worthless
    client.cookies.set("sw_session", "abc.bmFtZQ.forged")
    assert client.post(f"/review/{other}", data={"action": "accept", "csrf": csrf}).status_code == 401


def test_review_errors(client):
    target = first_new(client)["commitment_id"]
    missing = client.post("/api/commitments/999999/accept", headers=BEARER)
    assert missing.status_code == 404 and missing.json() == {
        "ok": False, "status": 404, "errors": [{"message": "no commitment with id 999999"}]}  # fmt: skip
    assert client.post(f"/api/commitments/{target}/approve", headers=BEARER).status_code == 422
    no_note = client.post(f"/api/commitments/{target}/done", headers=BEARER)
    assert no_note.status_code == 422 and no_note.json()["errors"][0]["field"] == "note"
    conflict = client.post(f"/api/commitments/{target}/done", headers=BEARER, json={"note": "http://gov/report"})
    assert conflict.status_code == 409 and "cannot done" in conflict.json()["errors"][0]["message"]
    assert (
        client.post(f"/api/commitments/{target}/accept", headers=BEARER, json={"note": "x" * 5000}).status_code == 422
    )


def test_bad_parameters_are_json_errors_never_500(sqlite_client):
    client = sqlite_client
    cases = {
        "/api/search?limit=0": 422, "/api/search?limit=abc": 422, "/api/search?offset=-1": 422,
        "/api/search?region=abc": 400, "/api/search?date_from=2020-13": 400, "/api/search?status=bogus": 400,
        "/api/search?source_kind=web": 400, "/api/search?has_commitments=maybe": 422, "/api/search?what=bogus": 422,
        "/api/search?q=" + "字" * 1001: 422, "/api/search?q=%22%22%20AND%20*": 400, "/api/speeches/abc": 422,
        "/api/speeches/0": 422, "/api/speeches/99999999999": 422, "/api/speeches/424242": 404,
        "/api/commitments/424242": 404, "/api/digests/424242": 404, "/api/review?view=all": 422,
        "/api/runs?limit=0": 422, "/api/nothing-here": 404, "/search.json?limit=501": 422,
        "/speeches/424242.json": 404, "/charts/nope.svg": 404,
    }  # fmt: skip
    for path, status in cases.items():
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/json", path
        body = response.json()
        assert body["ok"] is False and body["errors"] and body["errors"][0]["message"], path
    html = client.get("/speeches/424242", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "no speech with id 424242" in html.text


def test_runs_sources_and_digests(client, web_db, tmp_path):
    from monitor.digest import DigestConfig, send_digest
    from storage.runs import finish_run, start_run

    run_id = start_run(web_db, "gov-sample")
    finish_run(web_db, run_id, status="failed", error_text="<b>boom</b>\nmore")
    runs = client.get("/api/runs").json()["runs"]
    assert runs[0]["run_id"] == run_id and runs[0]["status"] == "failed"
    sources = {s["source"]: s for s in client.get("/api/sources").json()["sources"]}
    assert sources["gov-sample"]["documents"] == 6
    assert [i["problem"] for i in sources["gov-sample"]["health"]["issues"]] == ["failing"]
    assert "&lt;b&gt;boom" in client.get("/sources").text
    assert client.get("/api/digests").json()["digests"] == []
    sent = send_digest(web_db, DigestConfig(channels=("file",), format="json", directory=tmp_path))
    assert sent.ok
    archive = client.get("/api/digests").json()
    assert archive["total"] == 1 and archive["digests"][0]["delivered_at"]
    one = client.get(f"/api/digests/{sent.digest_id}").json()
    assert one["content"]["counts"]["speeches"] == 8 and "items" not in one["content"]
    page = client.get(f"/digests/{sent.digest_id}").text
    assert "New speeches (8)" in page and "&lt;script&gt;" in page and "<script>alert" not in page
    assert f'href="/digests/{sent.digest_id}"' in client.get("/digests").text


def test_openapi_and_docs(sqlite_client):
    schema = sqlite_client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/search", "/api/speeches", "/api/speeches/{speech_id}", "/api/commitments",
            "/api/commitments/{commitment_id}", "/api/commitments/{commitment_id}/{action}", "/api/runs",
            "/api/digests", "/api/digests/{digest_id}", "/api/sources", "/api/review"} <= paths  # fmt: skip
    assert not any(p.startswith("/review") or p.endswith(".json") for p in paths)  # pages stay out of the schema
    docs = sqlite_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
