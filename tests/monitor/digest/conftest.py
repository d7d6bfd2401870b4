"""A small store for digest tests: speeches, copies, commitments in every state, fulfilment evidence, crawl runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.models import Commitment, CommitmentEvent, CrawlRun, Document, Speech

XSS_TITLE = '<script>alert("x")</script>在全区优化营商环境大会上的讲话'
TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


class Store:
    """Adds rows the way the pipeline leaves them; ids are returned for assertions."""

    def __init__(self, db) -> None:
        self.db = db
        self.counter = 0

    def document(self, session, url: str, speech_id: int | None = None, title: str = "讲话") -> Document:
        now = datetime.now(UTC)
        document = Document(
            url=url, final_url=url, source="gov", source_kind="gov", first_seen_at=now, fetched_at=now,
            changed_at=now, http_status=200, content_hash=url, raw_html=b"", raw_size=0, title=title, text="正文",
            speech_id=speech_id,
        )  # fmt: skip
        session.add(document)
        session.flush()
        return document

    def speech(self, title: str, url: str, copies: int = 1, **fields) -> tuple[int, list[int]]:
        now = datetime.now(UTC)
        with self.db.write() as session:
            speech = Speech(title=title, copies=copies, created_at=now, updated_at=now, **fields)
            session.add(speech)
            session.flush()
            documents = [self.document(session, url, speech.id, title)]
            documents += [self.document(session, f"{url}?copy={i}", speech.id) for i in range(1, copies)]
            speech.canonical_document_id = documents[0].id
            return speech.id, [d.id for d in documents]

    def repost(self, speech_id: int, url: str) -> int:
        with self.db.write() as session:
            document = self.document(session, url, speech_id)
            session.get(Speech, speech_id).copies += 1
            return document.id

    def commitment(self, speech_id: int, document_id: int, text: str, **fields) -> int:
        now = datetime.now(UTC)
        self.counter += 1
        values = {"status": "new", "flagged": True, "cited": False, "topic": "land", "strength": "strong"}
        values.update(fields)
        with self.db.write() as session:
            row = Commitment(speech_id=speech_id, key=f"k{self.counter}", text=text, sentence=text + "。",
                             document_id=document_id, evidence=[document_id], created_at=now, updated_at=now,
                             **values)  # fmt: skip
            session.add(row)
            session.flush()
            return row.id

    def fulfilment(self, commitment_id: int, document_id: int, sentence: str) -> int:
        with self.db.write() as session:
            details = {"document_id": document_id, "sentence": sentence, "suggest": "done"}
            event = CommitmentEvent(commitment_id=commitment_id, at=datetime.now(UTC), action="fulfilment",
                                    details=details)  # fmt: skip
            session.add(event)
            session.flush()
            return event.id

    def run(self, source: str, **counts) -> int:
        now = datetime.now(UTC)
        values = {"status": "finished", "pages_fetched": 10, "list_pages": 2, "article_links": 6, "documents_new": 1,
                  "stats": {}}  # fmt: skip
        values.update(counts)
        with self.db.write() as session:
            run = CrawlRun(source=source, started_at=now, finished_at=now, **values)
            session.add(run)
            session.flush()
            return run.id


@pytest.fixture
def store(database) -> Store:
    return Store(database)


@pytest.fixture
def populated(store: Store) -> dict:
    """One speech (with an XSS title and two copies) and one commitment in every state a digest reports."""
    speech, (doc, copy) = store.speech(XSS_TITLE, "http://www.pingshan.gov.cn/zwgk/ldjh/t1.html", copies=2,
                                       speaker="李珺", speaker_post="区委书记", region="广东省深圳市坪山区",
                                       speech_date="2020-08", doc_type="speech")  # fmt: skip
    ids = {"speech": speech, "doc": doc, "copy": copy}
    ids["land_late"] = store.commitment(speech, doc, "确保2020年9月底前至少完成一宗标准地出让", deadline="2020-09-30")
    ids["land_early"] = store.commitment(speech, doc, "确保6月底前完成土地收储", deadline="2020-06-30")
    ids["finance"] = store.commitment(speech, doc, "争取落户1-2支产业引导基金", topic="finance")
    ids["due"] = store.commitment(speech, doc, "年底前建成企业服务专区", status="accepted", flagged=False,
                                  deadline=day(5))  # fmt: skip
    ids["overdue"] = store.commitment(speech, doc, "上月底前上线一网通办平台", status="accepted", flagged=False,
                                      deadline=day(-3))  # fmt: skip
    ids["far"] = store.commitment(speech, doc, "三年内建成产业园", status="accepted", flagged=False, deadline=day(400))
    ids["changed"] = store.commitment(speech, doc, "确保2020年12月底前完成两宗标准地出让", deadline="2020-12-31",
                                      relation="changed", related_id=ids["land_late"])  # fmt: skip
    ids["restated"] = store.commitment(speech, doc, "争取落户产业引导基金", topic="finance", flagged=False,
                                       relation="restated", related_id=ids["finance"])  # fmt: skip
    ids["cited"] = store.commitment(speech, doc, "省里提出年内完成改革", cited=True, flagged=False)
    ids["event"] = store.fulfilment(ids["due"], copy, "企业服务专区已建成投用")
    ids["blocked_run"] = store.run("walled", status="blocked", blocked=3, documents_new=0,
                                   stats={"speechwatch/blocked/412": 3})  # fmt: skip
    return ids
