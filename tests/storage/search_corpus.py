"""A small corpus for the search tests, written through the product's own write calls.

Documents go in with ``store_documents``; each speech is made the way clustering makes it (documents linked,
then ``refresh_speech``, which indexes it); commitments are added and indexed with ``refresh_commitment_index``,
as the miner does. Clustering itself is not run, so these tests do not depend on the dedup thresholds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from monitor.dedup.canonical import refresh_speech
from monitor.extract.script import matching_text
from storage.documents import DocumentRecord, content_hash_of, store_documents
from storage.models import Commitment, Document, Speech
from storage.search import refresh_commitment_index

HUZHOU = (
    "同志们：\n今天召开全市优化营商环境大会。企业反映的融资难、用地难问题还没有根本解决。\n"
    "要深化“不见面审批”改革，确保2020年9月底前至少完成一宗“标准地”出让。\n"
    "全年新增贷款1.5亿元，设立人才基金。谢谢大家！"
)
SHENZHEN_TRADITIONAL = (
    "各位：\n深圳持續優化營商環境，推進融資服務。\n要在年底前實現企業開辦全程網辦，審批時間壓縮至1個工作日。"
)
HANGZHOU = "同志们：\n今天我们研究数字经济和科技创新。要加快5G基站建设。\n口岸通关时间再压缩一半。"
NOTICE = "关于开展营商环境评价工作的通知：各单位要在十月底前报送材料。"
PUNCTUATION_HEAVY = "要“一网通办”、‘最多跑一次’！(试点) 15亿 AND OR NEAR * - : 融 资"

SPEECHES = {
    # key: (title, [(url, text, kind, truncated)], metadata)
    "huzhou": (
        "在全市优化营商环境大会上的讲话",
        [("http://gov.huzhou/1", HUZHOU, "gov", False),
         ("http://tpl.example/huzhou", HUZHOU[:40], "template", True)],
        {"speaker": "张三", "organization": "湖州市人民政府", "region_code": "330500", "region": "浙江省湖州市",
         "speech_date": "2020-08-15", "doc_type": "speech", "topic": "business"},
    ),
    "shenzhen": (
        "深圳市優化營商環境工作會議講話",
        [("http://tpl.example/shenzhen", SHENZHEN_TRADITIONAL, "template", False)],
        {"speaker": "李四", "organization": "深圳市人民政府", "region_code": "440300", "region": "广东省深圳市",
         "speech_date": "2021-03", "doc_type": "speech", "topic": "business"},
    ),
    "hangzhou": (
        "在数字经济大会上的讲话",
        [("http://gov.hangzhou/1", HANGZHOU, "gov", False)],
        {"speaker": "王五", "organization": "杭州市人民政府", "region_code": "330100", "region": "浙江省杭州市",
         "speech_date": "2019", "doc_type": "speech_report", "topic": "innovation"},
    ),
    "notice": (
        "营商环境评价通知",
        [("http://gov.huzhou/notice", NOTICE, "gov", False)],
        {"region_code": "330500", "region": "浙江省湖州市", "doc_type": "notice", "topic": "business"},
    ),
    "punctuation": (
        "符号测试",
        [("http://tpl.example/punct", PUNCTUATION_HEAVY, "template", False)],
        {"speech_date": "2022-01-01", "doc_type": "other"},
    ),
}  # fmt: skip

COMMITMENTS = {
    # key: [(text, action, status, deadline, strength, topic, cited)]
    "huzhou": [
        ("确保2020年9月底前至少完成一宗“标准地”出让", "完成一宗“标准地”出让", "accepted", "2020-09-30", "strong",
         "land", False),
        ("要深化“不见面审批”改革", "深化“不见面审批”改革", "new", None, "general", "approvals", False),
        ("省政府工作报告提出新增贷款1.5亿元", "新增贷款1.5亿元", "new", None, "general", "finance", True),
    ],
    "shenzhen": [
        ("要在年底前實現企業開辦全程網辦", "實現企業開辦全程網辦", "accepted", "2099-12-31", "general", "approvals",
         False),
        ("審批時間壓縮至1個工作日", "審批時間壓縮至1個工作日", "done", "2021-12-31", "strong", "approvals", False),
    ],
}  # fmt: skip


def record(url: str, text: str, kind: str, truncated: bool, title: str, metadata: dict) -> DocumentRecord:
    return DocumentRecord(
        url=url, final_url=url, source=kind, source_kind=kind, http_status=200,
        content_hash=content_hash_of(text, b""), raw_html=b"", text=text, title=title,
        analysis={"match_text": matching_text(text), "truncated": truncated, **metadata},
    )  # fmt: skip


def populate(db) -> dict[str, int]:
    """Store the corpus; return the speech id of each key."""
    store_documents(
        db,
        [record(url, text, kind, cut, title, meta) for title, copies, meta in SPEECHES.values()
         for url, text, kind, cut in copies],
    )  # fmt: skip
    ids: dict[str, int] = {}
    canonical: dict[str, int | None] = {}
    now = datetime.now(UTC)
    with db.write() as session:
        for key, (_, copies, _) in SPEECHES.items():
            speech = Speech(created_at=now, updated_at=now, copies=0)
            session.add(speech)
            session.flush()
            for url, *_ in copies:
                session.scalar(select(Document).where(Document.url == url)).speech_id = speech.id
            session.flush()
            refresh_speech(session, speech.id)
            ids[key] = speech.id
            canonical[key] = speech.canonical_document_id
    with db.write() as session:
        for key, rows in COMMITMENTS.items():
            for number, (text, action, status, deadline, strength, topic, cited) in enumerate(rows):
                session.add(
                    Commitment(
                        speech_id=ids[key], key=f"{key}-{number}", text=text, action=action, status=status,
                        deadline=deadline, strength=strength, topic=topic, cited=cited, flagged=status == "new",
                        document_id=canonical[key], created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            refresh_commitment_index(session, ids[key])
    return ids
