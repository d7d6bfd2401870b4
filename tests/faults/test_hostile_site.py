"""The hostile sample site as served: kept out of the bundled web, streamed bodies, pages made per request."""

from __future__ import annotations

import http.client
import re

from monitor.extract.core import extract
from monitor.sampleweb.hostile import DIRECTORY, HOST, MB
from monitor.sampleweb.site import SITES_DIR


def get(web, path: str, read: int | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = web.address
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", f"http://{HOST}{path}")
        response = connection.getresponse()
        body = response.read(read) if read else response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def test_the_bundled_web_does_not_include_the_hostile_site():
    """``build_sites`` reads ``*/site.toml``: the hostile site has ``hostile.toml``, so the demo's figures stay."""
    assert (DIRECTORY / "hostile.toml").exists() and not (DIRECTORY / "site.toml").exists()
    assert HOST not in {path.parent.name for path in SITES_DIR.glob("*/site.toml")}


def test_a_50_mb_page_is_streamed_and_stops_when_the_client_hangs_up(hostile, hostile_web):
    path = hostile.case("huge_chunked")["path"]
    status, headers, body = get(hostile_web, path, read=MB)
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked" and len(body) == MB
    assert get(hostile_web, hostile.case("ok")["path"])[0] == 200  # the server goes on serving
    assert hostile.streamed[path] < 50 * MB  # the rest was never made
    declared = get(hostile_web, hostile.case("huge_declared")["path"], read=1024)[1]
    assert int(declared["Content-Length"]) == 50 * MB


def test_the_gzip_bomb_is_small_on_the_wire(hostile_web, hostile):
    status, headers, body = get(hostile_web, hostile.case("gzip_bomb")["path"])
    assert headers["Content-Encoding"] == "gzip" and len(body) < 200_000


def test_the_calendar_never_ends(hostile_web):
    day = "2024-03-01"
    for _ in range(30):
        status, _, body = get(hostile_web, f"/hdjl/hdrl/index.html?date={day}")
        assert status == 200
        day = re.findall(rb"date=([\d-]+)\">\xe5\x90\x8e\xe4\xb8\x80\xe5\xa4\xa9", body)[0].decode()  # 后一天
    assert day == "2024-03-31"


def test_the_redirect_chain_never_ends_and_the_loop_comes_back(hostile_web, hostile):
    path = hostile.case("redirect_chain")["path"]
    assert get(hostile_web, f"{path}?hop=40")[1]["Location"] == f"{path}?hop=41"
    loop = hostile.case("redirect_loop")["path"]
    check = get(hostile_web, loop)[1]["Location"]
    assert get(hostile_web, check)[1]["Location"] == loop


def test_changing_chrome_changes_the_page_but_not_its_text(hostile_web, hostile):
    path = hostile.case("changing_chrome")["path"]
    first, second = get(hostile_web, path)[2], get(hostile_web, path)[2]
    assert first != second
    url = hostile.url("changing_chrome")
    assert extract(first.decode(), url).text == extract(second.decode(), url).text


def test_changing_text_changes_the_text(hostile_web, hostile):
    path, url = hostile.case("changing_text")["path"], hostile.url("changing_text")
    first, second = get(hostile_web, path)[2], get(hostile_web, path)[2]
    assert extract(first.decode(), url).text != extract(second.decode(), url).text
