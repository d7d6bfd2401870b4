"""Bytes to text for pages whose declared charset may lie (gb2312 hiding GBK characters, wrong headers)."""

from __future__ import annotations

import re

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, resolve_encoding

SINGLE_BYTE_WESTERN = {"cp1252", "latin-1", "latin1", "iso8859-1", "ascii"}
#: Files saved instead of a page (an attachment link, a scan): named in the error, whatever their bytes hold.
BINARY_SIGNATURES = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP/Office (docx, xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office 97-2003 (doc, xls)"),
    (b"{\\rtf", "RTF"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%!PS", "PostScript"),
)
MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|meta|title|div|p|table|td|br|span|a|font|section|article)[\s>/]", re.I
)
#: Share of U+FFFD (bytes no candidate encoding could read) above which the page is not readable text.
MAX_REPLACED = 0.01


class DecodeError(ValueError):
    """The bytes are not an HTML page in any encoding we can read."""


def strict_decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def better_encoding(body: bytes, encoding: str) -> str | None:
    """A better encoding than ``encoding`` for ``body``, or None when it is right.

    Wrong means: the body does not decode strictly with it, or it is a single-byte Western charset (the
    ISO-8859-1 default of Tomcat and old servers decodes any bytes) while the page declares another one.
    gb2312/gbk are widened to GB18030, as browsers do.
    """
    declared = html_body_declared_encoding(body)
    declared = resolve_encoding(declared) if declared else None
    lying_header = encoding in SINGLE_BYTE_WESTERN and declared and declared not in SINGLE_BYTE_WESTERN
    if lying_header and strict_decodes(body, declared):
        return declared
    if strict_decodes(body, encoding):
        return None
    for candidate in (declared, "gb18030", "utf-8"):
        resolved = resolve_encoding(candidate) if candidate else None
        if resolved and resolved != encoding and strict_decodes(body, resolved):
            return resolved
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page as a browser would, then repair a lying charset; returns ``(text, encoding)``."""
    if not body.strip():
        raise DecodeError("empty file")
    start = body.lstrip()[:16]
    for signature, kind in BINARY_SIGNATURES:
        if start.startswith(signature):
            raise DecodeError(f"binary data ({kind} file), not an HTML page")
    if b"\x00" in body[:4096] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DecodeError("binary data, not an HTML page")
    encoding, text = html_to_unicode(content_type, body)
    encoding = resolve_encoding(encoding) or encoding
    repaired = better_encoding(body, encoding)
    if repaired:
        encoding, text = repaired, body.decode(repaired)
    if not MARKUP.search(text[:20_000]):
        raise DecodeError("no markup found: not an HTML page")
    replaced = text.count("\ufffd")  # bytes the chosen encoding could not read (w3lib decodes with replacement)
    if replaced > 20 and replaced > MAX_REPLACED * len(text):
        raise DecodeError(
            f"cannot be decoded: {replaced} characters unreadable as {encoding} (GB18030 and UTF-8 tried too)"
        )
    return text, encoding
