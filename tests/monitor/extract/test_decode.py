"""Bytes to text for pages whose declared charset may lie."""

import pytest

from monitor.extract.decode import DecodeError, better_encoding, decode_html

GB2312_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    "<title>在全区优化营商环境大会上的讲话</title></head>"
    "<body><p>区委副书记、区长　李建喆</p></body></html>"
)
GBK_BYTES = GB2312_PAGE.encode("gbk")  # 喆 is GBK, not GB2312
UTF8_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>讲话</title></head>'
    "<body><p>区委副书记、区长　李建喆</p></body></html>"
)


def test_gbk_bytes_are_not_strict_gb2312():
    with pytest.raises(UnicodeDecodeError):
        GBK_BYTES.decode("gb2312")


def test_gb2312_declared_gbk_page_decodes_with_gb18030():
    text, encoding = decode_html(GBK_BYTES)
    assert encoding == "gb18030"
    assert "李建喆" in text


def test_gb2312_declared_page_with_gb2312_header_is_widened():
    text, encoding = decode_html(GBK_BYTES, "text/html; charset=gb2312")
    assert encoding == "gb18030"
    assert text == GB2312_PAGE


def test_utf8_page_decodes():
    text, encoding = decode_html(UTF8_PAGE.encode("utf-8"))
    assert encoding == "utf-8"
    assert text == UTF8_PAGE


def test_utf8_page_without_declaration_decodes():
    text, encoding = decode_html("<html><body><p>营商环境</p></body></html>".encode())
    assert encoding == "utf-8"
    assert "营商环境" in text


def test_lying_iso_8859_1_header_on_gbk_page_is_repaired():
    text, encoding = decode_html(GBK_BYTES, "text/html; charset=ISO-8859-1")
    assert encoding == "gb18030"
    assert "李建喆" in text


def test_lying_iso_8859_1_header_on_utf8_page_is_repaired():
    text, encoding = decode_html(UTF8_PAGE.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert encoding == "utf-8"
    assert "李建喆" in text


def test_utf16_page_with_bom_decodes():
    text, encoding = decode_html("<html><body><p>营商环境</p></body></html>".encode("utf-16"))
    assert encoding.startswith("utf-16")
    assert "营商环境" in text


@pytest.mark.parametrize("body", [b"", b"  \r\n\t "])
def test_empty_bytes_raise(body):
    with pytest.raises(DecodeError, match="empty"):
        decode_html(body)


@pytest.mark.parametrize("body", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", b"%PDF-1.4\x00\x00<html>"])
def test_binary_bytes_raise(body):
    with pytest.raises(DecodeError, match="binary"):
        decode_html(body)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj", "PDF"),  # no NUL in the first bytes
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 40, "doc, xls"),
        (b"{\\rtf1\\ansi\\ansicpg936 <b>", "RTF"),
    ],
)
def test_saved_attachments_are_named(body, kind):
    with pytest.raises(DecodeError, match=rf"binary data \(.*{kind}.*\)"):
        decode_html(body)


@pytest.mark.parametrize("body", ['{"title": "讲话", "a": [1, 2]}'.encode(), b"x < y and y > z", b"<<>> 1 0 obj"])
def test_text_with_angle_brackets_but_no_tags_raises(body):
    with pytest.raises(DecodeError, match="no markup"):
        decode_html(body)


def test_bytes_no_encoding_reads_raise():
    garbage = bytes(b for b in range(0x80, 0x100) if b not in (0x85, 0xA0)) * 8  # invalid UTF-8 and GB18030 runs
    with pytest.raises(DecodeError, match="cannot be decoded"):
        decode_html(b'<html><head><meta charset="utf-8"></head><body><p>' + garbage + b"</p></body></html>")


def test_a_few_broken_bytes_are_tolerated():
    page = '<html><head><meta charset="utf-8"></head><body><p>营商环境</p></body></html>'.encode()
    text, encoding = decode_html(page.replace(b"</p>", b"\xff</p>"))
    assert encoding == "utf-8" and "营商环境" in text


def test_text_without_markup_raises():
    with pytest.raises(DecodeError, match="no markup"):
        decode_html("这不是网页，只是一段纯文本。".encode())


def test_decode_error_is_a_value_error():
    assert issubclass(DecodeError, ValueError)


def test_better_encoding_none_when_right():
    assert better_encoding(UTF8_PAGE.encode("utf-8"), "utf-8") is None


def test_better_encoding_replaces_single_byte_header_with_declaration():
    assert better_encoding(GBK_BYTES, "cp1252") == "gb18030"
