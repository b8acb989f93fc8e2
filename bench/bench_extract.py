"""Score crawler.extract on the 181-page article-extraction benchmark (Zyte, MIT).

Run by hand: `python bench/bench_extract.py [--variant NAME]`. The data stays outside the project,
in ../shared/data/extraction-benchmark (relative to the repository); the script says so and exits 0
when it is absent.

Every run scores the plain trafilatura baseline first, on the same pages in the same process
(each extractor gets one untimed warm-up call), then the chosen variants with their difference
to it. Two scores are printed:
- bag-of-words F1: word multiset overlap per page (tokens are `\\w+`, case kept), P and R averaged
  over pages, F1 = harmonic mean of mean P and mean R;
- shingle F1: the benchmark's own scheme (case-kept word 4-shingles, same averaging).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO / ".." / "shared" / "data" / "extraction-benchmark"
TOKEN_RE = re.compile(r"\w+", re.UNICODE)
BASELINE = "trafilatura-default"  # scored in every run, so every figure has its reference


def tokens(text: str) -> list[str]:
    """Word tokens of a text, case kept."""
    return TOKEN_RE.findall(text or "")


def shingles(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams (n=1: a bag of words)."""
    if n == 1:
        return Counter((w,) for w in words)
    return Counter(tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1)))


def precision_recall(truth: str, pred: str, n: int) -> tuple[float, float]:
    """Per-page precision and recall on n-gram multisets (both empty: a perfect score)."""
    t, p = shingles(tokens(truth), n), shingles(tokens(pred), n)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def f1(precisions: list[float], recalls: list[float]) -> tuple[float, float, float]:
    """Mean precision, mean recall and their harmonic mean."""
    p = sum(precisions) / len(precisions)
    r = sum(recalls) / len(recalls)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def load_pages(data: Path) -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) for every benchmark page."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for item_id, item in sorted(truth.items()):
        raw = gzip.decompress((data / "html" / f"{item_id}.html.gz").read_bytes())
        pages.append((item_id, item["url"], raw.decode("utf-8"), item["articleBody"]))
    return pages


def variants() -> dict[str, Callable[[str, str], str]]:
    """Extractors to compare: the project's own and plain trafilatura baselines."""
    import trafilatura

    from crawler.extract import extract_article, extract_text

    def plain(**kw: object) -> Callable[[str, str], str]:
        return lambda html, url: trafilatura.extract(html, url=url, **kw) or ""  # type: ignore[arg-type]

    return {
        "airace": lambda html, url: extract_text(html, url=url),
        # The crawl's own path (text + metadata in one pass), to check it scores the same.
        "airace-article": lambda html, url: extract_article(html, url).text,
        "trafilatura-default": plain(),
        "trafilatura-no-comments": plain(include_comments=False),
    }


def main(argv: list[str] | None = None) -> int:
    """Score the chosen variants and print one line per variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help="airace (default), or a baseline")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").is_file():
        print(f"skipped: benchmark data not found at {args.data.resolve()}")
        return 0
    pages = load_pages(args.data)
    table = variants()
    chosen = args.variant or ["airace"]
    unknown = [n for n in chosen if n not in table]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(table)}")
    # The baseline is always scored in the same run, on the same pages, first.
    names = [BASELINE, *(n for n in chosen if n != BASELINE)]
    base_f1: tuple[float, float] | None = None
    for name in names:
        extractor = table[name]
        extractor(pages[0][2], pages[0][1])  # warm-up: imports and caches, untimed, for each
        scores: dict[int, tuple[list[float], list[float]]] = {1: ([], []), 4: ([], [])}
        started = time.perf_counter()
        for _id, url, html, truth in pages:
            pred = extractor(html, url)
            for n, (ps, rs) in scores.items():
                p, r = precision_recall(truth, pred, n)
                ps.append(p)
                rs.append(r)
        elapsed = time.perf_counter() - started
        bow = f1(*scores[1])
        shi = f1(*scores[4])
        if base_f1 is None:
            base_f1 = (bow[2], shi[2])
            versus = "(baseline)"
        else:
            versus = f"vs baseline: {bow[2] - base_f1[0]:+.4f} / {shi[2] - base_f1[1]:+.4f}"
        print(
            f"{name:28s} pages={len(pages)} bag-of-words F1={bow[2]:.4f} (P={bow[0]:.3f} "
            f"R={bow[1]:.3f})  shingle F1={shi[2]:.4f} (P={shi[0]:.3f} R={shi[1]:.3f})  "
            f"{1000 * elapsed / len(pages):.1f} ms/page  {versus}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
