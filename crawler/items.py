"""What the spider hands to the pipelines: one fetched article page."""

from dataclasses import dataclass, field


@dataclass
class PageItem:
    """An article page as fetched; the pipelines extract, fingerprint and store it."""

    listed_url: str  # the URL as linked from the list (before redirects)
    final_url: str  # where the redirects ended; the document key after canonicalisation
    source: str
    source_kind: str
    http_status: int
    body: bytes = field(repr=False)  # raw bytes as served (kept out of log lines)
    encoding: str  # the encoding used to decode ``body``
    etag: str | None = None
    last_modified: str | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    page_title: str | None = None
    published_at: str | None = None
    text: str = ""
    analysis: dict = field(default_factory=dict)  # speech metadata (monitor.extract.core.analysis_values)
    chrome_keys: list[int] = field(default_factory=list)  # short-line keys for learned chrome
    # learned-chrome answers the extraction relied on (monitor.extract.chrome.ChromeChecks.packed), if a site
    # profile was used: lets the end-of-run re-extraction skip the pages it would extract the same
    chrome_checks: tuple | None = field(default=None, repr=False)
    # ``body`` compressed as storage keeps it, by the extraction (off the storing process and the reactor thread)
    stored_body: bytes | None = field(default=None, repr=False)
