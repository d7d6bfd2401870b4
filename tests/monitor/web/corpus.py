"""Web-test data, written through the product's own write path: the sample web's speeches stored as documents
(``store_documents``), then the post-run (cluster into speeches, mine commitments), plus one hostile page."""

from __future__ import annotations

from monitor.extract.script import matching_text
from monitor.postrun import process_new_documents
from monitor.sampleweb.speeches import load_speeches
from storage.documents import DocumentRecord, content_hash_of, store_documents

HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)>营商环境\u202e讲话'
HOSTILE_TEXT = (
    "同志们：\n<script>alert('t')</script><img src=x onerror=alert(2)> 今天召开优化营商环境推进会。\n"
    "要加快“标准地”改革，确保2031年9月底前至少完成一宗“标准地”出让。\u202egnp.exe\n谢谢大家！"
)
HOSTILE_URL = "http://evil.example/speech.html?q=<b>&x=\"'"


def _record(url: str, kind: str, title: str, text: str, fields: dict) -> DocumentRecord:
    return DocumentRecord(
        url=url, final_url=url, source=f"{kind}-sample", source_kind=kind, http_status=200,
        content_hash=content_hash_of(text, b""), raw_html=b"<html></html>", text=text, title=title,
        page_title=title, published_at=fields.get("publish_date"),
        analysis={"match_text": matching_text(text), "truncated": False, **{k: v for k, v in fields.items()
                                                                             if k != "publish_date"}},
    )  # fmt: skip


def populate(db, speeches: int = 6) -> dict:
    """Store ``speeches`` sample speeches (each a gov page and a template repost) and the hostile page."""
    records = []
    chosen = list(load_speeches().values())[:speeches]
    for n, s in enumerate(chosen):
        text = "\n".join([*s.header_lines, *s.paragraphs])
        fields = {"speaker": s.speaker, "speaker_post": s.speaker_post, "organization": s.organization,
                  "region_code": s.region_code, "region": s.region, "occasion": s.occasion,
                  "speech_date": s.speech_date, "doc_type": s.doc_type, "topic": s.topic,
                  "publish_date": s.publish_date}  # fmt: skip
        records.append(_record(f"http://www.gov{n}.example/art/{s.id}.html", "gov", s.title, text, fields))
        records.append(_record(f"http://wenku.example/{s.id}.html", "template", f"20211025:{s.title}", text, fields))
    hostile = {"speaker": "<b>张三</b>", "region_code": "330500", "region": "浙江省湖州市", "speech_date": "2030-05",
               "doc_type": "speech", "topic": "bizenv"}  # fmt: skip
    records.append(_record(HOSTILE_URL, "template", HOSTILE_TITLE, HOSTILE_TEXT, hostile))
    records.append(_record("javascript:alert(document.domain)//x", "template", "另一篇", HOSTILE_TEXT[:60], hostile))
    store_documents(db, records)
    found = process_new_documents(db)
    return {
        "speeches": found.clustered.new_speeches,
        "commitments": found.mined.new,
        "titles": [s.title for s in chosen],
    }
