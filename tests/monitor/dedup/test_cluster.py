"""Incremental, idempotent clustering in a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from monitor.dedup.cluster import cluster_documents
from monitor.extract.script import matching_text
from monitor.sampleweb.speeches import load_speeches
from storage.documents import DocumentRecord, content_hash_of, store_documents
from storage.models import Document, Speech

SPEECHES = load_speeches()


def body(sid: str) -> str:
    return SPEECHES[sid].body.strip().replace("\n\n", "\n")


def record(url: str, text: str, kind: str = "template", truncated: bool = False, **analysis) -> DocumentRecord:
    return DocumentRecord(
        url=url, final_url=url, source=kind, source_kind=kind, http_status=200,
        content_hash=content_hash_of(text, b""), raw_html=b"<html></html>", text=text,
        analysis={"match_text": matching_text(text), "truncated": truncated, **analysis},
    )  # fmt: skip


def speech_ids(database) -> dict[str, int]:
    with database.read() as session:
        return dict(session.execute(select(Document.url, Document.speech_id)).all())


def test_copies_join_and_different_speeches_stay_apart(database):
    full = body("p06")
    store_documents(database, [
        record("http://gov/p06", full, kind="gov", speaker="陈文喆", speech_date="2024-03"),
        record("http://tpl/p06-cut", full[: len(full) // 3], truncated=True),
        record("http://tpl/p07", body("p07")),  # same speaker, next year: another speech
    ])  # fmt: skip
    counts = cluster_documents(database)
    ids = speech_ids(database)
    assert ids["http://gov/p06"] == ids["http://tpl/p06-cut"] != ids["http://tpl/p07"]
    assert (counts.new_speeches, counts.joined) == (2, 1)
    with database.read() as session:
        speech = session.get(Speech, ids["http://gov/p06"])
        gov = session.scalar(select(Document.id).where(Document.url == "http://gov/p06"))
    assert speech.canonical_document_id == gov and "government original" in speech.canonical_reason
    assert speech.copies == 2 and speech.speaker == "陈文喆" and speech.provenance["speaker"] == gov


def test_rerunning_changes_nothing(database):
    store_documents(database, [record("http://a/1", body("h01")), record("http://b/1", body("h01")[:800])])
    cluster_documents(database)
    before = speech_ids(database)
    again = cluster_documents(database)
    assert again.documents == 0 and speech_ids(database) == before


def test_a_document_that_bridges_two_speeches_merges_them(database):
    full = body("t03")
    head, tail = full[: len(full) // 2], full[len(full) // 2 :]
    store_documents(database, [record("http://a/head", head, truncated=True), record("http://a/tail", tail)])
    cluster_documents(database)
    first = speech_ids(database)
    assert first["http://a/head"] != first["http://a/tail"]  # nothing links the halves yet
    store_documents(database, [record("http://gov/full", full, kind="gov")])
    counts = cluster_documents(database)
    ids = speech_ids(database)
    assert counts.merged == 1 and len(set(ids.values())) == 1
    with database.read() as session:
        assert session.scalar(select(Speech.copies)) == 3 and len(session.scalars(select(Speech)).all()) == 1


def test_copies_after_a_merge_in_the_same_chunk_join_the_merged_speech(database):
    """A chunk reads its documents up front and writes paragraph keys at its end: a merge half way makes the rest
    read again, and a later copy of the chunk finds the earlier ones' keys before they reach the table."""
    from storage.models import ParagraphKey

    full = body("t03")
    head, tail = full[: len(full) // 2], full[len(full) // 2 :]
    store_documents(database, [record("http://a/head", head, truncated=True), record("http://a/tail", tail)])
    cluster_documents(database)
    other = body("p07")
    store_documents(database, [record("http://gov/full", full, kind="gov"),
                               record("http://b/tail", tail[: len(tail) * 2 // 3], truncated=True),
                               record("http://c/new", other), record("http://d/new", other[:900])])  # fmt: skip
    counts = cluster_documents(database)
    ids = speech_ids(database)
    assert counts.merged == 1 and counts.documents == 4
    assert len({ids[url] for url in ("http://a/head", "http://a/tail", "http://gov/full", "http://b/tail")}) == 1
    assert ids["http://c/new"] == ids["http://d/new"] != ids["http://gov/full"]
    with database.read() as session:
        keyed = set(session.scalars(select(ParagraphKey.document_id)))
        assert keyed == set(session.scalars(select(Document.id)))  # every copy's keys reached the table


def test_the_most_complete_copy_is_canonical_without_an_original(database):
    full = body("t01")
    store_documents(database, [
        record("http://tpl/cut", full[:2000], truncated=True, speech_date="2020-08"),
        record("http://tpl/full", full),
    ])  # fmt: skip
    cluster_documents(database)
    with database.read() as session:
        speech = session.scalar(select(Speech))
        full_id = session.scalar(select(Document.id).where(Document.url == "http://tpl/full"))
        cut_id = session.scalar(select(Document.id).where(Document.url == "http://tpl/cut"))
    assert speech.canonical_document_id == full_id and speech.canonical_reason.startswith("most complete")
    assert speech.speech_date == "2020-08" and speech.provenance["speech_date"] == cut_id  # the repost knew the date


def test_short_texts_never_merge_on_containment(database):
    short = "同志们：今天召开全区优化营商环境大会，我讲三点意见。"
    store_documents(database, [record("http://a/short", short), record("http://b/long", body("p05") + short)])
    cluster_documents(database)
    ids = speech_ids(database)
    assert ids["http://a/short"] != ids["http://b/long"]


def test_a_changed_document_is_reclustered(database):
    store_documents(database, [record("http://a/1", body("h03")), record("http://b/1", body("h03"))])
    cluster_documents(database)
    store_documents(database, [record("http://b/1", body("h04"))])  # the page now carries another speech
    cluster_documents(database)
    ids = speech_ids(database)
    assert ids["http://a/1"] != ids["http://b/1"]
    with database.read() as session:
        assert sorted(session.scalars(select(Speech.copies))) == [1, 1]


def test_near_duplicates_are_found_through_the_lookup_keys(database):
    from monitor.dedup.fingerprint import to_unsigned
    from monitor.dedup.keyindex import KeyIndex

    full = body("p05")
    edited = full.replace("营商环境", "營商環境", 1) + "\n（来源：某某网）"
    store_documents(database, [record("http://gov/p05", full, kind="gov"), record("http://tpl/p05", edited)])
    cluster_documents(database)
    with database.read() as session:
        rows = {d.url: d for d in session.scalars(select(Document))}
    copy, original = rows["http://tpl/p05"], rows["http://gov/p05"]
    assert copy.speech_id == original.speech_id and copy.speech_link["reason"] == "near-duplicate"
    old = to_unsigned(copy.simhash)
    assert KeyIndex.open(database).near(old) == {copy.id, original.id}  # each by the keys of its stored simhash

    store_documents(database, [record("http://tpl/p05", body("h02"))])  # the page now carries another speech
    cluster_documents(database)
    with database.read() as session:
        copy = session.scalar(select(Document).where(Document.url == "http://tpl/p05"))
    index = KeyIndex.open(database)
    assert index.near(to_unsigned(copy.simhash)) == {copy.id} and index.near(old) == {original.id}


def _pieces() -> dict[str, str]:
    """Copies that share paragraphs in many ways: halves, thirds and stitched pieces of the sample speeches."""
    texts = {}
    for sid in ("h01", "h03", "p05", "p06", "t01", "t03"):
        lines = body(sid).split("\n")
        third = max(1, len(lines) // 3)
        texts[f"{sid}/full"] = body(sid)
        texts[f"{sid}/head"] = "\n".join(lines[: 2 * third])
        texts[f"{sid}/tail"] = "\n".join(lines[third:])
    texts["mix"] = "\n".join(body("h01").split("\n")[:4] + body("p06").split("\n")[-4:])
    return texts


def test_a_chunk_answers_paragraph_lookups_from_one_read_as_the_table_would(database):
    """``_Chunk.sharing`` from the keys read up front equals the per-document SQL lookup, also after a
    document's stored keys were deleted in the chunk (its text changed)."""
    from monitor.dedup.cluster import SHARING, _Chunk
    from monitor.dedup.fingerprint import fingerprint

    store_documents(database, [record(f"http://x/{name}", text) for name, text in _pieces().items()])
    cluster_documents(database)
    with database.write() as session:
        conn = session.connection()
        ids = sorted(session.scalars(select(Document.id)))
        chunk = _Chunk(conn, ids)
        chunk.prepare(conn, None)
        chunk.drop_paragraphs(conn, ids[0])  # as when a changed document is taken up
        checked = 0
        for document_id in ids:
            keys = fingerprint(session.get(Document, document_id).text).paragraph_keys
            for needed in (1, 2, 3):
                sql = set(conn.execute(SHARING, {"keys": list(keys), "id": document_id, "needed": needed}).scalars())
                assert chunk.sharing(conn, document_id, keys, needed) == sql, (document_id, needed)
                checked += bool(sql)
        assert checked >= 10  # the corpus does share paragraphs
        session.rollback()


def test_new_documents_of_a_chunk_cost_one_key_read_and_one_update(database, monkeypatch):
    """The stored paragraph keys are read once per chunk, and new speeches' documents are updated in one
    statement (a document with candidates writes the ones before it first, as they may be among them)."""
    from sqlalchemy import event

    from monitor.dedup import cluster

    distinct = sorted(set(SPEECHES) - {"p07"})  # p07 shares two paragraphs with p06: it would look them up
    store_documents(database, [record(f"http://x/{sid}", body(sid)) for sid in distinct])
    statements: list[str] = []
    bulk = cluster.insert_rows  # PostgreSQL's COPY goes by the driver, unseen by the listener: marked here

    def insert_rows(conn, table, rows):
        statements.append(f"INSERT INTO {table.name} (insert_rows: {len(rows)} rows)")
        bulk(conn, table, rows)

    monkeypatch.setattr(cluster, "insert_rows", insert_rows)
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        counts = cluster_documents(database)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    key_reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM paragraph_keys" in s]
    updates = [s for s in statements if s.lstrip().startswith("UPDATE documents SET simhash")]
    assert counts.new_speeches == counts.documents == len(distinct)
    assert len(key_reads) == 1 and len(updates) == 1
    # PostgreSQL takes the speeches' ids from the sequence ahead and inserts them in one statement before the update
    speech_inserts = [s for s in statements if s.lstrip().startswith("INSERT INTO speeches")]
    postgres = database.dialect == "postgresql"
    assert len(speech_inserts) == (1 if postgres else len(distinct))
    assert statements.index(speech_inserts[-1]) < statements.index(updates[0])
    with database.read() as session:
        pairs = session.execute(select(Document.id, Document.speech_id).order_by(Document.id)).all()
        speeches = set(session.scalars(select(Speech.id)))
    assert {speech for _, speech in pairs} == speeches and len(speeches) == len(distinct)


def test_a_chunk_reads_its_stored_keys_together_when_the_worker_has_nothing_ready(database):
    """The worker is busy (a job holds it), so no fingerprint is ready: the chunk computes them up front and reads
    the stored paragraph keys of all its documents together, never one document's at a time, and clusters as
    without a worker (the copy joins the original)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import event

    from monitor.commitments.prefetch import Prefetcher

    full = body("p06")
    store_documents(database, [record("http://gov/p06", full, kind="gov"), record("http://tpl/p07", body("p07"))])
    cluster_documents(database)  # stored keys for the next chunk to find
    store_documents(database, [record("http://tpl/p06-copy", full), record("http://tpl/p05", body("p05"))])
    statements: list[str] = []
    listen = (database.engine, "before_cursor_execute", lambda _c, _u, statement, *_: statements.append(statement))
    ahead = Prefetcher(database, workers=1)
    ahead.pool = ThreadPoolExecutor(1)  # a worker that is never free during the run
    release = threading.Event()
    holding = ahead.pool.submit(release.wait)
    event.listen(*listen)
    try:
        cluster_documents(database, ahead=ahead)
    finally:
        event.remove(*listen)
        release.set()
        holding.result()
        ahead.pool.shutdown(cancel_futures=True)
        ahead.pool = None
        ahead.close()
    grouped = [s for s in statements if "paragraph" in s.lower() and "HAVING" in s.upper()]
    assert grouped == []  # the per-document query (SHARING) was never needed
    ids = speech_ids(database)
    assert ids["http://tpl/p06-copy"] == ids["http://gov/p06"] != ids["http://tpl/p05"]
