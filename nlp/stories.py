"""Stories and novelty: which articles report the same event, and which report is the first.

Every analysed article gets a story (stories, story_articles) and, per entity it mentions, a
novelty flag (novelty). Articles are taken in publication order; each one is compared with the
articles published in the `window_hours` before it that share an entity or a ticker with it:

- **same language**, both with a stored embedding of the same model: the pair matches when the
  cosine similarity is at least `similarity` (a **copy** at `copy_similarity` or more: syndicated
  or near-identical text);
- **any language pair** (the default embedding model is English-only, so a French and an
  English report of one event are not close in its space): the pair matches on shared *facts* --
  amounts, percentages, other distinctive numbers and calendar dates read from the title and
  lede in either language ("$6.6 billion" = "6,6 milliards de dollars", "January 27" = "27
  janvier") -- when they share at least two facts, or one fact and half their entities
  (Jaccard >= 0.5);
- the same normalised title (within the window, sharing an entity) is a copy. (Near-identical
  bodies never become two articles: the crawler files them under `duplicates`.)

The article joins the story of its best match (copy > embedding > facts, then the score); with
no match it starts a story. Novelty is per (article, entity): an article is the **first report**
for an entity when no earlier article of its story named that entity within the window; so a
follow-up that brings a new company into a story is novel for that company only. Articles
without a usable time (month or unknown precision) get a story of their own.

The stage is idempotent and resumable: articles with no row at `VERSION` are pending; the run
re-processes everything published from the earliest pending article on (earlier articles are
context and keep their rows), in batches committed in time order. No model is loaded: the
stored vectors are used.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from db.stories import (
    article_entities,
    article_vectors,
    assigned_stories,
    clear_articles,
    next_story_id,
    pending_start,
    refresh_stories,
    save_story_rows,
    story_inputs,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from db.stories import StoryInput

VERSION = 1
WINDOW_HOURS = 24.0
SIMILARITY = 0.75
COPY_SIMILARITY = 0.95
BATCH = 2000


@dataclass(frozen=True)
class StoriesSummary:
    """What one run did: articles (re)processed, stories started, and the roles given."""

    articles: int = 0
    stories: int = 0
    first: int = 0
    follow_up: int = 0
    copy: int = 0
    novel_pairs: int = 0
    repeated_pairs: int = 0
    undated: int = 0


# ------------------------------------------------------------------------------------------
# Facts: numbers and dates that survive translation.

_EN_MONTHS = "january february march april may june july august september october november december"
_FR_MONTHS = "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre"
_SHORT_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec"


def _month_names(names: Sequence[str]) -> dict[str, int]:
    return {m: i + 1 for i, m in enumerate(names)}


_MONTHS = {
    **_month_names(_EN_MONTHS.split()),
    **_month_names(_FR_MONTHS.split()),
    **_month_names(_SHORT_MONTHS.split()),
    "sept": 9,
    "janv": 1,
    "fevr": 2,
    "avr": 4,
    "juil": 7,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({_MONTH_RE})\.?\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_SCALES = {
    "thousand": 1e3,
    "mille": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "md": 1e9,
    "mds": 1e9,
    "trillion": 1e12,
    "trillions": 1e12,
    "tn": 1e12,
    "billion_fr": 1e12,
}
_SCALE_RE = "|".join(sorted((k for k in _SCALES if k != "billion_fr"), key=len, reverse=True))
_ISO_DATE = re.compile(r"\b(?:19|20)\d\d-(0[1-9]|1[0-2])-([0-2]\d|3[01])\b")
# a number: 1,234.5 | 1 234,5 | 1234 | 6,6 | 6.6
_NUMBER = re.compile(
    rf"(?<![\w.,])(\d{{1,3}}(?:[ \u00a0\u202f,.]\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    rf"(?:\s*(%|pour\s*cent|percent|per\s+cent)|\s*({_SCALE_RE})\b)?",
)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _parse_number(raw: str, lang: str | None) -> float | None:
    """'1,234.5' / '1 234,5' / '6,6' (fr) / '6.6' -> float; thousands vs decimal by language."""
    s = re.sub(r"[ \u00a0\u202f]", "", raw)
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in s:
        thousands = re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) is not None
        s = s.replace(",", "") if thousands and lang != "fr" else s.replace(",", ".")
    elif "." in s and lang == "fr" and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None


def story_facts(text: str, lang: str | None = None) -> frozenset[str]:
    """Language-independent facts of a text: amounts (scaled), percentages, distinctive numbers
    (not years or small counts) and day-month dates, as short strings such as "amt:6.6e9",
    "pct:17", "num:118.42", "date:01-27"."""
    folded = _fold(text)
    facts: set[str] = set()
    for m in _DAY_MONTH.finditer(folded):
        day, month = int(m.group(1)), _MONTHS[m.group(2)]
        if 1 <= day <= 31:
            facts.add(f"date:{month:02d}-{day:02d}")
    for m in _MONTH_DAY.finditer(folded):
        month, day = _MONTHS[m.group(1)], int(m.group(2))
        if 1 <= day <= 31:
            facts.add(f"date:{month:02d}-{day:02d}")
    for m in _ISO_DATE.finditer(folded):
        facts.add(f"date:{int(m.group(1)):02d}-{int(m.group(2)):02d}")
    for m in _NUMBER.finditer(_ISO_DATE.sub(" ", folded)):
        value = _parse_number(m.group(1), lang)
        if value is None:
            continue
        pct, scale = m.group(2), m.group(3)
        if pct:
            facts.add(f"pct:{value:g}")
        elif scale:
            amount = value * _SCALES[scale]
            if amount >= 1e3:
                facts.add(f"amt:{float(f'{amount:.3g}'):.3g}")
        elif value != int(value):
            facts.add(f"num:{value:g}")
        elif value >= 100 and not (1900 <= value <= 2100):
            facts.add(f"num:{int(value)}")
    return frozenset(facts)


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"\w+", _fold(title)))


# ------------------------------------------------------------------------------------------
# The stage.


@dataclass
class _Node:
    idx: int
    id: int
    t: float  # seconds since epoch
    lang: str
    keys: frozenset[Any]  # entity ids and ("t", ticker)
    entities: tuple[int, ...]
    facts: frozenset[str]
    title: str
    vec: int  # row in the vector matrix, -1 when none


def assign_stories(
    sessions: sessionmaker[Session],
    *,
    window_hours: float = WINDOW_HOURS,
    similarity: float = SIMILARITY,
    copy_similarity: float = COPY_SIMILARITY,
    since: dt.date | None = None,
    recompute: bool = False,
    batch_size: int = BATCH,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> StoriesSummary:
    """Group analysed articles into stories and flag first reports per entity (module docstring).

    `since` limits the run to articles published on or after that day (UTC); `recompute`
    re-processes them even when their rows are current. Returns what was done.
    """

    if window_hours <= 0:
        raise ValueError(f"window_hours must be positive, got {window_hours}")
    window = dt.timedelta(hours=window_hours)
    since_t = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    with sessions.begin() as s:
        if recompute:
            start, has_undated = since_t, True
            if start is None:
                start = dt.datetime.min.replace(tzinfo=dt.UTC)
        else:
            start, has_undated = pending_start(s, VERSION, since_t)
        rows = [] if start is None else story_inputs(s, start - window if start.year > 1 else None)
        undated = story_inputs(s, None, undated=True, version=-1 if recompute else VERSION)
        if since_t is not None:
            undated = [u for u in undated if u.published_at is None or u.published_at >= since_t]
        if not has_undated:
            undated = []
        ids = [r.id for r in rows]
        ents = article_entities(s, ids + [u.id for u in undated])
        vectors = article_vectors(s, ids)
        context_story = assigned_stories(
            s,
            [r.id for r in rows if start is not None and r.published_at < start],  # type: ignore[operator]
        )
        next_id = next_story_id(s)

    nodes, matrix = _build_nodes(rows, ents, vectors)

    horizon = window.total_seconds()
    by_key: dict[Any, deque[int]] = defaultdict(deque)
    by_fact: dict[str, deque[int]] = defaultdict(deque)
    by_title: dict[str, deque[int]] = defaultdict(deque)
    story_of: dict[int, int] = {}  # node idx -> story id
    # story id -> entity id -> (time, article id) of its latest report naming the entity
    seen: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    out_stories: list[dict[str, Any]] = []
    out_members: list[dict[str, Any]] = []
    out_novelty: list[dict[str, Any]] = []
    todo: list[int] = []
    touched: set[int] = set()
    assert start is not None or not nodes
    start_ts = start.timestamp() if start is not None and start.year > 1 else float("-inf")

    def flush(final: bool = False) -> None:
        nonlocal out_stories, out_members, out_novelty, todo
        if not todo and not out_stories and not final:
            return
        with sessions.begin() as s:
            touched.update(clear_articles(s, [nodes[i].id for i in todo]))
            save_story_rows(s, out_stories, out_members, out_novelty)
            touched.update(m["story_id"] for m in out_members)
            if final:
                refresh_stories(s, touched)
        if progress is not None:
            progress({"stage": "stories", "done": counts["articles"], "total": len(nodes)})
        out_stories, out_members, out_novelty, todo = [], [], [], []

    for node in nodes:
        for key in node.keys:
            q = by_key[key]
            while q and nodes[q[0]].t < node.t - horizon:
                q.popleft()
        for q in [by_fact[f] for f in node.facts] + [by_title[node.title]]:
            while q and nodes[q[0]].t < node.t - horizon:
                q.popleft()
        is_context = node.t < start_ts and node.id in context_story
        if is_context:
            sid = context_story[node.id]
            story_of[node.idx] = sid
            for e in node.entities:
                seen[sid][e] = (node.t, node.id)
        else:
            found, kind, matched, evidence, score = _match(
                node,
                nodes,
                by_key,
                by_fact,
                by_title,
                story_of,
                matrix,
                similarity,
                copy_similarity,
            )
            if found is None:
                sid = next_id
                next_id += 1
                out_stories.append({"id": sid, "version": VERSION})
                counts["stories"] += 1
            else:
                sid = found
            story_of[node.idx] = sid
            counts[kind] += 1
            counts["articles"] += 1
            out_members.append(
                {
                    "article_id": node.id,
                    "story_id": sid,
                    "kind": kind,
                    "matched_article_id": matched,
                    "evidence": evidence,
                    "score": score,
                    "version": VERSION,
                }
            )
            for e in node.entities:
                prev = seen[sid].get(e)
                novel = prev is None or node.t - prev[0] > horizon
                counts["novel" if novel else "repeated"] += 1
                out_novelty.append(
                    {
                        "article_id": node.id,
                        "entity_id": e,
                        "story_id": sid,
                        "novel": novel,
                        "previous_article_id": None if novel else prev[1],  # type: ignore[index]
                        "version": VERSION,
                    }
                )
                seen[sid][e] = (node.t, node.id)
            todo.append(node.idx)
            if len(todo) >= batch_size:
                flush()
        for key in node.keys:
            by_key[key].append(node.idx)
        for fact in node.facts:
            by_fact[fact].append(node.idx)
        if node.title:
            by_title[node.title].append(node.idx)

    stories_u, members_u, novelty_u = _undated_rows(undated, ents, next_id, counts)
    out_stories += stories_u
    out_members += members_u
    out_novelty += novelty_u
    # undated articles are cleared through their own ids
    if undated:
        with sessions.begin() as s:
            touched.update(clear_articles(s, [u.id for u in undated]))
    flush(final=True)
    return StoriesSummary(
        articles=counts["articles"] + counts["undated"],
        stories=counts["stories"],
        first=counts["first"],
        follow_up=counts["follow_up"],
        copy=counts["copy"],
        novel_pairs=counts["novel"],
        repeated_pairs=counts["repeated"],
        undated=counts["undated"],
    )


def _build_nodes(
    rows: Sequence[StoryInput],
    ents: Mapping[int, list[tuple[int, str | None]]],
    vectors: Mapping[int, tuple[str, int, bytes]],
) -> tuple[list[_Node], Any]:
    """One _Node per dated row, in order, and the L2-normalised matrix of the stored vectors
    of the dominant (model, dim) (a node's `vec` indexes its row; -1: none)."""
    import numpy as np

    # Vectors of the dominant (model, dim): articles embedded by another model get none.
    models: dict[tuple[str, int], int] = defaultdict(int)
    for model, dim, _ in vectors.values():
        models[(model, dim)] += 1
    main_model = max(models, key=lambda k: models[k]) if models else None
    vec_rows: list[bytes] = []
    nodes: list[_Node] = []
    for i, r in enumerate(rows):
        stored = vectors.get(r.id)
        vec = -1
        if stored is not None and (stored[0], stored[1]) == main_model:
            vec = len(vec_rows)
            vec_rows.append(stored[2])
        pairs = ents.get(r.id, [])
        keys = frozenset([e for e, _ in pairs] + [("t", t) for _, t in pairs if t])
        assert r.published_at is not None
        nodes.append(
            _Node(
                i,
                r.id,
                r.published_at.timestamp(),
                (r.language or "").lower(),
                keys,
                tuple(sorted({e for e, _ in pairs})),
                story_facts(f"{r.title}\n{r.head}", r.language),
                _title_key(r.title),
                vec,
            )
        )
    if vec_rows:
        dim = main_model[1] if main_model else 0
        matrix = np.frombuffer(b"".join(vec_rows), dtype="<f4").reshape(len(vec_rows), dim)
        norms = np.linalg.norm(matrix, axis=1)
        matrix = matrix / np.where(norms > 0, norms, 1.0)[:, None]
    else:
        matrix = np.zeros((0, 0), dtype=np.float32)
    return nodes, matrix


def _undated_rows(
    undated: Sequence[StoryInput],
    ents: Mapping[int, list[tuple[int, str | None]]],
    next_id: int,
    counts: dict[str, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Undated articles: each a story of its own (ids from `next_id`), a first report, every
    entity novel. Returns (stories, members, novelty) rows; adds to `counts`."""
    out_stories: list[dict[str, Any]] = []
    out_members: list[dict[str, Any]] = []
    out_novelty: list[dict[str, Any]] = []
    for u in undated:
        sid = next_id
        next_id += 1
        out_stories.append({"id": sid, "version": VERSION})
        out_members.append(
            {
                "article_id": u.id,
                "story_id": sid,
                "kind": "first",
                "matched_article_id": None,
                "evidence": "undated",
                "score": None,
                "version": VERSION,
            }
        )
        for e in sorted({e for e, _ in ents.get(u.id, [])}):
            out_novelty.append(
                {
                    "article_id": u.id,
                    "entity_id": e,
                    "story_id": sid,
                    "novel": True,
                    "previous_article_id": None,
                    "version": VERSION,
                }
            )
            counts["novel"] += 1
        counts["stories"] += 1
        counts["first"] += 1
        counts["undated"] += 1
    return out_stories, out_members, out_novelty


def _match(
    node: _Node,
    nodes: list[_Node],
    by_key: dict[Any, deque[int]],
    by_fact: dict[str, deque[int]],
    by_title: dict[str, deque[int]],
    story_of: dict[int, int],
    matrix: Any,
    similarity: float,
    copy_similarity: float,
) -> tuple[int | None, str, int | None, str, float | None]:
    """(story id or None, kind, matched article id, evidence, score) for one article."""
    import numpy as np

    shared: dict[int, int] = defaultdict(int)
    for key in node.keys:
        for j in by_key.get(key, ()):
            if isinstance(key, int):
                shared[j] += 1
            else:
                shared.setdefault(j, 0)
    if not shared:
        return None, "first", None, "none", None
    facts: dict[int, int] = defaultdict(int)
    for fact in node.facts:
        for j in by_fact.get(fact, ()):
            if j in shared:
                facts[j] += 1
    titles = {j for j in by_title.get(node.title, ()) if j in shared} if node.title else set()
    sims: dict[int, float] = {}
    if node.vec >= 0:
        same = [j for j in shared if nodes[j].vec >= 0 and nodes[j].lang == node.lang]
        if same:
            rows = np.fromiter((nodes[j].vec for j in same), dtype=np.int64, count=len(same))
            values = matrix[rows] @ matrix[node.vec]
            hits = np.flatnonzero(values >= similarity)
            sims = {same[k]: float(values[k]) for k in hits.tolist()}
    best: tuple[float, int, str, float] | None = None  # (rank, j, evidence, score)
    for j in set(sims) | set(facts) | titles:
        if j not in story_of:
            continue
        cos = sims.get(j)
        if j in titles or (cos is not None and cos >= copy_similarity):
            cand = (3.0 + (cos or 1.0), j, "copy", cos if cos is not None else 1.0)
        elif cos is not None:
            cand = (2.0 + cos, j, "embedding", cos)
        else:
            n_facts = facts[j]
            union = len(set(node.entities) | set(nodes[j].entities)) or 1
            jaccard = shared[j] / union
            if not (n_facts >= 2 or (n_facts >= 1 and jaccard >= 0.5)):
                continue
            score = min(1.0, 0.5 + 0.1 * n_facts + 0.2 * jaccard)
            cand = (1.0 + score, j, "facts", score)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None:
        return None, "first", None, "none", None
    _, j, evidence, score = best
    kind = "copy" if evidence == "copy" else "follow_up"
    return story_of[j], kind, nodes[j].id, evidence, round(float(score), 4)
