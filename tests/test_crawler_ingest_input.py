"""`airace ingest` on hostile input: oversized files, bad encodings, NUL bytes, broken WARCs,
empty paths and folders full of things that are not articles. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker
from db.models import Article, Duplicate

# Written for these tests: about an invented chip maker, long enough to pass the 40-word floor.
FR_BODY = (
    "L'État français annonce un fonds pour les puces d'intelligence artificielle. "
    "Le ministère précise que les laboratoires de recherche recevront des crédits, "
    "que les usines de semi-conducteurs seront aidées et que la formation des ingénieurs "
    "sera élargie dès la rentrée, selon un communiqué publié jeudi après la réunion "
    "du comité stratégique consacré à la souveraineté numérique européenne."
)
EN_BODY = (
    "Northwind Silicon said on Tuesday that demand for its inference accelerators doubled "
    "over the quarter as cloud providers expanded their artificial intelligence clusters. "
    "The company raised its revenue forecast, added a second packaging line and said it "
    "would hire three hundred engineers for its model compiler team before the summer."
)


def _articles(url: str) -> tuple[list[Article], list[Duplicate]]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        rows = list(s.scalars(select(Article).order_by(Article.id)))
        dups = list(s.scalars(select(Duplicate)))
    engine.dispose()
    return rows, dups


def _html(title: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{body}</p></article></body></html>"
    ).encode()


def _warc_bytes(pages: list[tuple[str, bytes]], gzip: bool = False) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for url, body in pages:
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
    return out.getvalue()


def test_oversized_inputs_are_dropped_unread(cli, db_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRACE_DOWNLOAD_MAXSIZE", "20000")
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # 50 MB, sparse: reading it whole would show in time and memory
        f.truncate(50_000_000)
    big_html = tmp_path / "big.html"
    big_html.write_bytes(_html("Chips", EN_BODY + " filler" * 5000))
    jsonl = tmp_path / "mixed.jsonl"
    lines = [
        {"url": "https://example.org/a", "title": "Accelerators", "text": EN_BODY},
        {"url": "https://example.org/huge", "title": "Huge", "text": "word " * 10_000},
    ]
    jsonl.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    warc = tmp_path / "w.warc"
    warc.write_bytes(
        _warc_bytes(
            [
                ("https://example.org/w-small", _html("Fonds", FR_BODY)),
                ("https://example.org/w-huge", _html("Huge", EN_BODY * 100)),
            ]
        )
    )
    result = cli(
        "--db", db_url, "ingest", str(big), str(big_html), str(jsonl), str(warc), "--all", "--json"
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dropped_by_reason"] == {"too_large": 4}
    assert summary["new"] == 2 and summary["errors"] == 0
    rows, _ = _articles(db_url)
    assert sorted(r.url for r in rows) == ["https://example.org/a", "https://example.org/w-small"]
    assert max(len(r.text) for r in rows) < 20_000


def test_encodings_and_nul_bytes(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    utf8 = ("Fonds public\n" + FR_BODY).encode("utf-8")
    cut = utf8.index(b"investit") if "investit" in FR_BODY else utf8.index(b"annonce")
    (folder / "one-bad-byte.txt").write_bytes(utf8[:cut] + b"\xff" + utf8[cut:])
    (folder / "windows.txt").write_bytes(
        ("Fonds régional\n" + FR_BODY.replace("français", "régional")).encode("cp1252")
    )
    ru = (
        "Новый фонд\n"
        + "Российская компания объявила о создании фонда для разработки чипов искусственного "
        "интеллекта. По словам представителей, средства получат лаборатории, заводы и "
        "университеты, а первые проекты начнутся весной следующего года после отбора "
        "заявок специальной комиссией министерства промышленности и торговли страны. " * 2
    )
    (folder / "cyrillic.txt").write_bytes(ru.encode("cp1251"))
    (folder / "nul.txt").write_bytes(
        ("Nul\x00 bytes\n" + EN_BODY).encode().replace(b" ", b"\x00 ", 3)
    )
    (folder / "long-url.jsonl").write_text(
        json.dumps({"url": "https://example.org/" + "a" * 2100, "text": EN_BODY}) + "\n"
    )
    (folder / "nul.jsonl").write_text(
        json.dumps(
            {
                "url": "https://example.org/nul",
                "title": "T\u0000itle",
                "text": "\u0000" + EN_BODY.replace("demand", "orders"),
            }
        )
        + "\n"
    )
    result = cli("--db", db_url, "ingest", str(folder), "--all", "--json")
    assert result.exit_code == 1, result.stderr  # the long URL failed; the rest is stored
    summary = json.loads(result.stdout)
    assert summary["new"] == 5 and summary["errors"] == 1, summary
    assert "long-url.jsonl" in summary["error_samples"][0]
    assert "longer than 2000 characters" in summary["error_samples"][0]
    rows, _ = _articles(db_url)
    by_title = {r.title: r for r in rows}
    bad = by_title["Fonds public"]
    assert bad.text.startswith("L'État français") and "\ufffd" in bad.text
    assert "Ã" not in bad.text
    assert "État régional" in by_title["Fonds régional"].text
    assert by_title["Новый фонд"].text.startswith("Российская компания")
    assert all("\x00" not in r.text and "\x00" not in r.title for r in rows)
    assert "Title" in by_title and "Nul bytes" in by_title


def test_truncated_warc_record_is_an_error_and_stores_nothing(
    cli, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pages = [
        ("https://example.org/first", _html("Accelerators", EN_BODY)),
        ("https://example.org/second", _html("Fonds", FR_BODY)),
    ]
    intact = _warc_bytes(pages)
    cut = tmp_path / "cut.warc"
    cut.write_bytes(intact[:-300])  # the second record's payload cut mid-word
    result = cli("--db", db_url, "ingest", str(cut), "--all", "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    summary = json.loads(result.stdout)
    assert summary["new"] == 1 and summary["errors"] == 1
    error = summary["error_samples"][0]
    assert "truncated" in error and str(cut) in error and "https://example.org/second" in error
    rows, _ = _articles(db_url)
    assert [r.url for r in rows] == ["https://example.org/first"]
    # The intact archive, ingested later, stores the second page: no fragment was kept.
    whole = tmp_path / "whole.warc"
    whole.write_bytes(intact)
    again = cli("--db", db_url, "ingest", str(whole), "--all", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["new"] == 1
    rows, dups = _articles(db_url)
    second = next(r for r in rows if r.url == "https://example.org/second")
    assert second.text.rstrip().endswith("européenne.")
    assert [d.url for d in dups] == []


def test_cut_header_and_non_warc(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    intact = _warc_bytes([("https://example.org/first", _html("Accelerators", EN_BODY))])
    header_cut = tmp_path / "header.warc"
    header_cut.write_bytes(intact[:40])
    gz_cut = tmp_path / "cut.warc.gz"
    gz_cut.write_bytes(
        _warc_bytes([("https://example.org/x", _html("Fonds", FR_BODY))], True)[:200]
    )
    not_warc = tmp_path / "notes.warc"
    not_warc.write_text("these are my notes, not an archive\n\n")
    for path, words in [
        (header_cut, "truncated"),
        (gz_cut, "truncated"),
        (not_warc, "not a WARC file"),
    ]:
        result = cli("--db", db_url, "ingest", str(path), "--all", "--json")
        assert result.exit_code == 1, (path, result.stdout, result.stderr)
        summary = json.loads(result.stdout)
        assert summary["errors"] == 1 and summary["new"] == 0, summary
        assert words in summary["error_samples"][0] and str(path) in summary["error_samples"][0]
        assert "NoneType" not in summary["error_samples"][0]
    assert _articles(db_url)[0] == []
    text_mode = cli("--db", db_url, "ingest", str(not_warc), "--all")
    assert text_mode.exit_code == 1 and "errors 1" in text_mode.stdout
    assert "not a WARC file" in text_mode.stderr and "Traceback" not in text_mode.stderr


def test_empty_path_and_folder_contents(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "a.db"
    empty = cli("--db", str(db), "ingest", "")
    assert empty.exit_code == 2 and "empty path" in empty.stderr
    assert empty.stderr.count("\n") == 1
    folder = tmp_path / "work"
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "page.html").write_bytes(_html("Hidden", EN_BODY))
    (folder / "airace.db").write_bytes(b"SQLite format 3\x00")
    (folder / "briefing.pdf").write_bytes(b"%PDF-1.7")
    (folder / "briefing-2025-W05.html").write_text(
        '<html><head><meta charset="utf-8">\n<meta name="generator" content="airace">'
        f"</head><body><p>{EN_BODY}</p></body></html>"
    )
    (folder / "story.txt").write_text("Accelerators\n" + EN_BODY)
    result = cli("--db", str(db), "ingest", str(folder), "--all", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["read"] == 1 and summary["new"] == 1
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "x.db").write_bytes(b"")
    none = cli("--db", str(db), "ingest", str(nothing))
    assert none.exit_code == 2 and "no file to ingest" in none.stderr


@pytest.mark.parametrize("name", ["a.pdf", "b.db"])
def test_unsupported_file_named_directly(cli, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(b"x")
    result = cli("--db", str(tmp_path / "a.db"), "ingest", str(tmp_path / name))
    assert result.exit_code == 2 and "unknown file type" in result.stderr
