"""Crawl runs are opened once and closed once."""

from __future__ import annotations

from storage.runs import finish_run, get_runs, recent_runs, start_run


def test_a_run_is_closed_with_its_counts_and_only_once(database):
    run_id = start_run(database, "pingshan")
    finish_run(database, run_id, status="finished", counts={"pages_fetched": 12, "documents_new": 7})
    finish_run(database, run_id, status="failed", error_text="late")  # ignored: already closed
    (run,) = get_runs(database, [run_id])
    assert (run.status, run.pages_fetched, run.documents_new, run.error_text) == ("finished", 12, 7, None)
    assert run.finished_at >= run.started_at


def test_recent_runs_newest_first_and_by_source(database):
    ids = [start_run(database, name) for name in ("a", "b", "a")]
    assert [r.id for r in recent_runs(database)] == ids[::-1]
    assert [r.id for r in recent_runs(database, source="a")] == [ids[2], ids[0]]


def test_a_run_is_credited_with_the_speeches_and_commitments_its_documents_brought(database):
    """A run counts the speeches whose canonical copy it fetched and the commitments mined from its documents,
    created after it started: a repost of a known speech brings neither."""
    from sqlalchemy import func, select

    from monitor.postrun import process_new_documents
    from storage.documents import DocumentRecord, content_hash_of, store_documents
    from storage.models import Commitment, Document
    from tests.monitor.commitments.test_track import SPEECH

    def record(url: str, text: str, run_id: int) -> DocumentRecord:
        return DocumentRecord(
            url=url, final_url=url, source="gov", source_kind="gov", http_status=200, run_id=run_id,
            content_hash=content_hash_of(text, b""), raw_html=b"", text=text,
            analysis={"match_text": text, "doc_type": "speech", "speech_date": "2020-08"},
        )  # fmt: skip

    other = SPEECH.replace("全区", "全县").replace("区行政审批局", "县行政审批局").replace("1-2支", "3支")
    first = start_run(database, "gov")
    store_documents(database, [record("http://gov/1", SPEECH, first)])
    process_new_documents(database, [first])
    second = start_run(database, "gov")
    store_documents(database, [record("http://tpl/1", SPEECH.replace("谢谢大家！", "谢谢！"), second),
                               record("http://gov/2", other * 2, second)])  # fmt: skip
    process_new_documents(database, [second])
    with database.read() as session:
        mined = dict(session.execute(select(Document.url, func.count(Commitment.id))
                                     .join(Commitment, Commitment.document_id == Document.id)
                                     .group_by(Document.url)).all())  # fmt: skip
    assert set(mined) == {"http://gov/1", "http://gov/2"} and min(mined.values()) >= 3  # the repost added evidence
    (one, two) = get_runs(database, [first, second])
    assert (one.speeches_new, one.commitments_new) == (1, mined["http://gov/1"])
    assert (two.speeches_new, two.commitments_new) == (1, mined["http://gov/2"])
