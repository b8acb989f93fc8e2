"""Scrapy settings of the airace crawler: polite and safe by default.

`crawler.runner` overrides the politeness values from the user's airace settings; `scrapy crawl
<feed|sitemap|listing> -a source=NAME` from the repository uses these defaults (and
`-s AIRACE_DATABASE_URL=...`).
"""

BOT_NAME = "airace"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "airace/0.1 (+https://github.com/airace/airace; news research crawler)"

# Safety: Scrapy 2.19's RemoteControl extension runs code sent to a local port; the telnet console
# is a remote Python shell. Both stay off.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Limits.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 2_000_000
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 1
# Only http and https: no file://, data:, s3:// or ftp:// requests, whatever a feed links to.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

# Incremental re-crawls: cached feeds are revalidated with ETag / Last-Modified (RFC 2616 policy).
HTTPCACHE_ENABLED = True
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
    "crawler.url_memory.DecisionRecorder": 505,
}

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# airace's own settings (plain values; the runner passes a ready CrawlContext instead).
AIRACE_DATABASE_URL = ""  # e.g. sqlite:///airace.db; empty: the user's default database
AIRACE_SOURCES_FILE = ""  # empty: crawler/sources.toml
AIRACE_SINCE = ""  # ISO date: older articles are skipped
AIRACE_MIN_WORDS = 40
AIRACE_BATCH_SIZE = 20
AIRACE_EXTRACT_WORKERS = 0  # extraction processes (0: in the crawl process)
AIRACE_RETRY_AFTER = 3600  # seconds before a failed page is retried (doubling per attempt)
