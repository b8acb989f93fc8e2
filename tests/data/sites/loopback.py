"""A threaded HTTP server on 127.0.0.1 for crawler tests and benchmarks.

Serves a directory (``*.xml`` files are templates: ``{BASE}`` becomes ``http://127.0.0.1:PORT``),
with Last-Modified/ETag and ``Cache-Control: max-age=0`` so caches revalidate, plus special paths:
``/loop/a`` and ``/loop/b`` redirect to each other, ``/error/500`` fails, ``/big.html`` is larger
than the tests' size cap, ``/slow.html`` answers after ``slow_seconds``, ``/gen/sitemap.xml`` and
``/gen/article-N.html`` are a generated site of ``generated`` article pages (for the benchmark).
Every request path is counted in ``server.hits``.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SENTENCES = [
    "The lab trained its new model on {n} thousand GPUs over several weeks.",
    "Investors asked whether the spending on data centers would pay off within {n} years.",
    "Chip suppliers reported orders {n} percent above last quarter's level.",
    "Regulators in {n} countries opened reviews of the partnership between the two companies.",
    "The startup said its language model answers questions {n} times faster than before.",
    "Analysts cut their price targets after the company guided {n} percent lower.",
    "Engineers described how inference costs fell by a factor of {n} in one year.",
    "The cloud provider plans {n} new regions to host AI training clusters.",
    "A survey of {n} firms found most are still testing generative AI tools.",
    "The open-weight release was downloaded {n} thousand times on its first day.",
    "Power demand from the new campus could reach {n} hundred megawatts.",
    "Researchers published {n} pages of evaluation results alongside the weights.",
]


def generated_article(i: int) -> str:
    """A unique English AI-news page (deterministic for i)."""
    rng = random.Random(i)
    paras = []
    for _ in range(6):
        words = " ".join(
            rng.choice(SENTENCES).format(n=rng.randint(2, 999)) for _ in range(rng.randint(3, 5))
        )
        paras.append(f"<p>{words}</p>")
    title = f"AI market brief number {i}: {rng.choice(['chips', 'models', 'cloud', 'power'])}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='article:published_time' content='2025-01-{1 + i % 28:02d}T08:00:00Z'>"
        f"</head><body><header><nav><a href='/'>Home</a></nav></header><article><h1>{title}</h1>"
        + "".join(paras)
        + "</article><footer>Loopback</footer></body></html>"
    )


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog (5) drops connections under a crawler's burst

    def __init__(self, root: Path, *, generated: int = 0, slow_seconds: float = 2.5) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root)
        self.generated = generated
        self.slow_seconds = slow_seconds
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.robots: str | None = None  # robots.txt body; None: 404

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up (timeouts, size cap) reset connections: expected here

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> LoopbackServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(SimpleHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(args[2].root), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str = "text/html", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _cached(self, body: bytes, ctype: str, mtime: float) -> None:
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(
            200,
            body,
            ctype,
            ETag=etag,
            Last_Modified=email.utils.formatdate(mtime, usegmt=True),
            Cache_Control="max-age=0",
        )

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
        srv = self.server
        if path == "/robots.txt":
            if srv.robots is None:
                return self._send(404, b"not found", "text/plain")
            return self._send(200, srv.robots.encode(), "text/plain")
        if path == "/loop/a":
            return self._send(302, b"", Location="/loop/b")
        if path == "/loop/b":
            return self._send(302, b"", Location="/loop/a")
        if path == "/error/500":
            return self._send(500, b"<html><body>Internal error</body></html>")
        if path == "/big.html":
            return self._send(200, b"<html><body>" + b"x" * 300_000 + b"</body></html>")
        if path == "/slow.html":
            time.sleep(srv.slow_seconds)
            return self._send(200, b"<html><body><p>late</p></body></html>")
        if path == "/gen/sitemap.xml" and srv.generated:
            urls = "".join(
                f"<url><loc>{srv.base}/gen/article-{i}.html</loc></url>"
                for i in range(srv.generated)
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><urlset '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            ).encode()
            return self._cached(body, "application/xml", 1_700_000_000)
        if path.startswith("/gen/article-") and srv.generated:
            i = int(path.rsplit("-", 1)[1].split(".")[0])
            return self._cached(generated_article(i).encode(), "text/html", 1_700_000_000)
        file = (srv.root / path.lstrip("/")).resolve()
        if srv.root.resolve() not in file.parents or not file.is_file():
            return self._send(404, b"<html><body>Not found</body></html>")
        body = file.read_bytes()
        if file.suffix == ".xml":
            body = body.replace(b"{BASE}", srv.base.encode())
            ctype = "application/rss+xml" if "feed" in file.name else "application/xml"
        elif file.suffix == ".txt":
            ctype = "text/plain"
        else:
            ctype = "text/html"  # no charset: pages declare theirs (or not) themselves
        self._cached(body, ctype, file.stat().st_mtime)
