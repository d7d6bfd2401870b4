"""Measured commitment extraction on the gold set in ``tests/gold/commitments/`` (one JSON per document).

A prediction matches a gold commitment when their spans overlap by at least half of the shorter one.
Precision counts a hit on a ``borderline`` gold commitment as neither right nor wrong.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from monitor.commitments.extract import extract_commitments

GOLD_DIR = Path(__file__).parents[2] / "tests" / "gold" / "commitments"
HOLDOUT_DIR = Path(__file__).parents[2] / "tests" / "gold" / "commitments_holdout"  # labelled blind, never tuned on
SPLITS = {"main": GOLD_DIR, "holdout": HOLDOUT_DIR}
MIN_OVERLAP = 0.5


@dataclass
class CommitmentReport:
    documents: int = 0
    gold_core: int = 0
    found_core: int = 0
    right: int = 0
    wrong: int = 0
    neutral: int = 0
    deadline_pairs: int = 0
    deadline_exact: int = 0
    quantity_pairs: int = 0
    quantity_right: int = 0
    strength_pairs: int = 0
    strength_right: int = 0
    seconds: float = 0.0
    misses: list[tuple[str, str]] = field(default_factory=list)
    false_hits: list[tuple[str, str]] = field(default_factory=list)
    wrong_deadlines: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)

    @property
    def core_recall(self) -> float:
        return self.found_core / self.gold_core if self.gold_core else 1.0

    @property
    def precision(self) -> float:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0

    @property
    def deadline_accuracy(self) -> float:
        return self.deadline_exact / self.deadline_pairs if self.deadline_pairs else 1.0

    @property
    def quantity_accuracy(self) -> float:
        return self.quantity_right / self.quantity_pairs if self.quantity_pairs else 1.0

    @property
    def strength_accuracy(self) -> float:
        return self.strength_right / self.strength_pairs if self.strength_pairs else 1.0

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "gold_core": self.gold_core,
            "core_recall": round(self.core_recall, 4),
            "precision": round(self.precision, 4),
            "deadline_exact": round(self.deadline_accuracy, 4),
            "quantity_accuracy": round(self.quantity_accuracy, 4),
            "strength_accuracy": round(self.strength_accuracy, 4),
            "predictions": {"right": self.right, "wrong": self.wrong, "borderline_hits": self.neutral},
            "seconds": round(self.seconds, 2),
        }


def load_gold(directory: Path = GOLD_DIR) -> list[dict]:
    """Every gold document of one split (``GOLD_DIR`` or ``HOLDOUT_DIR``), sorted by file name."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return inter / shorter if inter > 0 and shorter > 0 else 0.0


def _quantity_values(quantities: list[dict]) -> set[tuple]:
    """Comparable quantities: (value, qualifier), or (low, high, "range") for ranges."""
    out = set()
    for q in quantities or []:
        if q.get("qualifier") == "range":
            out.add((q.get("low"), q.get("high"), "range"))
        else:
            value = q.get("value")
            out.add((float(value) if value is not None else None, q.get("qualifier")))
    return out


def evaluate_commitments(documents: list[dict]) -> CommitmentReport:
    report = CommitmentReport()
    started = time.perf_counter()
    for doc in documents:
        report.documents += 1
        if doc.get("doc_type") == "notice":  # notices are never mined (MINED_TYPES); their dates are not pledges
            continue
        text = doc["text"]
        gold = []
        for item in doc.get("commitments", []):
            start = text.find(item["text"])
            gold.append((item, (start, start + len(item["text"]))))
        predicted = [p for p in extract_commitments(text, doc.get("speech_date")) if not p.cited]
        used: set[int] = set()
        matched_gold: set[int] = set()
        for prediction in predicted:
            span = (prediction.start, prediction.end)
            best, best_overlap = None, 0.0
            for index, (_item, gold_span) in enumerate(gold):
                if index in matched_gold:
                    continue
                overlap = _overlap(span, gold_span)
                if overlap > best_overlap:
                    best, best_overlap = index, overlap
            if best is None or best_overlap < MIN_OVERLAP:
                report.wrong += 1
                report.false_hits.append((doc["id"], prediction.text))
                continue
            item = gold[best][0]
            matched_gold.add(best)
            used.add(best)
            if item.get("cited"):
                report.wrong += 1
                report.false_hits.append((doc["id"], prediction.text))
                continue
            if item.get("tier") == "borderline":
                report.neutral += 1
            else:
                report.right += 1
            if item.get("deadline"):
                report.deadline_pairs += 1
                if prediction.deadline == item["deadline"]:
                    report.deadline_exact += 1
                else:
                    report.wrong_deadlines.append((doc["id"], item["text"], item["deadline"], prediction.deadline))
            if item.get("quantities"):
                report.quantity_pairs += 1
                report.quantity_right += _quantity_values(item["quantities"]) == _quantity_values(prediction.quantities)
            if item.get("strength"):
                report.strength_pairs += 1
                report.strength_right += prediction.strength == item["strength"]
        for index, (item, _) in enumerate(gold):
            if item.get("tier") == "core" and not item.get("cited"):
                report.gold_core += 1
                if index in matched_gold:
                    report.found_core += 1
                else:
                    report.misses.append((doc["id"], item["text"]))
    report.seconds = time.perf_counter() - started
    return report
