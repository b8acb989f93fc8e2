"""The sample news site of `airace demo`, served over HTTP on 127.0.0.1 from a background thread.

"The Compute Ledger" is a fictional bilingual publication. Its pages are rendered on the fly from
airace/demo_site/articles.yaml and look like a real news site: header, navigation, related links
and footer around the article, JSON-LD NewsArticle, OpenGraph tags, `<time datetime>` and a byline.

Routes:
  /robots.txt                      allows everything, names the sitemap
  /feed.xml                        RSS 2.0: the English articles, the off-topic local story and a
                                   link to a removed page (404). pubDate only when the time is
                                   known; a day-only date is dc:date, a month-only one is left out.
  /sitemap.xml                     sitemap index -> /sitemap-news.xml (Google News: French articles)
                                   and /sitemap-articles.xml (every article URL, with lastmod)
  /section/ai/, /section/ai/page/N/  listing pages: `a.article-link` links, `a.next` pagination
  /[fr/]YYYY/MM/[DD/]slug/         articles; a few are broken on purpose (see `serve` in the YAML):
                                   malformed HTML, Latin-1 with and without a declared charset
  /wire/...                        a syndicated copy of one article (same text, another URL)
  /, /fr/, /section/markets/, /author/NAME/, /about/, /privacy/, /newsletter/
                                   navigation pages, so that every header and footer link works
  anything else                    404

Every article page's footer says it was written for the airace demo.

Run it by hand with `python -m airace.demo_server [PORT]`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Sequence
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from airace.demo_site import DemoArticle, load_articles

log = logging.getLogger(__name__)

SITE_NAME = "The Compute Ledger"
PER_PAGE = 8
REMOVED_PATH = "/2025/01/28/chip-export-loophole-story-withdrawn/"
FOOTER_EN = (
    "Written for the airace demo. The Compute Ledger is a fictional publication: its reporters, "
    "the analysts and firms they quote, and all quotes are invented. Share prices are real "
    "closing prices; company facts are paraphrased from public announcements."
)
FOOTER_FR = (
    "Article écrit pour la démo d'airace (written for the airace demo). The Compute Ledger est "
    "une publication fictive : journalistes, analystes, sociétés d'analyse et citations sont "
    "inventés. Les cours cités sont de vrais cours de clôture."
)
UI = {
    "en": {"by": "By", "related": "Read more", "home": "Home", "newsletter": "Newsletter"},
    "fr": {"by": "Par", "related": "À lire aussi", "home": "Accueil", "newsletter": "Lettre"},
}


# --------------------------------------------------------------------------------- rendering
def human_date(a: DemoArticle) -> str:
    """The date as a reader sees it: '27 January 2025, 16:45' / '27 janvier 2025'."""
    from reports.i18n import month_name

    d = a.day
    text = f"{month_name(d.month, a.lang)} {d.year}"
    if a.precision != "month":
        text = f"{d.day} {text}"
    if a.instant is not None:
        offset = a.instant.utcoffset() or dt.timedelta(0)
        text += f", {a.instant:%H:%M} (UTC{offset.total_seconds() / 3600:+g})"
    return text


def _json_ld(a: DemoArticle, url: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "description": a.description,
        "datePublished": a.published,
        "inLanguage": a.lang,
        "articleSection": a.section,
        "author": [{"@type": "Person", "name": a.author}],
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "mainEntityOfPage": url,
        "url": url,
    }
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def _body_html(a: DemoArticle) -> str:
    parts = []
    for p in a.paragraphs:
        if p.startswith("## "):
            parts.append(f"<h2>{escape(p[3:], quote=False)}</h2>")
        else:
            parts.append(f"<p>{escape(p, quote=False)}</p>")
    return "\n".join(parts)


def _header(lang: str, label: str = "") -> str:
    ui = UI[lang]
    return (
        '<header class="site-header"><a class="logo" href="/">'
        f"{SITE_NAME}</a>{escape(label)}\n"
        f'<nav class="main-nav"><a href="/">{ui["home"]}</a> <a href="/section/ai/">AI</a> '
        '<a href="/section/markets/">Markets</a> <a href="/fr/">Édition française</a> '
        f'<a href="/newsletter/">{ui["newsletter"]}</a></nav></header>'
    )


def _footer(lang: str) -> str:
    text = FOOTER_FR if lang == "fr" else FOOTER_EN
    return (
        f'<footer class="site-footer"><p class="demo-notice">{escape(text)}</p>'
        '<p><a href="/about/">About</a> · <a href="/privacy/">Privacy</a> · '
        f"© 2025 {SITE_NAME}</p></footer>"
    )


def render_article(
    a: DemoArticle, base: str, related: Sequence[DemoArticle] = (), path: str | None = None
) -> str:
    """The article page as clean HTML (the broken variants are built from it)."""
    url = base + (path or a.path)
    ui = UI[a.lang]
    related_html = "".join(
        f'<li><a href="{escape(r.path)}">{escape(r.title)}</a></li>' for r in related
    )
    author_path = escape(f"/author/{a.author.lower().replace(' ', '-')}/")
    label = " · Partner wire" if path and path != a.path else ""
    return f"""<!DOCTYPE html>
<html lang="{a.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(a.title)} | {SITE_NAME}</title>
<meta name="description" content="{escape(a.description)}">
<meta name="author" content="{escape(a.author)}">
<link rel="canonical" href="{escape(url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:title" content="{escape(a.title)}">
<meta property="og:description" content="{escape(a.description)}">
<meta property="og:url" content="{escape(url)}">
<meta property="og:locale" content="{"fr_FR" if a.lang == "fr" else "en_US"}">
<meta property="article:published_time" content="{a.published}">
<meta property="article:section" content="{escape(a.section)}">
<script type="application/ld+json">
{_json_ld(a, url)}
</script>
</head>
<body>
{_header(a.lang, label)}
<main>
<article class="story">
<p class="kicker">{escape(a.section)}</p>
<h1>{escape(a.title)}</h1>
<p class="standfirst">{escape(a.description)}</p>
<p class="byline">{ui["by"]} <a rel="author" href="{author_path}">{escape(a.author)}</a>
 · <time datetime="{a.published}">{human_date(a)}</time></p>
<div class="article-body">
{_body_html(a)}
</div>
</article>
<aside class="related"><h2>{ui["related"]}</h2><ul>{related_html}</ul></aside>
<div class="newsletter-box">Get the Ledger in your inbox every morning.
<a href="/newsletter/">Subscribe</a></div>
</main>
{_footer(a.lang)}
</body>
</html>
"""


def malformed(html: str) -> str:
    """Break a clean page the way real sites do: unclosed and crossed tags, broken JSON-LD,
    unescaped ampersands, unquoted attributes, and a document cut before </body></html>."""
    html = html.replace("</p>\n<p>", "\n<p>")  # unclosed paragraphs
    html = html.replace('<div class="article-body">', "<div class=article-body><b><i>", 1)
    html = html.replace("</div>\n</article>", "</b></i>\n<table><tr><td>\n</article>", 1)
    html = html.replace('"@context"', '"@context":: ', 1)  # JSON-LD no longer parses
    html = html.replace("Subscribe</a>", "Subscribe & save</a><<", 1)
    return html.split("</footer>")[0] + "</footer>\n<div class=footer-ad"


def listing_page(entries: Sequence[tuple[str, DemoArticle]], page: int, n_pages: int) -> str:
    """One page of /section/ai/: `a.article-link` per (path, story), `a.next` to the next page."""
    items = "\n".join(
        f'<li><article class="teaser"><h2><a class="article-link" href="{escape(path)}">'
        f"{escape(a.title)}</a></h2><p>{escape(a.description)}</p>"
        f'<time datetime="{a.published}">{escape(human_date(a))}</time></article></li>'
        for path, a in entries
    )
    nav = []
    if page > 1:
        prev = "/section/ai/" if page == 2 else f"/section/ai/page/{page - 1}/"
        nav.append(f'<a class="prev" href="{prev}">Previous</a>')
    if page < n_pages:
        nav.append(f'<a class="next" href="/section/ai/page/{page + 1}/">Next</a>')
    extra = ""
    if page == 1:
        extra = (
            f'<p class="update">Update: <a href="{REMOVED_PATH}">a story on chip export '
            "loopholes</a> has been withdrawn.</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Artificial intelligence | {SITE_NAME}</title>
</head><body>
{_header("en")}
<main><h1>Artificial intelligence</h1>{extra}
<ul class="stories">
{items}
</ul>
<nav class="pagination">{" ".join(nav)} <span>Page {page} of {n_pages}</span></nav>
</main>
<footer class="site-footer"><p class="demo-notice">{escape(FOOTER_EN)}</p></footer>
</body></html>
"""


def rss_feed(articles: Sequence[DemoArticle], base: str) -> str:
    """RSS 2.0 of `articles`, newest first, plus an item linking to a removed page."""
    items = []
    for a in sorted(articles, key=lambda a: a.day, reverse=True):
        if a.instant is not None:
            when = f"<pubDate>{format_datetime(a.instant)}</pubDate>"
        elif a.precision == "day":
            when = f"<dc:date>{a.published}</dc:date>"
        else:
            when = ""
        items.append(
            f"<item><title>{escape(a.title)}</title><link>{base}{a.path}</link>"
            f'<guid isPermaLink="true">{base}{a.path}</guid>'
            f"<dc:creator>{escape(a.author)}</dc:creator>"
            f"<description>{escape(a.description)}</description>{when}</item>"
        )
    items.append(
        f"<item><title>Chip export loophole: story withdrawn</title><link>{base}{REMOVED_PATH}"
        f"</link><pubDate>Tue, 28 Jan 2025 09:00:00 +0000</pubDate></item>"
    )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{SITE_NAME}: artificial intelligence</title>
<link>{base}/section/ai/</link>
<description>The AI race in news and markets (a fictional publication written for the
airace demo).</description>
<language>en</language>
{body}
</channel>
</rss>
"""


def sitemap_index(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2025-02-28</lastmod></sitemap>
<sitemap><loc>{base}/sitemap-articles.xml</loc><lastmod>2025-02-28</lastmod></sitemap>
</sitemapindex>
"""


def news_sitemap(articles: Sequence[DemoArticle], base: str) -> str:
    """A Google News sitemap (news:publication_date, news:title, news:language)."""
    urls = "\n".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>{SITE_NAME}"
        f"</news:name><news:language>{a.lang}</news:language></news:publication>"
        f"<news:publication_date>{a.published}</news:publication_date>"
        f"<news:title>{escape(a.title)}</news:title></news:news></url>"
        for a in articles
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


def pages_sitemap(paths: Sequence[tuple[str, str]], base: str) -> str:
    """A plain urlset of (path, lastmod)."""
    urls = "\n".join(
        f"<url><loc>{base}{p}</loc><lastmod>{lastmod}</lastmod></url>" for p, lastmod in paths
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


BOILERPLATE_PAGES = {
    "/about/": (
        "About",
        "<p>The Compute Ledger is a fictional publication written for the airace demo.</p>",
    ),
    "/privacy/": ("Privacy", "<p>This demo site sets no cookies and keeps no logs.</p>"),
    "/newsletter/": ("Newsletter", "<p>Subscriptions are closed: this site is a demo.</p>"),
}


def simple_page(title: str, inner_html: str) -> str:
    """A navigation page (home, section, author, about): header, a title, content, footer."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {SITE_NAME}</title></head>
<body>
{_header("en")}
<main><h1>{escape(title)}</h1>
{inner_html}
</main>
{_footer("en")}
</body></html>
"""


# --------------------------------------------------------------------------------- the site
class DemoSite:
    """Routes a request path to (status, content type, body bytes) for the sample site."""

    def __init__(self, articles: Sequence[DemoArticle] | None = None) -> None:
        self.articles = list(articles if articles is not None else load_articles())
        self.by_path = {a.path: a for a in self.articles}
        self.syndicated = {a.syndicated_path: a for a in self.articles if a.syndicated_path}
        newest_first = sorted(self.articles, key=lambda a: (a.day, a.slug), reverse=True)
        # (path, article) pairs of /section/ai/; a syndicated copy is listed next to its original.
        self.listed: list[tuple[str, DemoArticle]] = []
        for a in newest_first:
            if a.relevant:
                self.listed.append((a.path, a))
                if a.syndicated_path:
                    self.listed.append((a.syndicated_path, a))
        self.n_pages = max(1, -(-len(self.listed) // PER_PAGE))

    def feed_articles(self) -> list[DemoArticle]:
        return [a for a in self.articles if a.lang == "en"]

    def news_articles(self) -> list[DemoArticle]:
        return [a for a in self.articles if a.lang == "fr"]

    def related(self, a: DemoArticle) -> list[DemoArticle]:
        same = [r for r in self.articles if r.lang == a.lang and r.relevant and r is not a]
        same.sort(key=lambda r: abs((r.day - a.day).days))
        return same[:4]

    def respond(self, raw_path: str, base: str) -> tuple[int, str, bytes]:
        path = urlsplit(raw_path).path
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"
        xml = "application/xml; charset=utf-8"
        if path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
            return 200, "text/plain; charset=utf-8", text.encode()
        if path == "/feed.xml":
            body = rss_feed(self.feed_articles(), base)
            return 200, "application/rss+xml; charset=utf-8", body.encode()
        if path == "/sitemap.xml":
            return 200, xml, sitemap_index(base).encode()
        if path == "/sitemap-news.xml":
            return 200, xml, news_sitemap(self.news_articles(), base).encode()
        if path == "/sitemap-articles.xml":
            paths = [(a.path, a.published) for a in self.articles]
            paths += [(p, a.published) for p, a in self.syndicated.items()]
            return 200, xml, pages_sitemap(paths, base).encode()
        if path == "/section/ai/" or path.startswith("/section/ai/page/"):
            return self._listing(path)
        if path in self.by_path:
            return self._article(self.by_path[path], base)
        if path in self.syndicated:
            a = self.syndicated[path]
            html = render_article(a, base, self.related(a), path=path)
            return 200, "text/html; charset=utf-8", html.encode()
        if path in ("/", "/fr/", "/section/markets/") or path.startswith("/author/"):
            return self._index(path)
        if path in BOILERPLATE_PAGES:
            title, text = BOILERPLATE_PAGES[path]
            return 200, "text/html; charset=utf-8", simple_page(title, text).encode()
        return self._not_found()

    def _index(self, path: str) -> tuple[int, str, bytes]:
        """Home, French edition, markets section and author pages: plain lists of stories."""
        entries = self.listed
        title = "Latest"
        if path == "/fr/":
            entries, title = [(p, a) for p, a in entries if a.lang == "fr"], "Édition française"
        elif path == "/section/markets/":
            entries, title = [(p, a) for p, a in entries if a.section == "markets"], "Markets"
        elif path.startswith("/author/"):
            slug = path.strip("/").rsplit("/", 1)[-1]
            entries = [(p, a) for p, a in entries if a.author.lower().replace(" ", "-") == slug]
            if not entries:
                return self._not_found()
            title = entries[0][1].author
        links = "\n".join(
            f'<li><a href="{escape(p)}">{escape(a.title)}</a></li>' for p, a in entries[:20]
        )
        return 200, "text/html; charset=utf-8", simple_page(title, f"<ul>{links}</ul>").encode()

    def _listing(self, path: str) -> tuple[int, str, bytes]:
        page = 1
        if path.startswith("/section/ai/page/"):
            try:
                page = int(path.strip("/").rsplit("/", 1)[-1])
            except ValueError:
                return self._not_found()
        if not 1 <= page <= self.n_pages:
            return self._not_found()
        chunk = self.listed[(page - 1) * PER_PAGE : page * PER_PAGE]
        html = listing_page(chunk, page, self.n_pages)
        return 200, "text/html; charset=utf-8", html.encode()

    def _article(self, a: DemoArticle, base: str) -> tuple[int, str, bytes]:
        html = render_article(a, base, self.related(a))
        if a.serve == "malformed":
            return 200, "text/html; charset=utf-8", malformed(html).encode()
        # A Latin-1 CMS writes characters outside Latin-1 (œ in a related title) as references.
        if a.serve == "latin1-declared":
            html = html.replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
            body = html.encode("latin-1", "xmlcharrefreplace")
            return 200, "text/html; charset=iso-8859-1", body
        if a.serve == "latin1-undeclared":  # no charset in the header nor in the page
            html = html.replace('<meta charset="utf-8">\n', "")
            return 200, "text/html", html.encode("latin-1", "xmlcharrefreplace")
        return 200, "text/html; charset=utf-8", html.encode()

    @staticmethod
    def _not_found() -> tuple[int, str, bytes]:
        html = "<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>"
        return 404, "text/html; charset=utf-8", html.encode()


# --------------------------------------------------------------------------------- the server
class DemoServer:
    """The sample site on http://127.0.0.1:<free port>/, served by a daemon thread.

    Use as a context manager: `with DemoServer() as server: crawl(server.url + "/feed.xml")`.
    """

    def __init__(self, site: DemoSite | None = None, port: int = 0) -> None:
        self.site = site or DemoSite()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:40123."""
        if self._httpd is None:
            raise RuntimeError("the demo server is not running")
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> str:
        site = self.site

        class Handler(BaseHTTPRequestHandler):
            server_version = "ComputeLedger/1.0"

            def _answer(self) -> bytes:
                base = f"http://{self.headers.get('Host') or '127.0.0.1'}"
                try:
                    status, ctype, body = site.respond(self.path, base)
                except Exception:  # a bug in the demo site must not hang the crawler
                    log.exception("demo site: %s failed", self.path)
                    status, ctype, body = 500, "text/plain", b"internal error"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return body

            def do_GET(self) -> None:
                self.wfile.write(self._answer())

            def do_HEAD(self) -> None:
                self._answer()

            def log_message(self, format: str, *args: object) -> None:
                log.debug("demo site: " + format, *args)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="airace-demo-site", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the sample site until interrupted: `python -m airace.demo_server [PORT]`."""
    args = sys.argv[1:] if argv is None else argv
    server = DemoServer(port=int(args[0]) if args else 0)
    url = server.start()
    print(f"The Compute Ledger (airace demo site) on {url}/  (feed {url}/feed.xml); Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
