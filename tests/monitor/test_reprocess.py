"""Re-extraction of a run once its sites' chrome is counted: pages whose chrome answers still hold are skipped,
and skipping them changes nothing a full re-extraction would change."""

from __future__ import annotations

from sqlalchemy import select

from crawler.documents import extract_item, to_record
from crawler.items import PageItem
from monitor.profiles import SiteProfiles
from monitor.reprocess import reextract_run, reprocess_documents
from storage.documents import store_documents
from storage.models import Document, UnminedDocument
from storage.runs import start_run

HOST = "www.example.gov.cn"
BANNER = "欢迎访问示例县人民政府门户网站"
FOOTER = "主办单位：示例县人民政府办公室"


def page(number: int) -> bytes:
    body = "".join(
        f"<p>第{number}篇讲话第{i}段：我们要持续优化营商环境，推动第{number * 10 + i}项改革落地见效。</p>"
        for i in range(6)
    )
    return (
        f"<html><head><title>讲话{number}</title></head><body><div class='content'><p>{BANNER}</p>"
        f"{body}<p>{FOOTER}</p></div></body></html>"
    ).encode()


def crawl_like(db, pages: int) -> tuple[int, dict[str, tuple]]:
    """Pages extracted one by one as a crawl does (the site learns each), stored with their chrome answers."""
    run_id = start_run(db, "example")
    profiles = SiteProfiles(db, kind="gov")
    checks: dict[str, tuple] = {}
    for number in range(pages):
        url = f"http://{HOST}/art/{number}.html"
        item = PageItem(listed_url=url, final_url=url, source="example", source_kind="gov", http_status=200,
                        body=page(number), encoding="utf-8")  # fmt: skip
        record = to_record(extract_item(item, profiles.get(HOST)), run_id)
        checks[record.url] = item.chrome_checks
        store_documents(db, [record])
    return run_id, checks


def texts(db) -> dict[str, str]:
    with db.read() as session:
        return dict(session.execute(select(Document.url, Document.text)).all())


def queued(db) -> set[str]:
    """The documents waiting to be mined."""
    with db.read() as session:
        return set(session.scalars(select(Document.url).join(UnminedDocument)))


def test_a_run_is_re_extracted_only_where_the_chrome_answers_changed(database) -> None:
    run_id, checks = crawl_like(database, 12)
    early = texts(database)
    assert sum(BANNER in text for text in early.values()) >= 2  # the first pages came before the banner was known
    with database.write() as session:  # as if mined already
        session.query(UnminedDocument).delete()

    counts = reextract_run(database, run_id, checks)

    assert counts.total == 12
    assert counts.settled >= 6  # later pages relied on answers that still hold
    assert counts.changed >= 2
    changed = {url for url, text in texts(database).items() if text != early[url]}
    assert len(changed) >= 2 and queued(database) == changed  # a new text is mined again, an unchanged one not
    assert not any(BANNER in text or FOOTER in text for text in texts(database).values())
    assert reprocess_documents(database, run_id=run_id).changed == 0  # a full pass finds nothing left to change


def test_a_page_whose_type_changes_is_queued_for_mining_again(database) -> None:
    run_id, _ = crawl_like(database, 3)
    reextract_run(database, run_id, {})  # the texts settle once the chrome is counted
    with database.write() as session:  # mined, and stored as another type than the extractor reads now
        session.query(UnminedDocument).delete()
        session.query(Document).filter(Document.url == f"http://{HOST}/art/1.html").update({"doc_type": "notice"})
    assert reprocess_documents(database, run_id=run_id).changed == 1
    assert queued(database) == {f"http://{HOST}/art/1.html"}


def test_pages_without_recorded_answers_are_all_extracted_again(database) -> None:
    run_id, _ = crawl_like(database, 6)
    counts = reextract_run(database, run_id, {})
    assert counts.settled == 0 and counts.total == 6
    assert reprocess_documents(database, run_id=run_id).changed == 0
