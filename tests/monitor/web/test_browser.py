"""The pages in headless Chromium (Debian's ``chromium`` driven by Playwright) against a real uvicorn server on
127.0.0.1: search, open a speech, review with the keyboard, and hostile crawled text that stays text."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from storage.models import Commitment, CommitmentEvent
from tests.monitor.web.conftest import REVIEWER, TOKEN
from tests.monitor.web.corpus import HOSTILE_TITLE
from tests.monitor.web.test_pages import BIDI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install -y chromium)"),
]


@pytest.fixture
def live_server(sqlite_web_db):
    import uvicorn

    from monitor.web import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(sqlite_web_db, token=TOKEN), host="127.0.0.1", port=0,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def in_browser(test) -> None:
    """Run ``test(page)`` in Chromium, in a thread of its own: Playwright's sync API refuses a thread whose asyncio
    loop is running, and pytest-twisted runs one in the main thread."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")

    def run() -> None:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
            try:
                page = browser.new_page()
                page.set_default_timeout(15_000)
                test(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result(timeout=240)


def test_search_open_a_speech_and_review_with_the_keyboard(live_server, sqlite_web_db):
    seen: dict = {}

    def flow(page) -> None:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{live_server}/search")
        page.fill("input[name=q]", "标准地")
        with page.expect_navigation():
            page.press("input[name=q]", "Enter")
        page.click("ol.results h2 a:has-text('最多跑一次')")
        page.wait_for_url("**/speeches/*")
        seen["marks"] = page.locator(".speech-text mark").count()
        seen["copies"] = page.locator("#copies + .scroll tbody tr").count()

        page.goto(f"{live_server}/review")
        page.fill("input[name=token]", TOKEN)
        page.fill("input[name=reviewer]", REVIEWER)
        with page.expect_navigation():
            page.click("form.login button[type=submit]")
        items = page.locator("[data-review-item]")
        first, second, third = (items.nth(i).get_attribute("id") for i in range(3))
        seen["focused"] = page.evaluate("document.activeElement.id")
        with page.expect_navigation():
            page.keyboard.press("a")  # accept the focused (first) one
        seen["after_accept"] = page.locator("[data-review-item]").first.get_attribute("id")
        seen["gone"] = page.locator(f"#{first}").count()
        seen["notice"] = page.locator(".notice").inner_text()
        page.keyboard.press("j")  # to the next one (the old third), then reject it
        seen["moved_to"] = page.evaluate("document.activeElement.id")
        with page.expect_navigation():
            page.keyboard.press("r")
        seen["ids"] = (first, second, third)

        page.goto(f"{live_server}/review?view=accepted")
        page.keyboard.press("d")  # done needs the evidence: the note gets the focus, Enter submits
        seen["note_focused"] = page.evaluate("document.activeElement.matches('[data-note]')")
        page.keyboard.type("http://gov.example/report.html")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        seen["done_notice"] = page.locator(".notice").inner_text()
        seen["outline"] = page.evaluate(
            "getComputedStyle(document.querySelector('[data-review-item]') || document.body).outlineStyle"
        )
        seen["errors"] = errors

    in_browser(flow)
    first, second, third = (int(x[1:]) for x in seen["ids"])
    assert seen["marks"] >= 5 and seen["copies"] == 2
    assert seen["focused"] == f"c{first}" and seen["gone"] == 0 and seen["after_accept"] == f"c{second}"
    assert seen["notice"] == f"commitment {first}: accepted" and seen["moved_to"] == f"c{third}"
    assert seen["note_focused"] and seen["done_notice"] == f"commitment {first}: done"
    assert seen["errors"] == []  # no CSP violation or script error
    with sqlite_web_db.read() as session:
        statuses = {c.id: c.status for c in session.scalars(select(Commitment).where(Commitment.id.in_(
            (first, second, third))))}  # fmt: skip
        events = session.scalars(select(CommitmentEvent).where(CommitmentEvent.reviewer == REVIEWER)
                                 .order_by(CommitmentEvent.id)).all()  # fmt: skip
    assert statuses == {first: "done", second: "new", third: "rejected"}
    assert [(e.commitment_id, e.action) for e in events] == [(first, "accept"), (third, "reject"), (first, "done")]
    assert events[-1].note == "http://gov.example/report.html"


def test_hostile_titles_and_text_show_as_text(live_server):
    seen: dict = {"dialogs": []}

    def flow(page) -> None:
        page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
        page.goto(f"{live_server}/search?q=onerror")
        seen["result_title"] = page.locator("ol.results h2 a").first.inner_text()
        with page.expect_navigation():
            page.click("ol.results h2 a")
        seen["h1"] = page.locator("h1").inner_text()
        seen["text"] = page.locator(".speech-text").inner_text()
        seen["images"] = page.locator("main img").count()
        seen["live_js_links"] = page.locator("a[href^='javascript' i]").count()
        page.goto(f"{live_server}/search?q=另一篇")
        page.click("ol.results h2 a")
        page.wait_for_url("**/speeches/*")
        seen["unlinked"] = page.locator("td.url code").inner_text()
        seen["all_links"] = page.evaluate("[...document.links].map(a => a.protocol)")
        page.wait_for_timeout(300)

    in_browser(flow)
    shown = BIDI.sub("", HOSTILE_TITLE)
    assert seen["dialogs"] == [] and seen["images"] == 0 and seen["live_js_links"] == 0
    assert seen["result_title"] == shown and seen["h1"] == shown
    assert "<script>alert('t')</script><img src=x onerror=alert(2)>" in seen["text"] and not BIDI.search(seen["text"])
    assert seen["unlinked"] == "javascript:alert(document.domain)//x"
    assert set(seen["all_links"]) <= {"http:", "https:"}


def test_the_html_digest_of_hostile_pages_shows_them_as_text(sqlite_web_db):
    """The e-mail digest of the same hostile corpus, opened in Chromium: no script runs, no image loads, no live
    javascript: link, the title reads as text."""
    from monitor.digest import build_digest, render

    html = render(build_digest(sqlite_web_db), "html")
    assert "营商环境" in html
    seen: dict = {"dialogs": []}

    def look(page) -> None:
        page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
        page.set_content(html)
        page.wait_for_timeout(500)
        seen["images"] = page.locator("img").count()
        seen["scripts"] = page.locator("script").count()
        seen["live_js_links"] = page.locator("a[href^='javascript:' i]").count()
        seen["text"] = page.inner_text("body")

    in_browser(look)
    assert seen["dialogs"] == [] and seen["images"] == 0 and seen["scripts"] == 0 and seen["live_js_links"] == 0
    assert '<script>alert("x")</script>' in seen["text"]  # shown, not run
