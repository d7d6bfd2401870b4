"""The dedup quality gate: pinned floors on the labelled set (sample web + altered copies + gold negatives)."""

from __future__ import annotations

import pytest

from monitor.dedup.evaluate import evaluate_dedup, labelled_set

FLOOR_PRECISION = 0.99
FLOOR_RECALL = 0.95


@pytest.fixture(scope="module")
def report():
    copies = labelled_set()
    assert len(copies) >= 26 + 60
    return evaluate_dedup(copies)


def test_precision_floor(report):
    assert report.precision >= FLOOR_PRECISION, report.false_merges[:10]


def test_recall_floor(report):
    assert report.recall >= FLOOR_RECALL, report.missed[:10]


def test_no_speech_mixes_different_speeches(report):
    assert report.false_merge_rate == 0.0
