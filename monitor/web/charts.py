"""Overview charts, drawn on the server as SVG (pygal): no front-end build, and the same SVG fits an HTML digest.

:func:`overview_data` counts (JSON-able, the overview's JSON twin); :func:`overview_svgs` draws them. Overdue is
always red, and every status keeps its colour from chart to chart. Rejected commitments (not real pledges) and
targets quoted from higher bodies are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.database import Database
from storage.models import Commitment, Document, Speech

STATUS_ORDER = ("overdue", "accepted", "new", "done")
STATUS_COLOURS = {"overdue": "#d62728", "accepted": "#1f77b4", "new": "#e8a317", "done": "#7f9f7f"}
KIND_COLOURS = {"gov": "#1f77b4", "template": "#9467bd", "unknown": "#aaaaaa"}
STATUS_LABELS = {"overdue": "overdue", "accepted": "accepted (on time)", "new": "new (to review)", "done": "done"}
TOP_REGIONS = 12
MAX_FILLED_MONTHS = 60  # a month axis is filled without gaps when it spans at most this many months
CHARTS = {
    "commitments_by_month": "Commitments by due month and status",
    "commitments_by_topic": "Commitments by topic and status",
    "commitments_by_region": "Commitments by region and status",
    "speeches_by_month": "Speeches per month by source kind",
}


def _status(status: str, deadline: str | None, today: str) -> str:
    return "overdue" if status == "accepted" and deadline and deadline < today else status


def _months(keys: set[str]) -> list[str]:
    """Sorted months; the gaps filled when the span is short, so time reads left to right at an even pace."""
    if not keys:
        return []
    first, last = min(keys), max(keys)
    y, m = int(first[:4]), int(first[5:7])
    span = (int(last[:4]) - y) * 12 + int(last[5:7]) - m
    if span > MAX_FILLED_MONTHS:
        return sorted(keys)
    out = []
    for _ in range(span + 1):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _by_status(counter: dict[str, Counter], labels: list[str]) -> dict:
    return {
        "labels": labels,
        "series": {status: [counter[label][status] for label in labels] for status in STATUS_ORDER},
    }


def overview_data(db: Database, today: date | None = None) -> dict:
    """The numbers behind the overview charts: ``{chart: {"labels": [...], "series": {name: [counts]}, ...}}``."""
    today_text = (today or datetime.now(UTC).date()).isoformat()
    with db.read() as session:
        commitments = session.execute(
            select(Commitment.status, Commitment.deadline, Commitment.topic, Speech.region)
            .join(Speech, Speech.id == Commitment.speech_id, isouter=True)
            .where(Commitment.cited.is_(False), Commitment.status != "rejected")
        ).all()
        speeches = session.execute(
            select(Speech.speech_date, Document.source_kind).join(
                Document, Document.id == Speech.canonical_document_id, isouter=True
            )
        ).all()
    by_month: dict[str, Counter] = defaultdict(Counter)
    by_topic: dict[str, Counter] = defaultdict(Counter)
    by_region: dict[str, Counter] = defaultdict(Counter)
    undated = 0
    for status, deadline, topic, region in commitments:
        shown = _status(status, deadline, today_text)
        if deadline and len(deadline) >= 7:
            by_month[deadline[:7]][shown] += 1
        else:
            undated += 1
        by_topic[topic or "other"][shown] += 1
        by_region[region or "unknown"][shown] += 1
    topics = sorted(by_topic, key=lambda k: (-sum(by_topic[k].values()), k))
    regions = sorted(by_region, key=lambda k: (-sum(by_region[k].values()), k))
    if len(regions) > TOP_REGIONS:
        rest = Counter()
        for name in regions[TOP_REGIONS - 1 :]:
            rest.update(by_region[name])
        regions = regions[: TOP_REGIONS - 1] + ["other regions"]
        by_region["other regions"] = rest
    speech_months: dict[str, Counter] = defaultdict(Counter)
    speeches_undated = 0
    for speech_date, kind in speeches:
        if speech_date and len(speech_date) >= 7:
            speech_months[speech_date[:7]][kind or "unknown"] += 1
        else:
            speeches_undated += 1
    months = _months(set(speech_months))
    kinds = [k for k in ("gov", "template", "unknown") if any(speech_months[m][k] for m in months)]
    return {
        "today": today_text,
        "commitments_by_month": {**_by_status(by_month, _months(set(by_month))), "without_deadline": undated},
        "commitments_by_topic": _by_status(by_topic, topics),
        "commitments_by_region": _by_status(by_region, regions),
        "speeches_by_month": {
            "labels": months,
            "series": {kind: [speech_months[m][kind] for m in months] for kind in kinds},
            "without_month": speeches_undated,
        },
    }


def _style(colours: list[str]):
    from pygal.style import Style

    return Style(
        colors=tuple(colours),
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#333333",
        foreground_strong="#111111",
        foreground_subtle="#dddddd",
        font_family="'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif",
        title_font_size=16,
        label_font_size=11,
        legend_font_size=12,
        major_label_font_size=11,
    )


def _drop_scripts(root):
    """pygal always embeds its config as an inline ``<script>`` (with the labels in it); the charts need none."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def render_chart(name: str, data: dict) -> str:
    """One chart of :func:`overview_data` as an SVG document (no script, no XML declaration)."""
    import pygal

    horizontal = name in ("commitments_by_topic", "commitments_by_region")
    series = data["series"]
    if name == "speeches_by_month":
        names = list(series)
        colours = [KIND_COLOURS[k] for k in names]
        labels = {k: k for k in names}
    else:
        names = [s for s in STATUS_ORDER if any(series[s])] or list(STATUS_ORDER)
        colours = [STATUS_COLOURS[s] for s in names]
        labels = STATUS_LABELS
    title = CHARTS[name]
    if data.get("without_deadline"):
        title += f" ({data['without_deadline']} without a deadline not shown)"
    if data.get("without_month"):
        title += f" ({data['without_month']} without a month not shown)"
    chart_type = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    count = len(data["labels"])
    chart = chart_type(
        style=_style(colours),
        js=[],
        disable_xml_declaration=True,
        title=title,
        width=900,
        height=max(300, 28 * count + 120) if horizontal else 360,
        legend_at_bottom=True,
        legend_at_bottom_columns=len(names) or 1,
        x_label_rotation=0 if horizontal else -45,
        show_minor_x_labels=count <= 36,
        x_labels_major_every=None if count <= 36 else max(1, count // 18),
        truncate_label=-1,
        print_values=False,
        no_data_text="nothing yet",
        spacing=6,
        margin=12,
    )
    chart.add_xml_filter(_drop_scripts)
    if horizontal:  # the biggest at the top
        chart.x_labels = list(reversed(data["labels"]))
        for key in names:
            chart.add(labels[key], list(reversed(series[key])))
    else:
        chart.x_labels = data["labels"]
        for key in names:
            chart.add(labels[key], series[key])
    return chart.render(is_unicode=True)


def overview_svgs(db: Database, today: date | None = None) -> dict[str, str]:
    """Every overview chart as an SVG string, by name (see :data:`CHARTS`), for the web page or an HTML digest."""
    data = overview_data(db, today)
    return {name: render_chart(name, data[name]) for name in CHARTS}
