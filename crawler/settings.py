"""Scrapy-only settings of the airace crawler: safety, limits, cache policy, pipelines.

Identity, politeness and size limits (user agent, robots.txt, delay, per-domain concurrency,
AutoThrottle, timeout, size cap) are not here: their one default is the airace Settings field
(airace/config.py). `crawler.runner` maps them from CrawlOptions; `scrapy crawl
<feed|sitemap|listing> -a source=NAME` from the repository reads airace/scrapy_settings.py
(scrapy.cfg), which adds the user's airace settings (defaults < airace.toml < AIRACE_* env) to
these, so both crawl alike. `-s NAME=VALUE` still overrides any of them.
"""

BOT_NAME = "airace"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Safety: Scrapy 2.19's RemoteControl extension runs code sent to a local port; the telnet console
# is a remote Python shell. Both stay off.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Politeness beyond the airace settings.
CONCURRENT_REQUESTS = 16
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Limits.
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 1
# Only http and https: no file://, data:, s3:// or ftp:// requests, whatever a feed links to.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

# Incremental re-crawls: cached feeds are revalidated with ETag / Last-Modified (RFC 2616 policy).
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_GZIP = True
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 100,
    "crawler.pipelines.quality.QualityPipeline": 200,
    "crawler.pipelines.relevance.RelevancePipeline": 300,
    "crawler.pipelines.dedupe.DedupePipeline": 400,
    "crawler.pipelines.store.StorePipeline": 500,
}
EXTENSIONS = {
    "crawler.progress.ProgressReporter": 500,
    "crawler.decisions.DecisionRecorder": 505,
}

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# airace's own settings (plain values; the runner passes a ready CrawlContext instead).
AIRACE_DATABASE_URL = ""  # e.g. sqlite:///airace.db (airace/scrapy_settings.py fills it)
AIRACE_SOURCES_FILE = ""  # empty: crawler/sources.toml
AIRACE_SINCE = ""  # ISO date: older articles are skipped
AIRACE_MIN_WORDS = 40
AIRACE_BATCH_SIZE = 20
AIRACE_EXTRACT_WORKERS = 0  # extraction processes (0: in the crawl process)
