"""A digest as Markdown (terminals, the text part of the email), HTML (email) and JSON (webhooks, programs).

Everything in a digest comes from crawled pages, so every string is escaped for its format: HTML through
``html.escape`` and only ``http(s)`` links, Markdown with its active characters backslashed.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, urlsplit

from monitor.digest.build import Digest

MD_SPECIAL = re.compile(r"([\\`*\[\]<>])")
SECTIONS = (
    ("speeches", "New speeches"),
    ("new_commitments", "Commitments to review"),
    ("changed_commitments", "Commitments changed or restated"),
    ("due_soon", "Accepted commitments due within 14 days"),
    ("overdue", "Overdue commitments"),
    ("fulfilment", "Fulfilment evidence: suggest done"),
    ("reposts", "New reposts of known speeches"),
    ("source_health", "Source health"),
)


def render(digest: Digest, output_format: str) -> str:
    return RENDERERS[output_format](digest)


def subject(digest: Digest, prefix: str = "speechwatch digest") -> str:
    counts = digest.counts
    parts = [
        f"{counts['speeches']} new speech{'es' if counts['speeches'] > 1 else ''}" if counts["speeches"] else "",
        f"{counts['new_commitments']} commitments to review" if counts["new_commitments"] else "",
        f"{counts['overdue']} overdue" if counts["overdue"] else "",
        f"{counts['source_health']} source problems" if counts["source_health"] else "",
    ]
    summary = ", ".join(p for p in parts if p) or "nothing new"
    return f"{prefix} {digest.until[:10]}: {summary}"


def summary_line(digest: Digest) -> str:
    counts = digest.counts
    labels = dict(SECTIONS)
    shown = [f"{labels[k].lower()}: {v}" for k, v in counts.items() if v]
    return "; ".join(shown) if shown else "nothing new"


def _copies(count: int) -> str:
    return "1 copy" if count == 1 else f"{count} copies"


def _window(digest: Digest) -> str:
    since = f"Since {digest.since[:16].replace('T', ' ')} UTC" if digest.since else "Since the beginning"
    return f"{since}, until {digest.until[:16].replace('T', ' ')} UTC"


# -- Markdown ----------------------------------------------------------------------------------------------


def md(text: object) -> str:
    """Crawled text made inert in Markdown (no links, emphasis, headings or HTML of its own)."""
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split())) if text is not None else ""


def md_link(label: object, url: str | None) -> str:
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return md(label)
    return f"[{md(label)}]({quote(url, safe=':/?#@!$&*+,;=%~-._')})"


def _md_commitment(record: dict, extra: str = "") -> str:
    deadline = record.get("deadline") or record.get("deadline_precision") or "no deadline"
    source = md_link(record.get("speech_title") or f"speech {record['speech_id']}", record.get("url"))
    return f"- **{md(deadline)}** · {md(record['text'])}{extra} — {source} (#{record['id']})"


def render_markdown(digest: Digest) -> str:
    title = f"# speechwatch digest {digest.until[:10]}" + (f" (#{digest.digest_id})" if digest.digest_id else "")
    lines = [title, "", f"{_window(digest)} · {summary_line(digest)}"]
    if digest.is_empty:
        lines += ["", "Nothing new since the last digest."]
        return "\n".join(lines) + "\n"
    if digest.speeches:
        lines += ["", f"## New speeches ({len(digest.speeches)})", ""]
        for s in digest.speeches:
            who = md(s["speaker"] or "unknown speaker") + (
                f" ({md(s['speaker_post'])})" if s.get("speaker_post") else ""
            )
            facts = " · ".join(md(x) for x in (s["speech_date"], s["region"], s["doc_type"]) if x)
            copies = _copies(s["copies"])
            lines.append(f"- {md_link(s['title'] or 'untitled', s['url'])} — {who}" + (f" · {facts}" if facts else "")
                         + f" · {copies}")  # fmt: skip
    if digest.new_commitments:
        total = digest.counts["new_commitments"]
        lines += ["", f"## Commitments to review ({total})"]
        for group in digest.new_commitments:
            lines += ["", f"### {md(group['topic'])} ({len(group['commitments'])})", ""]
            lines += [_md_commitment(r) for r in group["commitments"]]
    if digest.changed_commitments:
        lines += ["", f"## Commitments changed or restated ({len(digest.changed_commitments)})", ""]
        for r in digest.changed_commitments:
            earlier = r.get("earlier") or {}
            was = (
                f" (was: {md(earlier.get('deadline') or 'no deadline')} · {md(earlier.get('text'))}, "
                f"#{earlier.get('id')})"
            )
            lines.append(_md_commitment(r, f" — **{md(r['relation'])}**{was if earlier else ''}"))
    if digest.due_soon:
        lines += ["", f"## Accepted commitments due within 14 days ({len(digest.due_soon)})", ""]
        lines += [_md_commitment(r, f" — in {r['days_left']} days") for r in digest.due_soon]
    if digest.overdue:
        lines += ["", f"## Overdue commitments ({len(digest.overdue)})", ""]
        lines += [_md_commitment(r, f" — {-r['days_left']} days overdue") for r in digest.overdue]
    if digest.fulfilment:
        lines += ["", f"## Fulfilment evidence: suggest done ({len(digest.fulfilment)})", ""]
        for f in digest.fulfilment:
            evidence = md_link(f"“{f['sentence']}”", f["url"])
            lines.append(_md_commitment(f["commitment"], f" — reported: {evidence}"))
    if digest.reposts["count"]:
        lines += ["", f"## New reposts of known speeches: {digest.reposts['count']}", ""]
        for r in digest.reposts["speeches"]:
            lines.append(
                f"- {md(r['title'] or 'speech ' + str(r['speech_id']))} (#{r['speech_id']}): +{r['new_copies']}"
            )
    if digest.source_health:
        lines += ["", f"## Source health ({len(digest.source_health)})", ""]
        lines += [f"- **{md(h['source'])}** {md(h['problem'])}: {md(h['reason'])}" for h in digest.source_health]
    return "\n".join(lines) + "\n"


# -- HTML ----------------------------------------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text), quote=True) if text is not None else ""


def link(label: object, url: str | None) -> str:
    """An anchor for http(s) URLs only: a crawled ``javascript:`` URL becomes plain text."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return esc(label)
    return f'<a href="{esc(url)}">{esc(label)}</a>'


def _html_commitment(record: dict, extra: str = "") -> str:
    deadline = record.get("deadline") or record.get("deadline_precision") or "no deadline"
    source = link(record.get("speech_title") or f"speech {record['speech_id']}", record.get("url"))
    return f"<li><b>{esc(deadline)}</b> · {esc(record['text'])}{extra} — {source} (#{esc(record['id'])})</li>"


def render_html(digest: Digest) -> str:
    title = f"speechwatch digest {digest.until[:10]}" + (f" (#{digest.digest_id})" if digest.digest_id else "")
    body = [f"<h1>{esc(title)}</h1>", f"<p>{esc(_window(digest))} · {esc(summary_line(digest))}</p>"]
    if digest.is_empty:
        body.append("<p>Nothing new since the last digest.</p>")
    if digest.speeches:
        body.append(f"<h2>New speeches ({len(digest.speeches)})</h2><ul>")
        for s in digest.speeches:
            who = esc(s["speaker"] or "unknown speaker") + (
                f" ({esc(s['speaker_post'])})" if s.get("speaker_post") else ""
            )
            facts = " · ".join(esc(x) for x in (s["speech_date"], s["region"], s["doc_type"]) if x)
            body.append(f"<li>{link(s['title'] or 'untitled', s['url'])} — {who}" + (f" · {facts}" if facts else "")
                        + f" · {_copies(s['copies'])}</li>")  # fmt: skip
        body.append("</ul>")
    if digest.new_commitments:
        body.append(f"<h2>Commitments to review ({digest.counts['new_commitments']})</h2>")
        for group in digest.new_commitments:
            body.append(f"<h3>{esc(group['topic'])} ({len(group['commitments'])})</h3><ul>")
            body += [_html_commitment(r) for r in group["commitments"]]
            body.append("</ul>")
    if digest.changed_commitments:
        body.append(f"<h2>Commitments changed or restated ({len(digest.changed_commitments)})</h2><ul>")
        for r in digest.changed_commitments:
            earlier = r.get("earlier") or {}
            was = (f" (was: {esc(earlier.get('deadline') or 'no deadline')} · {esc(earlier.get('text'))}, "
                   f"#{esc(earlier.get('id'))})") if earlier else ""  # fmt: skip
            body.append(_html_commitment(r, f" — <b>{esc(r['relation'])}</b>{was}"))
        body.append("</ul>")
    if digest.due_soon:
        body.append(f"<h2>Accepted commitments due within 14 days ({len(digest.due_soon)})</h2><ul>")
        body += [_html_commitment(r, f" — in {esc(r['days_left'])} days") for r in digest.due_soon]
        body.append("</ul>")
    if digest.overdue:
        body.append(f"<h2>Overdue commitments ({len(digest.overdue)})</h2><ul>")
        body += [_html_commitment(r, f" — {esc(-r['days_left'])} days overdue") for r in digest.overdue]
        body.append("</ul>")
    if digest.fulfilment:
        body.append(f"<h2>Fulfilment evidence: suggest done ({len(digest.fulfilment)})</h2><ul>")
        for f in digest.fulfilment:
            body.append(
                _html_commitment(f["commitment"], f" — reported: {link('“' + str(f['sentence']) + '”', f['url'])}")
            )
        body.append("</ul>")
    if digest.reposts["count"]:
        body.append(f"<h2>New reposts of known speeches: {esc(digest.reposts['count'])}</h2><ul>")
        for r in digest.reposts["speeches"]:
            body.append(f"<li>{esc(r['title'] or 'speech ' + str(r['speech_id']))} (#{esc(r['speech_id'])}): "
                        f"+{esc(r['new_copies'])}</li>")  # fmt: skip
        body.append("</ul>")
    if digest.source_health:
        body.append(f"<h2>Source health ({len(digest.source_health)})</h2><ul>")
        body += [
            f"<li><b>{esc(h['source'])}</b> {esc(h['problem'])}: {esc(h['reason'])}</li>" for h in digest.source_health
        ]
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{esc(title)}</title></head>\n<body style="font-family:sans-serif;max-width:60em">\n'
        + "\n".join(body)
        + "\n</body></html>\n"
    )


# -- JSON ----------------------------------------------------------------------------------------------------


def render_json(digest: Digest) -> str:
    return json.dumps(digest.as_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"md": render_markdown, "html": render_html, "json": render_json}
