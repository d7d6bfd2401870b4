"""Scrapy settings for speechwatch: polite by default, every knob documented once.

The ``SPEECHWATCH_*`` settings are ours; each can also come from the environment variable of the same
name (see :func:`crawler.config.setting`): that is how ``speechwatch crawl`` configures its children.
"""

import os

BOT_NAME = "speechwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- identity and politeness -------------------------------------------------------------------------------
USER_AGENT = "speechwatch/0.1 (+policy-speech monitor; contact: see README)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # requests in flight per host
DOWNLOAD_DELAY = 0.25  # seconds between requests to one host (AutoThrottle adapts it)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25  # seconds
AUTOTHROTTLE_MAX_DELAY = 30  # seconds
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # requests in flight per host that AutoThrottle aims for

# -- robustness ----------------------------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30  # seconds
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # bytes, also after gzip/deflate/br decoding; larger pages: skipped/too_large
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024  # bytes; a warning in the log
RETRY_ENABLED = True
RETRY_TIMES = 2  # retries after the first attempt
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 10  # longer chains: skipped/redirect_max; a chain back to itself: skipped/redirect_loop
CLOSESPIDER_TIMEOUT = int(os.environ.get("SPEECHWATCH_CRAWL_TIMEOUT", "3600"))  # seconds per crawl
CLOSESPIDER_ERRORCOUNT = 0  # 0: never stop on errors; the run records them
DEPTH_LIMIT = 50  # links from the start page; traps end here or at the source's max_pages (depth/request_ignored_count)

# -- safety: no remote control, no telnet console ------------------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False

# -- engine --------------------------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("SPEECHWATCH_LOG_LEVEL", "INFO")

DOWNLOADER_MIDDLEWARES = {
    # offsite filter + no private/loopback targets (source option allow_private), before robots.txt (100)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.SafeOffsiteMiddleware": 50,
    "crawler.middlewares.ProxyMiddleware": 50,  # before robots.txt so robots requests use it too
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
    "crawler.middlewares.AntiBotMiddleware": 580,  # sees responses before RetryMiddleware (550)
    "crawler.middlewares.CharsetFixMiddleware": 590,
    "crawler.middlewares.RedirectLoopMiddleware": 610,  # sees a 3xx before RedirectMiddleware (600)
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.pipelines.StoragePipeline": 800,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
}

# -- speechwatch ---------------------------------------------------------------------------------------------
# SPEECHWATCH_DB: SQLAlchemy URL of the store (default ./data/speechwatch.db).
# SPEECHWATCH_SOURCES: path of the sources file (default ./sources.toml).
# SPEECHWATCH_PROXY: HTTP proxy for every request (the sample web uses this; unset on the real web).
# SPEECHWATCH_RUN_ID: id of the crawl_runs row to fill in; without it the crawl opens its own run.
# SPEECHWATCH_BATCH_SIZE: documents per database transaction (default 20).
