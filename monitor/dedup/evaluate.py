"""Measured dedup quality: pairwise precision / recall and the false-merge rate on a labelled set.

The set: the sample web's article pages (labelled with their speech), the altered copies in
``tests/gold/dedup/pages.jsonl`` and, as hard negatives, every speech of the extraction gold sets (same genre,
different speeches). Everything goes through the real path: a throwaway SQLite store, ``store_documents``,
``cluster_documents``.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from monitor.extract.script import matching_text
from storage.database import Database
from storage.documents import DocumentRecord, content_hash_of, store_documents

DEDUP_DIR = Path(__file__).parents[2] / "tests" / "gold" / "dedup"


@dataclass
class LabelledCopy:
    id: str
    label: str
    text: str
    source_kind: str = "template"
    truncated: bool = False


@dataclass
class DedupReport:
    documents: int
    pairs: int
    true_pairs: int
    precision: float
    recall: float
    false_merge_rate: float  # share of predicted speeches that mix different labels
    false_merges: list[tuple[str, str]]
    missed: list[tuple[str, str]]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "pairs": self.pairs,
            "true_pairs": self.true_pairs,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "false_merge_rate": round(self.false_merge_rate, 4),
            "false_merges": self.false_merges[:20],
            "missed": self.missed[:20],
            "seconds": round(self.seconds, 2),
        }


def labelled_set(directory: Path = DEDUP_DIR) -> list[LabelledCopy]:
    from monitor.evaluation import GOLD_DIR, directory_gold, sample_web_gold
    from monitor.extract.core import extract
    from monitor.extract.decode import decode_html

    copies = []
    for page in sample_web_gold():
        html, _ = decode_html(page.body, page.content_type)
        speeches = page.expected["speeches"]
        label = speeches[0] if len(speeches) == 1 else "+".join(speeches)
        kind = "gov" if page.host.endswith(".gov.cn") else "template"
        copies.append(LabelledCopy(page.name, label, extract(html, page.url).text, kind, page.expected["truncated"]))
    for line in (directory / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        copies.append(LabelledCopy(row["id"], row["label"], row["text"], row["source_kind"], row["truncated"]))
    for folder in (GOLD_DIR, GOLD_DIR.with_name(GOLD_DIR.name + "_holdout")):
        if folder.exists():
            for page in directory_gold(folder):
                copies.append(LabelledCopy(f"gold:{page.name}", f"gold:{page.name}", page.expected["text"], "gov"))
    return copies


def evaluate_dedup(copies: list[LabelledCopy]) -> DedupReport:
    from sqlalchemy import select

    from monitor.dedup.cluster import cluster_documents
    from monitor.extract.clean import rejoin_hard_breaks
    from storage.models import Document

    started = time.perf_counter()
    for copy in copies:  # stored bodies always come out of extraction, which rejoins hard-wrapped lines
        copy.text = "\n".join(rejoin_hard_breaks(copy.text.splitlines()))
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/dedup.db")
        records = [
            DocumentRecord(
                url=f"http://eval.invalid/{index}", final_url=f"http://eval.invalid/{index}", source="eval",
                source_kind=copy.source_kind, http_status=200, content_hash=content_hash_of(copy.text, b""),
                raw_html=b"", text=copy.text,
                analysis={"match_text": matching_text(copy.text), "truncated": copy.truncated, "doc_type": "speech"},
            )
            for index, copy in enumerate(copies)
        ]  # fmt: skip
        store_documents(db, records)
        cluster_documents(db)
        with db.read() as session:
            speech_of = dict(session.execute(select(Document.url, Document.speech_id)).all())
        db.close()
    predicted = [speech_of[f"http://eval.invalid/{index}"] for index in range(len(copies))]
    tp = fp = fn = 0
    false_merges, missed = [], []
    for i, j in combinations(range(len(copies)), 2):
        same_true = copies[i].label == copies[j].label
        same_pred = predicted[i] == predicted[j]
        if same_pred and same_true:
            tp += 1
        elif same_pred:
            fp += 1
            false_merges.append((copies[i].id, copies[j].id))
        elif same_true:
            fn += 1
            missed.append((copies[i].id, copies[j].id))
    clusters: dict[int, set[str]] = {}
    for copy, speech in zip(copies, predicted, strict=True):
        clusters.setdefault(speech, set()).add(copy.label)
    mixed = sum(1 for labels in clusters.values() if len(labels) > 1)
    return DedupReport(
        documents=len(copies),
        pairs=len(copies) * (len(copies) - 1) // 2,
        true_pairs=tp + fn,
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        false_merge_rate=mixed / len(clusters) if clusters else 0.0,
        false_merges=false_merges,
        missed=missed,
        seconds=time.perf_counter() - started,
    )
