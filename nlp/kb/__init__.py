"""The AI-race knowledge base (nlp.kb): entities, aliases (EN + FR), tickers, parents, exposures.

The data lives in `nlp/kb/*.yaml` (format and exposure weights documented in nlp/kb/README.md).
`load_kb()` reads and validates it; `KnowledgeBase.records()` gives plain dicts for
`db.entities.sync_kb`, `resolve(name)` maps any alias, ticker or near spelling to an entity, and
`relevance_terms()` gives the crawler the words that make a page part of the AI race.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

KB_DIR = Path(__file__).resolve().parent
ENTITY_TYPES = ("company", "ai_lab", "model", "product", "person", "government", "project", "other")
RELATIONS = ("investor", "partner", "supplier", "customer")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Generic words that mark a text as part of the AI race (the crawler's relevance filter adds the
# entities' names and aliases). Lower-case; matched on word boundaries, case-insensitively.
AI_RACE_KEYWORDS = (
    "artificial intelligence",
    "intelligence artificielle",
    "generative ai",
    "ia générative",
    "ia generative",
    "large language model",
    "large language models",
    "grand modèle de langage",
    "grands modèles de langage",
    "llm",
    "llms",
    "chatbot",
    "chatbots",
    "agent ia",
    "agents ia",
    "ai agent",
    "ai agents",
    "ai model",
    "ai models",
    "modèle d'ia",
    "modèles d'ia",
    "foundation model",
    "frontier model",
    "open-source model",
    "modèle open source",
    "gpu",
    "gpus",
    "ai chip",
    "ai chips",
    "puces d'ia",
    "semiconductor",
    "semiconductors",
    "semi-conducteurs",
    "data center",
    "data centers",
    "data centre",
    "data centres",
    "centre de données",
    "centres de données",
    "hyperscaler",
    "hyperscalers",
    "export controls",
    "contrôles à l'exportation",
    "agi",
    "superintelligence",
    "machine learning",
    "apprentissage automatique",
    "deep learning",
    "inference",
    "inférence",
)


_AI_TYPES = ("ai_lab", "model", "product", "project")
# Listed companies whose news is AI-race news by default (chips, AI clouds, AI software).
AI_CORE_COMPANIES = frozenset(
    [
        "nvidia",
        "amd",
        "tsmc",
        "asml",
        "broadcom",
        "arm",
        "supermicro",
        "coreweave",
        "nebius",
        "cerebras",
        "groq",
        "sk-hynix",
        "cambricon",
        "palantir",
        "smic",
        "high-flyer",
        "mgx",
    ]
)


class KBError(ValueError):
    """The knowledge base files are malformed (one clear line per problem)."""


@dataclass(frozen=True)
class ContextAlias:
    """An ambiguous alias, linked only when one of `requires` (KB keys or words) is in the text."""

    text: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class KBExposure:
    """A listed ticker exposed to the entity, with the relation and a weight in [0, 1]."""

    ticker: str
    relation: str
    weight: float
    note: str = ""


@dataclass(frozen=True)
class KBEntity:
    """One entity of the knowledge base."""

    key: str
    name: str
    type: str
    ticker: str | None = None
    exchange: str | None = None
    country: str | None = None
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    context_aliases: tuple[ContextAlias, ...] = ()
    exposures: tuple[KBExposure, ...] = ()
    description: str | None = None
    version: str | None = None

    @property
    def plain_aliases(self) -> list[str]:
        """Name and aliases that link without context (a name that is also a context alias,
        like "Claude" or "Gemini", needs context)."""
        ctx = {c.text for c in self.context_aliases}
        return [a for a in (self.name, *self.aliases) if a not in ctx]

    @property
    def all_aliases(self) -> list[str]:
        """Name, aliases and context aliases, in that order, without repeats."""
        seen: dict[str, None] = {self.name: None}
        for a in (*self.aliases, *(c.text for c in self.context_aliases)):
            seen.setdefault(a, None)
        return list(seen)


def normalize_name(text: str) -> str:
    """Fold a name for lookups: accents off, case-folded, apostrophes and spaces unified.

    Also drops a leading article ("the", "le", "l'") and a trailing possessive ("'s").
    """
    t = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    t = re.sub(r"\s+", " ", t).strip(" .,;:!?\"'()[]")
    t = re.sub(r"^(the|le|la|les|l') ?", "", t)
    t = re.sub(r"'s$", "", t)
    return t.strip()


# A word of a model or product variant, folded: "2.0", "v5p", "70b", "flash", "haiku".
_VARIANT_WORD = re.compile(
    r"v?\d+(?:\.\d+)*[a-z]{0,2}|\d+(?:\.\d+)?[bmk]|flash(?:-lite)?|pro|ultra|nano|mini|max|lite|"
    r"turbo|haiku|sonnet|opus|instruct|vision|thinking|reasoning|exp|preview|omni|scout|"
    r"maverick|behemoth|coder"
)
_CORP_SUFFIX = re.compile(
    r"\s*,?\s+(inc|inc\.|corp|corp\.|corporation|co|co\.|ltd|ltd\.|llc|plc|sa|se|ag|nv|"
    r"group|groupe|holding|holdings|technologies)$"
)


def strip_corporate_suffix(folded: str) -> str:
    """'nvidia corp' -> 'nvidia' (input already normalised)."""
    prev = None
    while prev != folded:
        prev, folded = folded, _CORP_SUFFIX.sub("", folded)
    return folded


@dataclass
class KnowledgeBase:
    """The loaded knowledge base. Build with `load_kb()`."""

    entities: list[KBEntity]
    version: str = ""
    by_key: dict[str, KBEntity] = field(init=False)

    def __post_init__(self) -> None:
        self.by_key = {e.key: e for e in self.entities}

    def get(self, key: str) -> KBEntity | None:
        return self.by_key.get(key)

    @cached_property
    def _strict_index(self) -> dict[str, str]:
        """Folded name/alias -> key, unconditional aliases only (first entity wins)."""
        idx: dict[str, str] = {}
        for e in self.entities:
            for a in e.plain_aliases:
                for f in (normalize_name(a), strip_corporate_suffix(normalize_name(a))):
                    if f:
                        idx.setdefault(f, e.key)
        return idx

    @cached_property
    def _index(self) -> dict[str, str]:
        """Folded alias -> key. Unconditional aliases win over tickers and context aliases."""
        idx = dict(self._strict_index)
        for e in self.entities:
            if e.ticker:
                idx.setdefault(normalize_name(e.ticker), e.key)
                idx.setdefault(normalize_name(e.ticker.split(".")[0]), e.key)
            for c in e.context_aliases:
                idx.setdefault(normalize_name(c.text), e.key)
        return idx

    @cached_property
    def _fuzzy_keys(self) -> list[str]:
        return [k for k in self._index if len(k) >= 5]

    def lookup(self, name: str, *, strict: bool = False) -> KBEntity | None:
        """Exact lookup of a name, alias or ticker (case, accents, 'the', "'s", 'Inc' ignored).

        With `strict`, only names and unconditional aliases count (no tickers, no context aliases).
        """
        idx = self._strict_index if strict else self._index
        f = normalize_name(name)
        key = idx.get(f) or idx.get(strip_corporate_suffix(f))
        if key is None:
            key = self._variant_key(f, idx)
        return self.by_key[key] if key else None

    def _variant_key(self, folded: str, idx: dict[str, str]) -> str | None:
        """A model or product named with its maker or a variant the KB lacks: "nvidia b200"
        (Blackwell), "llama 3.3 70b" (Llama), "tpu v5p" (TPU), "google gemini 2.0 flash"."""
        words = folded.split()
        for cut in range(1, min(3, len(words))):  # a maker before it
            maker = idx.get(" ".join(words[:cut]))
            rest = " ".join(words[cut:])
            key = idx.get(rest) or self._tail_key(rest, idx)
            if maker and key and self.by_key[key].parent == maker:
                return key
        return self._tail_key(folded, idx)

    def _tail_key(self, folded: str, idx: dict[str, str]) -> str | None:
        """The model or product a name starts with, followed only by variant words."""
        words = folded.split()
        for n in range(len(words) - 1, 0, -1):
            if not all(_VARIANT_WORD.fullmatch(w) for w in words[n:]):
                break
            key = idx.get(" ".join(words[:n]))
            if key and self.by_key[key].type in ("model", "product"):
                return key
        return None

    def resolve(self, name: str, *, fuzzy: bool = True, cutoff: float = 0.88) -> KBEntity | None:
        """The entity that `name` designates: an alias, ticker, or (with `fuzzy`) a near spelling.

        Stable API (used by the evaluation): `resolve("Google")` is Alphabet, `resolve("NVDA")` is
        Nvidia, `resolve("Open AI")` is OpenAI; None when nothing is close enough.
        """
        if not name or not name.strip():
            return None
        hit = self.lookup(name)
        if hit is not None or not fuzzy:
            return hit
        f = strip_corporate_suffix(normalize_name(name))
        if len(f) < 5:
            return None
        close = difflib.get_close_matches(f, self._fuzzy_keys, n=1, cutoff=cutoff)
        return self.by_key[self._index[close[0]]] if close else None

    def tickers(self, key: str) -> list[tuple[str, str, float]]:
        """(ticker, link_type, weight) for an entity: its own ticker, its parent's, its exposures."""
        e = self.by_key[key]
        out: list[tuple[str, str, float]] = []
        if e.ticker:
            out.append((e.ticker, "direct", 1.0))
        exposures = e.exposures
        p = self.by_key.get(e.parent or "")
        while p is not None and not out:
            if p.ticker:
                out.append((p.ticker, "parent", 0.8))
            exposures = exposures or p.exposures  # a person or model inherits the lab's links
            p = self.by_key.get(p.parent or "")
        seen = {t for t, _, _ in out}
        for x in exposures:
            if x.ticker not in seen:
                out.append((x.ticker, "exposure", x.weight))
                seen.add(x.ticker)
        return out

    def relevance_terms(self) -> list[str]:
        """Words that mark a page as part of the AI race (EN + FR), sorted and unique.

        Generic AI-race keywords, plus the names and unambiguous aliases (3+ characters) of labs,
        models, products, projects, AI-core chip and cloud companies and the people who lead
        them. Broad companies (Apple, Amazon, Tesla...) and governments are left out: a page
        about them is relevant only if it also says something about AI.
        """
        terms: set[str] = set(AI_RACE_KEYWORDS)
        core = {e.key for e in self.entities if e.type in _AI_TYPES or e.key in AI_CORE_COMPANIES}
        for e in self.entities:
            if e.key in core or (e.type == "person" and e.parent in core):
                terms.update(a for a in (e.name, *e.aliases) if len(a) >= 3)
        return sorted(terms, key=str.casefold)

    def records(self) -> list[dict[str, Any]]:
        """Plain dicts for `db.entities.sync_kb` (parents by key, exposures nested)."""
        return [
            {
                "key": e.key,
                "name": e.name,
                "type": e.type,
                "aliases": e.all_aliases[1:],
                "ticker": e.ticker,
                "exchange": e.exchange,
                "country": e.country,
                "description": e.description,
                "parent": e.parent,
                "kb_version": e.version,
                "exposures": [
                    {"ticker": x.ticker, "relation": x.relation, "weight": x.weight, "note": x.note}
                    for x in e.exposures
                ],
            }
            for e in self.entities
        ]


def _as_list(v: Any, where: str) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise KBError(f"{where}: expected a list, got {v!r}")
    return v


def _entity(raw: dict[str, Any], version: str, where: str) -> KBEntity:
    if not isinstance(raw, dict):
        raise KBError(f"{where}: expected a mapping, got {raw!r}")
    key, name, typ = raw.get("key"), raw.get("name"), raw.get("type")
    if not isinstance(key, str) or not _KEY.match(key):
        raise KBError(f"{where}: bad key {key!r} (lower-case slug)")
    if not isinstance(name, str) or not name.strip():
        raise KBError(f"{where} {key}: missing name")
    if typ not in ENTITY_TYPES:
        raise KBError(f"{where} {key}: type {typ!r} is not one of {', '.join(ENTITY_TYPES)}")
    unknown = set(raw) - {
        "key",
        "name",
        "type",
        "ticker",
        "exchange",
        "country",
        "parent",
        "aliases",
        "context_aliases",
        "exposures",
        "description",
    }
    if unknown:
        raise KBError(f"{where} {key}: unknown field(s) {', '.join(sorted(unknown))}")
    ctx = []
    for c in _as_list(raw.get("context_aliases"), f"{where} {key}"):
        if not isinstance(c, dict) or not c.get("text") or not c.get("requires"):
            raise KBError(f"{where} {key}: context alias needs text and requires: {c!r}")
        ctx.append(ContextAlias(str(c["text"]), tuple(str(r) for r in c["requires"])))
    exposures = []
    for x in _as_list(raw.get("exposures"), f"{where} {key}"):
        try:
            exp = KBExposure(
                str(x["ticker"]), str(x["relation"]), float(x["weight"]), x.get("note", "")
            )
        except (KeyError, TypeError, ValueError):
            raise KBError(
                f"{where} {key}: exposure needs ticker, relation, weight: {x!r}"
            ) from None
        if exp.relation not in RELATIONS or not 0 <= exp.weight <= 1:
            raise KBError(f"{where} {key}: bad exposure {x!r}")
        exposures.append(exp)
    ticker = raw.get("ticker")
    return KBEntity(
        key=key,
        name=name.strip(),
        type=typ,
        ticker=str(ticker) if ticker is not None else None,
        exchange=raw.get("exchange"),
        country=raw.get("country"),
        parent=raw.get("parent"),
        aliases=tuple(str(a) for a in _as_list(raw.get("aliases"), f"{where} {key}")),
        context_aliases=tuple(ctx),
        exposures=tuple(exposures),
        description=raw.get("description"),
        version=version,
    )


def _add_surnames(entities: list[KBEntity]) -> list[KBEntity]:
    """Give each person a context alias for the surname, valid when the full name is present."""
    taken = {a for e in entities for a in e.all_aliases}
    out = []
    for e in entities:
        parts = e.name.split()
        surname = parts[-1] if len(parts) >= 2 else ""
        if (
            e.type == "person"
            and len(surname) >= 4
            and surname[0].isupper()
            and surname not in taken
            and surname not in e.all_aliases
        ):
            e = KBEntity(
                **{
                    **e.__dict__,
                    "context_aliases": (*e.context_aliases, ContextAlias(surname, (e.key,))),
                }
            )
        out.append(e)
    return out


def load_kb(paths: Sequence[Path] | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (all of nlp/kb/*.yaml by default)."""
    files = sorted(KB_DIR.glob("*.yaml")) if paths is None else [Path(p) for p in paths]
    entities: list[KBEntity] = []
    versions = []
    for f in files:
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise KBError(f"cannot read knowledge base file {f}: {err}") from None
        version = str(data.get("version", ""))
        versions.append(version)
        for i, raw in enumerate(_as_list(data.get("entities"), str(f))):
            entities.append(_entity(raw, version, f"{f.name}[{i}]"))
    keys: set[str] = set()
    for ent in entities:
        if ent.key in keys:
            raise KBError(f"duplicate knowledge base key {ent.key!r}")
        keys.add(ent.key)
    for ent in entities:
        if ent.parent and ent.parent not in keys:
            raise KBError(f"{ent.key}: unknown parent {ent.parent!r}")
    return KnowledgeBase(_add_surnames(entities), version=max(versions, default=""))
