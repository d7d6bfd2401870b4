"""The extraction quality gate: pinned floors on the gold set (tests/gold/extraction + the sample web)."""

from __future__ import annotations

import pytest

from monitor.evaluation import FIELDS, evaluate, gold_set, speechwatch_system, text_scores, trafilatura_system

FLOOR_F1 = 0.98
FLOOR_FIELD = 0.95
MAX_CHROME_LEFT = 0.05


@pytest.fixture(scope="module")
def gold():
    pages = gold_set()
    assert len(pages) >= 40, "the gold set must hold at least 40 pages"
    return pages


@pytest.fixture(scope="module")
def report(gold):
    return evaluate(gold, speechwatch_system, "speechwatch")


def test_body_f1_floor(report):
    assert report.f1 >= FLOOR_F1, [(p.name, round(p.f1, 3)) for p in report.pages if p.f1 < FLOOR_F1]


def test_no_chrome_promotion_or_paywall_left(report):
    assert report.chrome_left_share <= MAX_CHROME_LEFT, [
        (p.name, p.extra_lines[:2]) for p in report.pages if p.extra_lines
    ]


@pytest.mark.parametrize("field", FIELDS)
def test_field_accuracy_floor(report, field):
    accuracy = report.accuracy(field)
    wrong = [p.name for p in report.pages if p.fields.get(field) is False]
    assert accuracy is not None and accuracy >= FLOOR_FIELD, wrong


def test_region_code_accuracy_floor(report):
    """Region codes from posts, SiteIDCode, site names and the body (one gold page names no place of its own)."""
    accuracy = report.accuracy("region_code")
    wrong = [p.name for p in report.pages if p.fields.get("region_code") is False]
    assert accuracy is not None and accuracy >= FLOOR_FIELD, wrong


def test_we_add_value_over_bare_trafilatura(gold, report):
    baseline = evaluate(gold, trafilatura_system, "trafilatura")
    assert report.f1 > baseline.f1
    assert report.chrome_left_share < baseline.chrome_left_share
    assert report.accuracy("title") > baseline.accuracy("title")


def test_text_scores():
    assert text_scores("同志们：\n今天", "同志们：今天") == (1.0, 1.0, 1.0)
    precision, recall, f1 = text_scores("同志们：今天开会。扫一扫", "同志们：今天开会。")
    assert recall == 1.0 and precision < 1.0 and 0 < f1 < 1
    assert text_scores("", "正文")[2] == 0.0
