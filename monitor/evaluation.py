"""Measured extraction quality on the gold set: body F1, chrome left, per-field accuracy, against a baseline.

The gold set is the sample web's article pages (expected fields from their ground truth) plus the pages in
``tests/gold/extraction/`` (``<name>.html`` + ``<name>.json``), which are written in other real layouts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

from monitor.extract.decode import decode_html
from monitor.extract.script import to_simplified

GOLD_DIR = Path(__file__).parents[1] / "tests" / "gold" / "extraction"
HOLDOUT_DIR = GOLD_DIR.with_name("extraction_holdout")  # written blind to the extractor; first scores in README
FIELDS = ("title", "speaker", "speech_date", "doc_type", "topic")
EXTRA_FIELDS = ("page_title", "speaker_post", "published_at", "truncated", "script", "region_code", "occasion")
STORABLE_KINDS = {"speech", "speech_report", "notice", "repost", "multi"}


@dataclass
class GoldPage:
    name: str
    url: str
    body: bytes
    content_type: str | None
    expected: dict
    layout: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass
class PageScore:
    name: str
    f1: float
    precision: float
    recall: float
    extra_lines: list[str]
    fields: dict[str, bool] = field(default_factory=dict)


@dataclass
class Report:
    system: str
    pages: list[PageScore]
    seconds: float

    @property
    def f1(self) -> float:
        return sum(p.f1 for p in self.pages) / len(self.pages) if self.pages else 0.0

    @property
    def chrome_left_share(self) -> float:
        return sum(1 for p in self.pages if p.extra_lines) / len(self.pages) if self.pages else 0.0

    def accuracy(self, name: str) -> float | None:
        scored = [p.fields[name] for p in self.pages if name in p.fields]
        return sum(scored) / len(scored) if scored else None

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "pages": len(self.pages),
            "body_f1": round(self.f1, 4),
            "chrome_left_share": round(self.chrome_left_share, 4),
            "accuracy": {n: _round(self.accuracy(n)) for n in (*FIELDS, *EXTRA_FIELDS)},
            "ms_per_page": round(1000 * self.seconds / max(1, len(self.pages)), 1),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def sample_web_gold() -> list[GoldPage]:
    from monitor.sampleweb.site import default_sites

    pages = []
    for host, site in sorted(default_sites().items()):
        for path, page in sorted(site.pages.items()):
            truth = page.truth or {}
            if truth.get("kind") not in STORABLE_KINDS:
                continue
            expected = dict(truth)
            expected["doc_type"] = truth["doc_type"]
            expected["topic"] = "bizenv" if truth["topic"] == "bizenv" else "other"
            expected["script"] = "traditional" if truth["traditional"] else "simplified"
            if truth["kind"] in ("repost", "multi"):
                expected["title"] = truth["title"]
            pages.append(
                GoldPage(f"sampleweb:{host}{path}", f"http://{host}{path}", page.body, page.content_type, expected)
            )
    return pages


def directory_gold(directory: Path = GOLD_DIR) -> list[GoldPage]:
    pages = []
    for spec_path in sorted(directory.glob("*.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        html_path = spec_path.with_suffix(".html")
        pages.append(
            GoldPage(
                name=spec_path.stem,
                url=spec["url"],
                body=html_path.read_bytes(),
                content_type=spec.get("content_type"),
                expected=spec["expected"],
                layout=spec.get("layout", ""),
            )
        )
    return pages


def gold_set(directory: Path = GOLD_DIR) -> list[GoldPage]:
    """The sample web's pages, the gold directory and the held-out directory next to it."""
    pages = sample_web_gold()
    for folder in (directory, directory.with_name(directory.name + "_holdout")):
        if folder.exists():
            pages += directory_gold(folder)
    return pages


def text_scores(predicted: str, expected: str) -> tuple[float, float, float]:
    """Character-level precision, recall and F1 (longest matching blocks, whitespace ignored)."""
    a, b = "".join(predicted.split()), "".join(expected.split())
    if not a and not b:
        return 1.0, 1.0, 1.0
    if not a or not b:
        return 0.0, 0.0, 0.0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    precision, recall = matched / len(a), matched / len(b)
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return precision, recall, f1


def extra_lines(predicted: str, expected: str) -> list[str]:
    """Predicted lines that are not part of the expected body: chrome, promotion or paywall left in."""
    body = "".join(expected.split())
    return [line for line in predicted.splitlines() if line.strip() and "".join(line.split()) not in body]


def field_matches(name: str, predicted, expected) -> bool:
    if not predicted and not expected and predicted is not False and expected is not False:
        return True  # None and "" both mean "not known"
    if name == "speaker_post" and isinstance(expected, str) and isinstance(predicted, str):
        # a byline may prefix the post with the place (银川市委书记 for 市委书记): both are faithful
        return to_simplified(predicted).endswith(to_simplified(expected))
    if isinstance(expected, str) and isinstance(predicted, str):
        return to_simplified("".join(predicted.split())) == to_simplified("".join(expected.split()))
    return predicted == expected


def score_page(page: GoldPage, predicted: dict) -> PageScore:
    expected_text = page.expected.get("text", "")
    precision, recall, f1 = text_scores(predicted.get("text") or "", expected_text)
    fields = {}
    for name in (*FIELDS, *EXTRA_FIELDS):
        if name in page.expected and name in predicted:
            fields[name] = field_matches(name, predicted[name], page.expected[name])
    return PageScore(page.name, f1, precision, recall, extra_lines(predicted.get("text") or "", expected_text), fields)


def speechwatch_system(page: GoldPage) -> dict:
    from monitor.extract.core import extract

    html, _ = decode_html(page.body, page.content_type)
    return extract(html, page.url).to_dict()


def trafilatura_system(page: GoldPage) -> dict:
    """Bare trafilatura: its text, title and date; it has no speaker, type or topic."""
    import trafilatura

    html, _ = decode_html(page.body, page.content_type)
    extracted = trafilatura.bare_extraction(html, url=page.url, with_metadata=True)
    document = extracted.as_dict() if extracted is not None else {}
    return {
        "text": document.get("text") or "",
        "title": document.get("title"),
        "page_title": document.get("title"),
        "published_at": document.get("date"),
    }


def evaluate(pages: list[GoldPage], system: Callable[[GoldPage], dict], name: str) -> Report:
    started = time.perf_counter()
    scores = [score_page(page, system(page)) for page in pages]
    return Report(name, scores, time.perf_counter() - started)
