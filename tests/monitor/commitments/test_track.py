"""Commitments in storage: mined per speech, evidence per copy, review with an audit log, overdue computed."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import event, select, update

from monitor.commitments.track import CHUNK, ReviewError, display_status, list_commitments, mine_commitments, review
from monitor.dedup.cluster import cluster_documents
from monitor.extract.script import matching_text
from storage.database import Database
from storage.documents import DocumentRecord, content_hash_of, queue_for_mining, store_documents
from storage.models import Commitment, CommitmentEvent, Document, UnminedDocument

SPEECH = (
    "同志们：\n今天召开全区优化营商环境大会。\n"
    "一、深化改革\n去年以来，全区深入推进“放管服”改革，企业开办时间由过去的5个工作日压缩至1个工作日，"
    "工程建设项目审批时间压缩至60个工作日以内，新增市场主体1.2万户，营商环境评价排名全市第三。"
    "但也要清醒看到，我们在审批效率、要素保障、政策兑现、干部作风等方面与先进地区相比还有不少差距，"
    "企业反映的融资难、用地难、招工难等问题还没有得到根本解决，部分干部服务企业的主动性还不够强。"
    "营商环境是一个地区的重要软实力，哪里的营商环境好，哪里就能吸引更多的资金、技术和人才，"
    "我们必须以更大的决心、更实的举措，推动营商环境实现新的更大突破。\n"
    "要加快“标准地”改革，确保2020年9月底前至少完成一宗“标准地”出让。"
    "尽快完成14项政府统一服务事项。向市里争取落户1-2支产业引导基金。\n"
    "二、优化服务\n区行政审批局要在年底前实现企业开办全程网办，开办时间压缩至1个工作日以内。"
    "区政务服务中心要在10月底前建成企业服务专区，为企业提供帮办代办服务。\n"
    "三、强化保障\n各部门要切实加强组织领导，确保各项任务落到实处。"
    "区营商办要每季度通报一次各单位工作进展，对排名靠后的单位进行约谈。\n谢谢大家！"
)


def record(url: str, text: str, kind: str = "gov", truncated: bool = False) -> DocumentRecord:
    return DocumentRecord(
        url=url, final_url=url, source=kind, source_kind=kind, http_status=200,
        content_hash=content_hash_of(text, b""), raw_html=b"", text=text,
        analysis={"match_text": matching_text(text), "truncated": truncated, "doc_type": "speech",
                  "speech_date": "2020-08"},
    )  # fmt: skip


def test_commitments_belong_to_the_speech_and_copies_add_evidence(database):
    cut = SPEECH[: SPEECH.index("二、")]
    store_documents(database, [record("http://tpl/cut", cut, kind="template", truncated=True)])
    cluster_documents(database)
    first = mine_commitments(database)
    store_documents(database, [record("http://gov/full", SPEECH)])
    cluster_documents(database)
    second = mine_commitments(database)
    assert first.new >= 3 and second.seen_again >= 3 and second.new >= 2  # the missing part adds its pledges
    with database.read() as session:
        rows = session.scalars(select(Commitment)).all()
    assert len({r.speech_id for r in rows}) == 1
    land = next(r for r in rows if "标准地" in r.text and r.deadline)
    assert land.deadline == "2020-09-30" and len(land.evidence) == 2 and land.status == "new" and land.flagged
    assert mine_commitments(database).documents == 0  # idempotent


def test_review_lifecycle_with_audit_log(database):
    store_documents(database, [record("http://gov/full", SPEECH)])
    cluster_documents(database)
    mine_commitments(database)
    target = list_commitments(database, status="new")[0]
    with pytest.raises(ReviewError):
        review(database, target.id, "done", note="已完成")  # only accepted ones can be done
    accepted = review(database, target.id, "accept", reviewer="analyst", note="testable")
    assert accepted.status == "accepted" and not accepted.flagged
    with pytest.raises(ReviewError, match="evidence"):
        review(database, target.id, "done")
    done = review(database, target.id, "done", reviewer="analyst", note="http://example.gov.cn/notice")
    assert done.status == "done"
    with database.read() as session:
        actions = session.scalars(
            select(CommitmentEvent.action)
            .where(CommitmentEvent.commitment_id == target.id)
            .order_by(CommitmentEvent.id)
        ).all()
    assert actions == ["flagged", "accept", "done"]
    with pytest.raises(ReviewError, match="no commitment"):
        review(database, 999_999, "accept")


def test_mining_empties_the_queue_of_pages_of_other_types_and_keeps_what_waits_for_clustering(database):
    news, unclustered = record("http://gov/news", SPEECH), record("http://gov/later", SPEECH + "另附。")
    news.analysis["doc_type"], unclustered.analysis["doc_type"] = "news", "speech"
    store_documents(database, [record("http://gov/full", SPEECH), news])
    cluster_documents(database)
    store_documents(database, [unclustered])  # stored after clustering: no speech yet
    counts = mine_commitments(database)
    with database.read() as session:
        queued = session.scalars(select(Document.url).join(UnminedDocument)).all()
    assert counts.documents == 1 and queued == ["http://gov/later"]


def test_a_text_changed_while_its_old_one_is_mined_stays_queued(postgres_url, monkeypatch):
    """Another writer (a crawl) commits a new text of a copy while a unit mines the old one: the unit takes the
    copy out of the queue only for the text it mined, so the new text is mined by the next run. (PostgreSQL: SQLite
    has one writer at a time, so the crawl would wait for the unit.)"""
    from monitor.commitments import track

    database = Database(postgres_url)
    try:
        store_documents(database, [record("http://gov/full", SPEECH)])
        cluster_documents(database)
        load_unit = track._load_unit

        def crawl_meanwhile(session, unit):
            loaded = load_unit(session, unit)
            store_documents(database, [record("http://gov/full", SPEECH + "\n区营商办要在年底前出台实施细则。")])
            return loaded

        monkeypatch.setattr(track, "_load_unit", crawl_meanwhile)
        assert mine_commitments(database).documents == 1  # the old text
        monkeypatch.setattr(track, "_load_unit", load_unit)
        with database.read() as session:
            queued = session.scalars(select(Document.url).join(UnminedDocument)).all()
        assert queued == ["http://gov/full"]
        cluster_documents(database)
        assert mine_commitments(database).documents == 1  # the new one
        with database.read() as session:
            assert not session.scalars(select(UnminedDocument)).all()
            assert session.scalar(select(Commitment.id).where(Commitment.text.contains("实施细则"))) is not None
    finally:
        database.close()


def test_accepted_commitments_past_their_deadline_are_overdue(database):
    store_documents(database, [record("http://gov/full", SPEECH)])
    cluster_documents(database)
    mine_commitments(database)
    dated = next(r for r in list_commitments(database) if r.deadline)
    review(database, dated.id, "accept")
    row = next(r for r in list_commitments(database, status="overdue") if r.id == dated.id)
    assert display_status(row, today=date(2030, 1, 1)) == "overdue"
    assert display_status(row, today=date(2000, 1, 1)) == "accepted"


def _speech_record(url: str, text: str, speech_date: str, region: str = "440310") -> DocumentRecord:
    rec = record(url, text)
    rec.analysis.update(speech_date=speech_date, region_code=region)
    return rec


FILLER = (
    "同志们：\n今天召开全区优化营商环境大会。过去一年，全区上下坚持以企业需求为导向，营商环境持续改善，"
    "企业满意度明显提升，但与先进地区相比，我们在审批效率、要素保障、政策兑现等方面还有不少差距，"
    "企业反映的融资难、用地难等问题还没有得到根本解决，部分干部服务企业的主动性、专业性还有待提高。"
    "营商环境只有更好，没有最好，我们必须以更大的决心、更实的举措推动营商环境实现新的更大突破。\n"
)


def test_a_pledge_said_again_is_restated_and_a_moved_one_changed(database):
    first = FILLER + "区政务服务中心要在2023年10月底前建成企业服务专区。\n确保年内新增市场主体2万户以上。"
    later = (
        FILLER.replace("过去一年", "一年来")
        + "区政务服务中心要在2023年10月底前建成企业服务专区。\n确保年内新增市场主体3万户以上。\n再见。"
    )
    store_documents(database, [_speech_record("http://gov/2023-01", first, "2023-01")])
    cluster_documents(database)
    mine_commitments(database)
    store_documents(database, [_speech_record("http://gov/2023-06", later, "2023-06")])
    cluster_documents(database)
    counts = mine_commitments(database)
    with database.read() as session:
        rows = session.scalars(select(Commitment).where(Commitment.relation.is_not(None))).all()
    relations = {r.relation: r for r in rows}
    assert counts.restated >= 1 and counts.changed >= 1
    assert not relations["restated"].flagged and relations["changed"].flagged
    assert relations["changed"].related_id is not None


def test_the_next_run_reads_again_only_the_pledges_others_changed(database, monkeypatch):
    """The place's index is kept between runs and holds what a run wrote: the next run's refresh fetches none of
    those rows again, only the one a reviewer changed since (its new status taken)."""
    from datetime import timedelta

    from monitor.commitments import pledges

    monkeypatch.setattr(pledges, "SLACK", timedelta(0))  # no rows read again for being close to the last read
    text = FILLER + "区政务服务中心要在2023年10月底前建成企业服务专区。\n确保年内新增市场主体2万户以上。"
    store_documents(database, [_speech_record("http://gov/2023-01", text, "2023-01")])
    cluster_documents(database)
    mine_commitments(database)
    store = database.engine.url.render_as_string(hide_password=False)
    (index,) = [index for key, index in pledges._CACHE.items() if key == (store, "440310")]
    with database.read() as session:
        ids = session.scalars(select(Commitment.id).where(Commitment.cited.is_(False)).order_by(Commitment.id)).all()
    assert len(ids) >= 2 and all(i in index.position for i in ids)
    review(database, ids[0], "accept", reviewer="analyst")
    taken: list[int] = []
    take = pledges.RegionPledges._take
    monkeypatch.setattr(pledges.RegionPledges, "_take", lambda self, row: (taken.append(row[1]), take(self, row)))
    with database.read() as session:
        pledges.refresh_cached(session, store)
    assert taken == [ids[0]]  # the run's own rows are not read again
    assert index.entries[index.position[ids[0]]].status == "accepted"
    assert index.seen_id == max(ids) and pledges._CACHE[(store, "440310")] is index
    taken.clear()
    with database.read() as session:  # nothing changed since: nothing read
        pledges.refresh_cached(session, store)
    assert taken == []


@pytest.mark.parametrize("one_run", [False, True], ids=["later run", "same unit"])
def test_a_later_report_of_completion_is_evidence(database, one_run):
    """Also when the pledge and the report are mined in one unit of work (on PostgreSQL the pledge is not
    stored yet when the report is mined: it waits for the unit's end)."""
    pledge = FILLER + "确保2023年9月底前至少完成一宗“标准地”出让。"
    report = (
        "9月28日，区自然资源局发布消息，我区首宗“标准地”已完成出让，标志着“标准地”改革取得实质性进展。"
        "下一步，区里将总结经验，在更多产业园区推广。" * 3
    )
    store_documents(database, [_speech_record("http://gov/pledge", pledge, "2023-03")])
    if not one_run:
        cluster_documents(database)
        mine_commitments(database)
    store_documents(database, [_speech_record("http://gov/report", report, "2023-09-28")])
    cluster_documents(database)
    counts = mine_commitments(database)
    assert counts.fulfilment >= 1 and counts.documents == 1 + one_run
    with database.read() as session:
        event = session.scalar(select(CommitmentEvent).where(CommitmentEvent.action == "fulfilment"))
    assert "已完成出让" in event.details["sentence"] and event.details["suggest"] == "done"


def test_a_pledge_said_twice_in_one_copy_keeps_the_fuller_clause_and_is_linked_by_it(database):
    """The fuller second saying replaces the clause before the pledge is stored; a later speech of the place
    restating it links to that one row."""
    first = (
        "同志们：\n要在年底前实现企业开办全程网办。\n"
        "我再强调一下，区行政审批局要在年底前实现企业开办全程网办。\n谢谢大家！"
    )
    later = "同志们：\n区行政审批局要在年底前实现企业开办全程网办，这项工作要抓紧。\n谢谢大家！"
    for url, text, when in (("http://gov/twice", first, "2020-08"), ("http://gov/later", later, "2020-10")):
        rec = record(url, text)
        rec.analysis.update(region_code="330502", speech_date=when)
        store_documents(database, [rec])
    cluster_documents(database)
    counts = mine_commitments(database)
    assert (counts.new, counts.seen_again, counts.restated) == (2, 1, 1)
    with database.read() as session:
        original, restated = session.scalars(select(Commitment).order_by(Commitment.id)).all()
    assert original.text == "区行政审批局要在年底前实现企业开办全程网办"
    assert restated.related_id == original.id and restated.relation == "restated"


def test_a_short_clause_said_again_after_a_fuller_copy_completed_it_is_the_same_pledge(database):
    """Its key is the clause it was first stored with, so the short saying again is evidence, not a second row."""
    text = (
        "同志们：\n要在年底前建成服务专区。\n我再强调一下，区政务服务中心要在年底前建成服务专区。\n"
        "要在年底前建成服务专区。\n谢谢大家！"
    )
    store_documents(database, [record("http://gov/thrice", text)])
    cluster_documents(database)
    counts = mine_commitments(database)
    assert (counts.new, counts.seen_again) == (1, 2)
    with database.read() as session:
        (row,) = session.scalars(select(Commitment)).all()
    assert row.text == "区政务服务中心要在年底前建成服务专区"


def test_a_report_of_completion_goes_to_the_first_saying_of_a_restated_pledge(database):
    pledge = "确保2023年9月底前至少完成一宗“标准地”出让。"
    speeches = [
        FILLER + "区政务服务中心要在2023年10月底前建成企业服务专区。\n" + pledge,
        FILLER.replace("过去一年", "一年来") + "要加快推进工业用地改革。\n" + pledge + "\n再见。",
        FILLER.replace("过去一年", "半年来") + "要持续深化商事制度改革。\n" + pledge + "\n谢谢大家。",
    ]
    for number, text in enumerate(speeches):
        store_documents(database, [_speech_record(f"http://gov/2023-0{number + 1}", text, f"2023-0{number + 1}")])
        cluster_documents(database)
        mine_commitments(database)
    report = (
        "9月28日，区自然资源局发布消息，我区首宗“标准地”已完成出让，标志着“标准地”改革取得实质性进展。"
        "下一步，区里将总结经验，在更多产业园区推广。" * 3
    )
    store_documents(database, [_speech_record("http://gov/report", report, "2023-09-28")])
    cluster_documents(database)
    counts = mine_commitments(database)
    with database.read() as session:
        query = select(Commitment).where(Commitment.text.contains("标准地")).order_by(Commitment.id)
        land = session.scalars(query).all()
        events = session.scalars(select(CommitmentEvent).where(CommitmentEvent.action == "fulfilment")).all()
    assert [row.relation for row in land] == [None, "restated", "restated"]
    assert counts.fulfilment == 1 and [event.commitment_id for event in events] == [land[0].id]
    assert events[0].document_id == events[0].details["document_id"]
    with database.write() as session:  # the report is mined again (as after a change of its text)
        report = select(Document.id, Document.content_hash).where(Document.url == "http://gov/report")
        queue_for_mining(session.connection(), database.dialect, report)
    assert mine_commitments(database).fulfilment == 0  # its evidence is there already


def test_a_pledge_said_again_is_not_a_report_that_it_is_done(database):
    pledge = "年底前全面完成“十四五”规划确定的营商环境各项目标任务。"
    store_documents(database, [_speech_record("http://gov/2025-01", FILLER + pledge, "2025-01")])
    cluster_documents(database)
    mine_commitments(database)
    again = FILLER.replace("过去一年", "一年来") + "要确保" + pledge + "\n谢谢大家。"  # a promise, not a report
    store_documents(database, [_speech_record("http://gov/2025-03", again, "2025-03")])
    cluster_documents(database)
    assert mine_commitments(database).fulfilment == 0
    report = "截至12月底，我区已全面完成“十四五”规划确定的营商环境各项目标任务，企业满意度持续提升。" * 3
    store_documents(database, [_speech_record("http://gov/2025-12", report, "2025-12-31")])
    cluster_documents(database)
    assert mine_commitments(database).fulfilment >= 1


def _commitments_and_events(database) -> tuple[list, list]:
    """Every commitment (evidence as URLs) and audit event, without ids or times."""
    with database.read() as session:
        urls = dict(session.execute(select(Document.id, Document.url)).all())
        rows = session.scalars(select(Commitment).order_by(Commitment.id)).all()
        texts = {row.id: row.text for row in rows}
        commitments = [
            (row.text, row.key, row.deadline, row.status, row.flagged, row.relation, urls[row.document_id],
             [urls[i] for i in row.evidence])
            for row in rows
        ]  # fmt: skip
        events = session.execute(select(CommitmentEvent.commitment_id, CommitmentEvent.action,
                                        CommitmentEvent.document_id).order_by(CommitmentEvent.id)).all()  # fmt: skip
    return commitments, [(texts[c], action, urls[d]) for c, action, d in events]


def test_copies_of_one_speech_in_one_unit_see_each_others_commitments(database):
    """One unit of work: two new copies of a speech whose cut copy was mined before (each adds evidence to its
    pledges, the second also to those the first added), and a copy whose speech is gone (skipped, still pending)."""
    cut = SPEECH[: SPEECH.index("二、")]
    store_documents(database, [record("http://tpl/cut", cut, kind="template", truncated=True)])
    cluster_documents(database)
    mine_commitments(database)
    store_documents(database, [record("http://gov/full", SPEECH)])
    store_documents(database, [record("http://gov/gone", "同志们：\n" + SPEECH[6:-5] + "\n再见！")])
    store_documents(database, [record("http://news/full", SPEECH.replace("谢谢大家！", "谢谢！"), kind="news")])
    cluster_documents(database)
    with database.write() as session:
        session.execute(update(Document).where(Document.url == "http://gov/gone").values(speech_id=999_999))
    counts = mine_commitments(database)
    assert (counts.documents, counts.new, counts.seen_again) == (2, 4, 10)
    commitments, events = _commitments_and_events(database)
    cut_texts = ["确保2020年9月底前至少完成一宗“标准地”出让", "尽快完成14项政府统一服务事项",
                 "向市里争取落户1-2支产业引导基金"]  # fmt: skip
    full_texts = ["区行政审批局要在年底前实现企业开办全程网办", "开办时间压缩至1个工作日以内",
                  "区政务服务中心要在10月底前建成企业服务专区", "区营商办要每季度通报一次各单位工作进展"]  # fmt: skip
    both = ["http://gov/full", "http://news/full"]
    assert [(text, first, evidence) for text, _, _, _, _, _, first, evidence in commitments] == [
        *[(text, "http://tpl/cut", ["http://tpl/cut", *both]) for text in cut_texts],
        *[(text, "http://gov/full", both) for text in full_texts],
    ]
    assert [row[1:6] for row in commitments] == [
        ("95283649373adc1ed1327b37d0569a08", "2020-09-30", "new", True, None),
        ("b1d86fb97e1de556b783d51ddf8adbd6", None, "new", True, None),
        ("bd4c9e119ed930824f34ac5437202adf", None, "new", True, None),
        ("9ee690c64f8914dd75e1d33b82e13c4c", "2020-12-31", "new", True, None),
        ("01a4aee6efa61469edb1e3b75b8c2502", "2020-12-31", "new", True, None),
        ("3d00908a1fb164d59f05a4896f05e430", "2020-10-31", "new", True, None),
        ("eea0c79a30282f322aba74491b1a4cb4", None, "new", True, None),
    ]
    assert events == [(text, "flagged", url) for text, *_, url, _ in commitments]
    with database.read() as session:
        queued = session.scalars(select(Document.url).join(UnminedDocument)).all()
    assert queued == ["http://gov/gone"]  # the others were mined: out of the queue


def test_a_unit_reads_its_copies_speeches_and_commitments_with_a_query_each(database, monkeypatch):
    """Mining a unit of new single-copy speeches: the statements do not grow with its copies (3 SELECTs per copy
    before, and an UPDATE per copy when each copy's INSERT flushed the session). The new rows go in with one
    statement per table: an INSERT, or on PostgreSQL a COPY (which SQLAlchemy's statement events do not see)."""
    from monitor.commitments import track

    written: list[tuple[str, int]] = []
    insert_rows = track.insert_rows
    monkeypatch.setattr(track, "insert_rows", lambda conn, table, rows: (written.append((table.name, len(rows))),
                                                                         insert_rows(conn, table, rows)))  # fmt: skip
    rng = random.Random(7)
    words = "经济社会发展改革开放创新驱动产业升级城市建设乡村振兴生态环境民生保障教育医疗交通水利文化旅游科技人才"
    texts = [
        "同志们：\n" + "".join("".join(rng.choices(words, k=30)) + "。" for _ in range(12))
        + f"\n区政务服务中心要在{number + 1}月底前建成第{number + 1}个企业服务专区。\n谢谢大家！"
        for number in range(12)
    ]  # fmt: skip
    assert len(texts) < CHUNK
    store_documents(database, [record(f"http://gov/{number}", text) for number, text in enumerate(texts)])
    cluster_documents(database)
    statements: list[str] = []
    listen = (database.engine, "before_cursor_execute", lambda _c, _u, statement, *_: statements.append(statement))
    event.listen(*listen)
    try:
        counts = mine_commitments(database)
    finally:
        event.remove(*listen)
    with database.read() as session:
        assert len(set(session.scalars(select(Commitment.speech_id)))) == counts.documents == len(texts)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # the pending copies; the unit's documents, speeches and commitments; the new commitments' ids (PostgreSQL's
    # sequence, SQLite's highest id); the search index's (3 in SQLite, 2 in PostgreSQL)
    assert len(selects) <= 8, selects
    inserts = 0 if database.dialect == "postgresql" else 1  # PostgreSQL: a COPY each
    audit = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO COMMITMENT_EVENTS")]
    assert len(audit) == inserts, audit  # the unit's audit-log rows in one statement, not one per copy
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE DOCUMENTS")]  # no new row version
    mined = [s for s in statements if s.lstrip().upper().startswith("DELETE FROM UNMINED_DOCUMENTS WHERE UNMINED")]
    assert len(mined) == 1, mined  # the copies mined leave the queue in one statement at the unit's end
    added = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO COMMITMENTS ")]
    assert len(added) == inserts, added  # the unit's new commitments in one statement at its end
    assert written == [("commitments", counts.new), ("commitment_events", counts.new)]


def test_new_commitments_take_ids_in_order_and_leave_the_sequence_ahead(database, monkeypatch):
    """New pledges are numbered in the order found, a block ahead (PostgreSQL: from the sequence): their audit
    rows and relations point at those ids, and a row inserted afterwards the usual way takes an unused id."""
    monkeypatch.setattr("monitor.commitments.track.ID_BLOCK", 2)  # several blocks of ids for one unit
    pledges = [f"区政务服务中心要在2023年{m}月底前建成第{m}个企业服务专区。\n" for m in range(1, 7)]
    later = SPEECH.replace("谢谢大家！", pledges[0] + pledges[4].replace("2023年5月", "2023年8月") + "谢谢大家！")
    store_documents(database, [_speech_record("http://gov/2023-01", FILLER + "".join(pledges), "2023-01"),
                               _speech_record("http://gov/2023-06", later, "2023-06")])  # fmt: skip
    cluster_documents(database)
    counts = mine_commitments(database)
    with database.read() as session:
        rows = session.scalars(select(Commitment).order_by(Commitment.id)).all()
        flagged = dict(session.execute(select(CommitmentEvent.commitment_id, CommitmentEvent.action)
                                       .where(CommitmentEvent.action.in_(("flagged", "restated", "changed"))))
                       .all())  # fmt: skip
    assert counts.new == len(rows) >= 10 and counts.changed >= 1 and len({r.speech_id for r in rows}) == 2
    assert [r.start for r in rows if r.document_id == rows[0].document_id] == sorted(
        r.start for r in rows if r.document_id == rows[0].document_id
    )  # in the order found in the text
    assert set(flagged) == {r.id for r in rows}
    assert all(r.related_id in {o.id for o in rows} for r in rows if r.relation)
    with database.write() as session:
        extra = Commitment(speech_id=rows[0].speech_id, key="x" * 32, text="另行录入", status="new", flagged=True,
                           evidence=[], created_at=rows[0].created_at, updated_at=rows[0].created_at)  # fmt: skip
        session.add(extra)
        session.flush()
        assert extra.id not in {r.id for r in rows}
