"""Bytes to text for pages whose declared charset may lie (gb2312 hiding GBK characters, wrong headers)."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, resolve_encoding

SINGLE_BYTE_WESTERN = {"cp1252", "latin-1", "latin1", "iso8859-1", "ascii"}


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
    if b"\x00" in body[:4096] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DecodeError("binary data, not an HTML page")
    encoding, text = html_to_unicode(content_type, body)
    encoding = resolve_encoding(encoding) or encoding
    repaired = better_encoding(body, encoding)
    if repaired:
        encoding, text = repaired, body.decode(repaired)
    if "<" not in text[:20_000]:
        raise DecodeError("no markup found: not an HTML page")
    return text, encoding
