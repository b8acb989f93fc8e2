"""Entities of an article: knowledge-base matches, linked NER mentions, discovered candidates.

For a parsed spaCy Doc of "TITLE\\n\\nBODY" (see nlp.text.article_text):

1. A `PhraseMatcher` built from the KB aliases (tokenised by the same pipeline, matched on ORTH so
   "Meta" is not "méta") finds known names; the longest match wins where matches overlap.
   Context aliases ("R1", "o3", "Claude", a surname) are kept only if one of their `requires` is
   in the article: another KB entity matched by an unambiguous alias, or a word.
2. spaCy's NER mentions (ORG, PERSON/PER, PRODUCT, MISC, ...) not covered by a KB match are linked
   by exact alias (case, accents, "the", "'s", "Inc" ignored), then by fuzzy match (ORG, PERSON,
   PRODUCT; 0.9 similarity, 6+ characters), then by context (a lone surname of a person already
   found in the article).
3. Unlinked organisations and people become candidate entities (key "cand-<slug>") so new players
   are discovered, after junk is filtered: sentence-initial adverbs and other non-nouns, pronouns,
   generic words ("Tech", "AI", "CEO"), finance and tech acronyms ("EPS", "QoQ", "H1", "GPU"),
   news outlets and data vendors cited as sources ("Reuters", "Les Echos", "LSEG": never
   entities of the article nor stance targets), section words, bylines and datelines glued to a
   name ("(Reuters) -Alphabet"), fragments, all-caps headers, one-word people.
4. Product and model variants: a KB model or product followed by a version, size or tier the
   KB lacks ("Gemini 2.0 Flash", "Llama 3.3 70B", "Claude 3.5 Haiku", "TPU v5p") is a mention of
   that family (the KB resolves those names to it too, and "Nvidia B200" to Blackwell); a maker
   followed by a model code the KB lacks ("Nvidia B300A", "AMD MI450X") is a discovered product
   linked to the maker (`parent`, so to its ticker), and its bare later mentions ("the B300A")
   are the same entity. Executives named with their role ("CEO Lisa Su", "Jane Roe, chief financial
   officer of Meta", "le directeur financier de Meta, Jean Dupont") are people tied to the
   organisation named with the role; the role words are not part of the name.

Salience in [0, 1]: 0.4 if named in the title, 0.2 if in the lead (first 400 characters of the
body), 0.25 * min(1, count / 5), and 0.15 * count / (count of the most-mentioned entity).
Entities at or above `STANCE_MIN_SALIENCE` get a stance.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nlp.kb import KBEntity, KnowledgeBase, normalize_name

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

LEAD_CHARS = 400
STANCE_MIN_SALIENCE = 0.15
MAX_STANCE_TARGETS = 15

LINK_LABELS = frozenset(
    {"ORG", "PERSON", "PER", "PRODUCT", "MISC", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART"}
)
FUZZY_LABELS = frozenset({"ORG", "PERSON", "PER", "PRODUCT"})


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


CANDIDATE_TYPES = {"ORG": "company", "PERSON": "person", "PER": "person"}
# A "person" whose last word is one of these is an organisation the NER mislabelled.
ORG_WORDS = _wordset(
    "labs lab ai inc corp ltd technologies robotics systems group capital ventures partners "
    "research semiconductor semiconductors energy networks cloud computing sa sas gestion "
    "conseil finance invest investments asset management securities advisory bank banque "
    "holding institute institut foundation fondation university université"
)

# Words that NER sometimes tags as organisations or people but are never a player of the race.
JUNK = _wordset(
    """
    ai ia tech la tech big tech the tech ceo cto cfo coo pdg dg président president chairman
    ipo ipos etf etfs eps pib gdp cpu npu ebitda capex opex r&d esg qoq yoy mom ttm fy h1 h2
    q1 q2 q3 q4 t1 t2 t3 t4 s1 s2 roi roe saas paas iaas hbm asic asics fpga soc tam arr mrr
    kpi b2b b2c m&a llm llms gpu gpus agi genai nlp ml api apis usd eur ebit bps pe p/e
    opinion analysis analyse breaking exclusive exclusif live update updated newsletter podcast
    video vidéo photo markets business economy économie tech politics lifestyle sponsored
    read more lire aussi related à lire aussi sources source contact editing edited
    he she they we it i you him her them il elle ils elles on nous vous lui eux ceci cela ça
    however meanwhile still yet also but and so then thus therefore moreover nonetheless
    nevertheless indeed notably instead overall today tomorrow yesterday now here there
    pourtant ainsi cependant toutefois néanmoins donc alors aussi enfin or mais et puis
    désormais aujourd'hui hier demain ici selon outre bref certes face depuis
    monday tuesday wednesday thursday friday saturday sunday
    lundi mardi mercredi jeudi vendredi samedi dimanche
    january february march april may june july august september october november december
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    reuters bloomberg afp ap associated press cnbc cnn bbc les echos le monde le figaro
    financial times ft wsj wall street journal new york times nyt the verge techcrunch wired
    the information axios politico forbes business insider fortune the economist l'usine nouvelle
    marketwatch barron's barrons semafor nikkei caixin handelsblatt libération liberation
    lseg factset refinitiv dealogic pitchbook crunchbase zonebourse boursorama investir
    nasdaq nyse s&p s&p 500 dow dow jones stoxx cac cac 40 nikkei hang seng wall street
    bourse markets market marchés startup start-up company entreprise groupe société firm
    government gouvernement ministry ministère agency agence university université
    chatbot chatbots llm llms gpu gpus cloud internet web app apps api data
    """
) | frozenset(
    {
        "big tech",
        "the tech",
        "la tech",
        "associated press",
        "les echos",
        "le monde",
        "le figaro",
        "financial times",
        "wall street journal",
        "new york times",
        "the verge",
        "the information",
        "business insider",
        "the economist",
        "bloomberg news",
        "bloomberg intelligence",
        "the wall street journal",
        "the financial times",
        "the new york times",
        "the washington post",
        "washington post",
        "yahoo finance",
        "google finance",
        "nikkei asia",
        "south china morning post",
        "les échos",
        "la tribune",
        "le parisien",
        "le point",
        "bfm business",
        "bfm bourse",
        "l'agefi",
        "agence france-presse",
        "dow jones newswires",
        "lseg data",
        "visible alpha",
        "cb insights",
        "sensor tower",
        "s&p global market intelligence",
        "morningstar direct",
        "wall street",
        "dow jones",
        "s&p 500",
        "cac 40",
        "hang seng",
        "bourse de paris",
        "bourse de new york",
        "bourse de tokyo",
        "euronext",
        "euronext paris",
        "london stock exchange",
        "stock exchange",
        "new york stock exchange",
        "silicon valley",
        "la silicon valley",
        "intelligence artificielle",
        "artificial intelligence",
        "generative ai",
        "ia générative",
    }
)
_LEADING = re.compile(r"^(?:(?:the|a|an|le|la|les|l'|d'|du|des|de|qu'|un|une)\s*)+", re.I)
# A dateline or byline glued before a name: "(Reuters) -", "PARIS (AFP) -", "Reuters -".
_DATELINE = re.compile(
    r"^[\w ,.'-]*\((?:[A-Za-z .&-]+)\)\s*[-–—:]+\s*|^(?:Reuters|AFP|AP|Bloomberg)\s*[-–—]\s*"
)
# Words of a job title before a name ("CEO Lisa Su", "chief executive officer Jane Roe").
ROLE_WORDS = _wordset(
    """
    ceo cfo coo cto cio cso cmo chief executive financial operating technology officer president
    chairman chairwoman chair founder co-founder cofounder head director managing partner vp
    vice senior analyst analyste economist pdg dg directeur directrice général générale
    financier financière fondateur fondatrice cofondateur président présidente patron patronne
    responsable associé associée
    """
)
# A role named next to a person ("Lisa Su, chief executive of AMD"; "AMD CEO Lisa Su").
_ROLE_RE = re.compile(
    r"\b(?:CEO|CFO|COO|CTO|chief (?:executive|financial|operating|technology|scientist)"
    r"(?: officer)?|president|chairman|chairwoman|founder|co-founder|head|PDG|directeur|"
    r"directrice|patron|patronne|fondateur|fondatrice|président|présidente|dirigeant)\b",
    re.I,
)
# After a KB model or product: the words of a variant ("2.0 Flash", "3.3 70B", "v5p", "Haiku").
_VARIANT_RE = re.compile(
    r"(?:[ -](?:v?\d+(?:\.\d+)*[a-z]{0,2}|\d+(?:\.\d+)?[BMK]|Flash(?:-Lite)?|Pro|Ultra|Nano|"
    r"Mini|mini|Max|Lite|Turbo|Haiku|Sonnet|Opus|Instruct|Vision|Thinking|Reasoning|Exp|"
    r"Preview|Omni|Scout|Maverick|Behemoth|Coder))+(?![\w-])(?!\.\w)"
)
# After a maker: a model code ("B300A", "MI450X", "H20E", "o4-mini").
_CODE_RE = re.compile(
    r" ((?:[A-Z]{1,4}\d{2,4}[A-Za-z]{0,3}|[a-z]\d(?:-[a-z]+)+)(?:[ -](?:Ultra|Pro|Max|NVL\d+))?)(?![\w-])(?!\.\w)"
)
_VARIANT_TYPES = frozenset({"model", "product"})
_MAKER_TYPES = frozenset({"company", "ai_lab"})
_TRAILING = re.compile(r"(?:'s|')$")
_BAD_POS_FIRST = frozenset({"ADV", "PRON", "VERB", "AUX", "CCONJ", "SCONJ", "ADP", "INTJ", "PART"})


@dataclass
class EntityHit:
    """An entity found in one article, with where and how prominently."""

    key: str
    name: str
    type: str
    ticker: str | None
    aliases: list[str]
    candidate: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)
    surfaces: Counter[str] = field(default_factory=Counter)
    salience: float = 0.0
    in_title: bool = False
    in_lead: bool = False
    parent: str | None = None  # key of the maker or organisation (discovered variants, people)
    parent_name: str | None = None

    @property
    def count(self) -> int:
        return len(self.spans)

    @property
    def first_offset(self) -> int:
        return min(s for s, _ in self.spans)

    @property
    def surface(self) -> str:
        return self.surfaces.most_common(1)[0][0] if self.surfaces else self.name

    def as_json(self) -> dict[str, Any]:
        """The `airace annotate` form: name, type, ticker, aliases, mentions, salience."""
        seen = dict.fromkeys([*sorted(self.surfaces, key=lambda s: -self.surfaces[s])])
        seen.update(dict.fromkeys(self.aliases))
        seen.pop(self.name, None)
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "ticker": self.ticker,
            "aliases": list(seen),
            "mentions": self.count,
            "salience": round(self.salience, 4),
        }
        if self.parent_name:
            out["parent"] = self.parent_name
        return out


def slugify(text: str) -> str:
    """'Acme Robotics Inc.' -> 'acme-robotics-inc' (accents folded)."""
    return re.sub(r"[^a-z0-9]+", "-", normalize_name(text)).strip("-")[:80] or "x"


class EntityFinder:
    """KB matching + NER linking for one spaCy pipeline. Build once per pipeline, reuse."""

    def __init__(self, nlp: Language, kb: KnowledgeBase) -> None:
        from spacy.matcher import PhraseMatcher

        self.kb = kb
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        # match label -> (entity key, requires or None for an unconditional alias)
        self._rules: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        texts: list[str] = []
        labels: list[str] = []
        for e in kb.entities:
            for a in e.plain_aliases:
                texts.append(a)
                labels.append(f"{e.key}|")
            self._rules[f"{e.key}|"] = (e.key, None)
            for i, c in enumerate(e.context_aliases):
                label = f"{e.key}|{i}"
                self._rules[label] = (e.key, c.requires)
                texts.append(c.text)
                labels.append(label)
        by_label: dict[str, list[Doc]] = {}
        tokenizer: Any = nlp.tokenizer
        for label, doc in zip(labels, tokenizer.pipe(texts), strict=True):
            by_label.setdefault(label, []).append(doc)
        for label, docs in by_label.items():
            self.matcher.add(label, docs)
        self._single_aliases = {
            e.key: frozenset(a for a in e.plain_aliases if " " not in a and len(a) >= 4)
            for e in kb.entities
        }
        self._fuzzy_cache: dict[str, KBEntity | None] = {}
        self._surname_of: dict[str, str] = {}
        for e in kb.entities:
            parts = e.name.split()
            if e.type == "person" and len(parts) >= 2 and len(parts[-1]) >= 3:
                self._surname_of.setdefault(parts[-1], e.key)

    # ------------------------------------------------------------------------------------------
    def find(self, doc: Doc, title_len: int = 0, *, candidates: bool = True) -> list[EntityHit]:
        """Entities of `doc`, most salient first: KB entities, plus candidates unless
        `candidates` is False (a pipeline whose NER does not know the text's language)."""
        keep_candidates = candidates
        text = doc.text
        low = text.lower()
        hits: dict[str, EntityHit] = {}
        taken = bytearray(len(doc))

        # 1. KB phrase matches, longest first, unconditional before context aliases.
        matches = []
        for match_id, start, end in self.matcher(doc):
            key, requires = self._rules[doc.vocab.strings[match_id]]
            matches.append((start, end, key, requires))
        matches.sort(key=lambda m: (-(m[1] - m[0]), m[3] is not None, m[0]))
        accepted = []
        for start, end, key, requires in matches:
            if any(taken[start:end]):
                continue
            accepted.append((start, end, key, requires))
            for i in range(start, end):
                taken[i] = 1
        present = {key for _, _, key, req in accepted if req is None}
        word_cache: dict[str, bool] = {}
        variants: dict[str, EntityHit] = {}
        for start, end, key, requires in accepted:
            if requires is not None and (
                _glued(doc, start, end) or not self._context_ok(requires, present, low, word_cache)
            ):
                for i in range(start, end):
                    taken[i] = 0
                continue
            span = doc[start:end]
            entity = self.kb.by_key[key]
            end_char = span.end_char
            if entity.type in _VARIANT_TYPES:
                # "Gemini 2.0 Flash", "TPU v5p": a variant the KB lacks is the family's mention
                end_char = _variant_end(doc, span, taken)
            self._add(hits, entity, span.start_char, end_char, doc.text[span.start_char : end_char])
            # "DeepSeek V3", "Microsoft Copilot": the text names the maker too.
            parent = self.kb.by_key.get(entity.parent or "")
            if entity.type in ("model", "product") and parent is not None and end - start > 1:
                head = doc[start]
                if head.text in self._single_aliases.get(parent.key, ()):
                    self._add(hits, parent, head.idx, head.idx + len(head.text), head.text)
            if entity.type in _MAKER_TYPES:
                self._maker_code(doc, span, entity, taken, variants)
        _bare_variant_mentions(doc, variants, taken)
        for key, variant in variants.items():
            hits.setdefault(key, variant)
        present = set(hits)

        # 2. NER mentions: link or keep as candidates.
        cands: dict[str, EntityHit] = {}
        for mention in doc.ents:
            if mention.label_ not in LINK_LABELS:
                continue
            ent: Span | None = mention
            if any(taken[mention.start : mention.end]):
                ent = _untaken_person(doc, mention, taken)  # "Meta CFO Susan Li": Susan Li
            if ent is None:
                continue
            if "\n" in ent.text:
                continue
            linked = self._link(ent, present, low, word_cache)
            if linked is not None:
                self._add(hits, linked, ent.start_char, ent.end_char, ent.text)
                continue
            cand_type = CANDIDATE_TYPES.get(ent.label_)
            if cand_type is None or not keep_candidates:
                continue
            name = clean_candidate(ent)
            if name is None:
                continue
            name, had_role = strip_role(name)
            if not name or self.kb.lookup(name) is not None:
                continue
            if had_role:
                if len(name.split()) < 2 or normalize_name(name) in JUNK:
                    continue  # "CEO" alone, "le directeur financier": a role, nobody named
                cand_type = "person"
            if cand_type == "person" and name.split()[-1].lower() in ORG_WORDS:
                cand_type = "company"
            if cand_type == "person" and len(name.split()) < 2:
                full = _full_name_for(name, cands)
                if full is not None:
                    full.spans.append((ent.start_char, ent.end_char))
                    full.surfaces[ent.text] += 1
                continue
            key = "cand-" + slugify(name)
            hit = cands.get(key)
            if hit is None:
                hit = cands[key] = EntityHit(key, name, cand_type, None, [], candidate=True)
            hit.spans.append((ent.start_char, ent.end_char))
            hit.surfaces[ent.text] += 1
        _add_lone_surnames(doc, cands, taken)
        hits.update({k: v for k, v in cands.items() if k not in hits})
        _tie_people(text, hits)

        _score(hits.values(), title_len)
        return sorted(hits.values(), key=lambda h: (-h.salience, h.first_offset))

    def _context_ok(
        self, requires: tuple[str, ...], present: set[str], low: str, cache: dict[str, bool]
    ) -> bool:
        for r in requires:
            if r in present:
                return True
            if r in self.kb.by_key:
                continue
            if r not in cache:
                word = r.lower()
                # French "j'ai" is not the word "AI" (but "l'IA" is "IA")
                before = r"(?<![\w'])" if word == "ai" else r"(?<!\w)"
                pattern = before + re.escape(word) + r"(?!\w)"
                cache[r] = re.search(pattern, low) is not None
            if cache[r]:
                return True
        return False

    def _link(
        self, ent: Span, present: set[str], low: str, cache: dict[str, bool]
    ) -> KBEntity | None:
        text = _strip_span_text(ent.text)
        if not text:
            return None
        entity = self.kb.lookup(text, strict=True)
        if entity is None and ent.label_ in FUZZY_LABELS and len(text) >= 6:
            if text not in self._fuzzy_cache:  # difflib is slow; names repeat across articles
                if len(self._fuzzy_cache) > 50_000:
                    self._fuzzy_cache.clear()
                self._fuzzy_cache[text] = self.kb.resolve(text, cutoff=0.9)
            entity = self._fuzzy_cache[text]
        if entity is not None:
            folded = normalize_name(text)
            for c in entity.context_aliases:  # "Llama" (ORG) is "LLaMA" only with context
                if normalize_name(c.text) == folded:
                    return entity if self._context_ok(c.requires, present, low, cache) else None
            return entity
        if ent.label_ in ("PERSON", "PER") and " " not in text:
            key = self._surname_of.get(text)
            if key is not None and key in present:
                return self.kb.by_key[key]
        return None

    def _maker_code(
        self, doc: Doc, span: Span, maker: KBEntity, taken: bytearray, out: dict[str, EntityHit]
    ) -> None:
        """A model code right after its maker ("Nvidia B300A", "AMD MI450X"): a product."""
        m = _CODE_RE.match(doc.text, span.end_char)
        if m is None:
            return
        code = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if code is None or any(taken[t.i] for t in code) or self.kb.lookup(m.group(1)):
            return
        letters = [c for c in m.group(1) if c.isalpha()]
        if normalize_name(m.group(1)) in JUNK or not letters:
            return
        hit = _variant_hit(out, m.group(1), "product", maker)
        hit.spans.append((m.start(1), m.end(1)))
        hit.surfaces[m.group(1)] += 1
        for t in code:
            taken[t.i] = 1

    def _add(self, hits: dict[str, EntityHit], e: KBEntity, start: int, end: int, surface: str):
        hit = hits.get(e.key)
        if hit is None:
            hit = hits[e.key] = EntityHit(e.key, e.name, e.type, e.ticker, e.all_aliases[1:])
            parent = self.kb.by_key.get(e.parent or "")
            if parent is not None:
                hit.parent, hit.parent_name = parent.key, parent.name
        hit.spans.append((start, end))
        hit.surfaces[surface] += 1


def _variant_end(doc: Doc, span: Span, taken: bytearray) -> int:
    """Where a KB model or product mention ends with the variant words after it ("Llama" +
    " 3.3 70B"); the variant's tokens are taken (so "70B" is not a candidate of its own)."""
    m = _VARIANT_RE.match(doc.text, span.end_char)
    if m is None or "\n" in m.group(0):
        return span.end_char
    tail = doc.char_span(span.end_char, m.end(), alignment_mode="expand")
    if tail is None or any(taken[t.i] for t in tail if not t.is_space):
        return span.end_char
    for t in tail:
        taken[t.i] = 1
    return m.end()


def _variant_hit(
    out: dict[str, EntityHit], name: str, type_: str, maker: KBEntity | None
) -> EntityHit:
    key = "cand-" + slugify(name)
    hit = out.get(key)
    if hit is None:
        aliases = [f"{maker.name} {name}"] if maker is not None else []
        if maker is not None and maker.name != maker.all_aliases[0]:
            aliases.append(f"{maker.all_aliases[0]} {name}")
        hit = out[key] = EntityHit(key, name, type_, None, aliases, candidate=True)
        if maker is not None:
            hit.parent, hit.parent_name = maker.key, maker.name
    return hit


def _bare_variant_mentions(doc: Doc, variants: dict[str, EntityHit], taken: bytearray) -> None:
    """Later mentions of a variant without its maker ("the B300A") are the same entity."""
    for hit in variants.values():
        pattern = re.compile(r"(?<![\w.-])" + re.escape(hit.name) + r"(?![\w-])")
        for m in pattern.finditer(doc.text):
            span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if span is None or any(taken[t.i] for t in span):
                continue
            hit.spans.append(m.span())
            hit.surfaces[m.group(0)] += 1
            for t in span:
                taken[t.i] = 1


def strip_role(name: str) -> tuple[str, bool]:
    """A name without the job title before it ("CEO Lisa Su" -> "Lisa Su"), and whether there
    was one."""
    words = name.split()
    n = 0
    while n < len(words) and words[n].lower().strip(",.") in ROLE_WORDS | {"of", "de", "du"}:
        n += 1
    if n == 0:
        return name, False
    return " ".join(words[n:]).strip(" ,"), True


def _untaken_person(doc: Doc, ent: Span, taken: bytearray) -> Span | None:
    """The part of an NER mention after a KB match and a role ("Meta CFO Susan Li" ->
    "Susan Li"), when that part is a name of two words or more; else None."""
    last = max(i for i in range(ent.start, ent.end) if taken[i])
    rest = doc[last + 1 : ent.end]
    words = [t for t in rest if not t.is_punct]
    if not words or (words[0].lower_ not in ROLE_WORDS and words[0].lower_ != "'s"):
        return None
    i = 0
    while i < len(rest) and (rest[i].lower_ in ROLE_WORDS or rest[i].is_punct
                             or rest[i].lower_ in {"'s", "of", "de"}):  # fmt: skip
        i += 1
    name = rest[i:]
    if len(name) < 2 or not all(t.text[:1].isupper() for t in name):
        return None
    return doc[name.start : name.end]


def _tie_people(text: str, hits: dict[str, EntityHit]) -> None:
    """Tie a discovered person to the organisation named with their role: "AMD CEO Lisa Su",
    "Jane Roe, chief financial officer of Meta", "le PDG de Nvidia, Jensen Huang"."""
    orgs = [(s, e, h) for h in hits.values() if h.type in _MAKER_TYPES | {"government"}
            for s, e in h.spans]  # fmt: skip
    for person in hits.values():
        if person.type != "person" or not person.candidate or person.parent:
            continue
        best: tuple[int, EntityHit] | None = None
        for ps, pe in person.spans:
            for os_, oe, org in orgs:
                if oe <= ps and ps - oe <= 60:
                    between = text[oe:ps]
                elif os_ >= pe and os_ - pe <= 60:
                    between = text[pe:os_]
                else:
                    continue
                if _ROLE_RE.search(between) is None or re.search(r"[.;!?]\s", between):
                    continue
                gap = len(between)
                if best is None or gap < best[0]:
                    best = (gap, org)
        if best is not None:
            person.parent, person.parent_name = best[1].key, best[1].name


def _glued(doc: Doc, start: int, end: int) -> bool:
    """True when the span is hyphen-joined to the word before it ("Open-R1" is not "R1")."""
    return start >= 2 and doc[start - 1].text == "-" and not doc[start - 2].whitespace_


def _add_lone_surnames(doc: Doc, cands: dict[str, EntityHit], taken: bytearray) -> None:
    """Count a discovered person's lone surname ("Ferrante" after "Marisol Ferrante"), which the
    NER often leaves untagged, when it comes after the full name."""
    by_surname = {h.name.split()[-1]: h for h in cands.values() if h.type == "person"}
    if not by_surname:
        return
    for tok in doc:
        hit = by_surname.get(tok.text)
        if hit is None or taken[tok.i] or tok.idx <= hit.spans[0][0]:
            continue
        span = (tok.idx, tok.idx + len(tok.text))
        if not any(s <= span[0] < e for s, e in hit.spans):
            hit.spans.append(span)
            hit.surfaces[tok.text] += 1


def _full_name_for(surname: str, candidates: dict[str, EntityHit]) -> EntityHit | None:
    for hit in candidates.values():
        if hit.type == "person" and hit.name.split()[-1] == surname:
            return hit
    return None


def _strip_span_text(text: str) -> str:
    t = _LEADING.sub("", text.strip())
    t = _TRAILING.sub("", t)
    return t.strip(" \"'()[],.;:!?-")


def clean_candidate(ent: Span) -> str | None:
    """The cleaned name of an unlinked NER mention, or None when it is junk."""
    tokens = [t for t in ent if not (t.is_punct or t.lower_ in ("the", "l'", "d'", "qu'"))]
    while tokens and tokens[0].pos_ == "DET":
        tokens = tokens[1:]
    if not tokens or len(tokens) > 6:
        return None
    if any(t.is_sent_start for t in ent[1:]) or ". " in ent.text:
        return None  # runs across a sentence boundary ("X. Meanwhile")
    first = tokens[0]
    if first.pos_ == "PRON" or (first.pos_ in _BAD_POS_FIRST and not first.text[:1].isupper()):
        return None
    if len(tokens) == 1 and (
        first.pos_ in _BAD_POS_FIRST
        or (first.is_sent_start and (first.is_stop or first.pos_ not in ("PROPN", "X")))
    ):
        return None
    raw = _DATELINE.sub("", ent.text.strip())
    if raw != ent.text.strip() and not raw:
        return None
    name = _strip_span_text(raw)
    if len(name) < 2 or len(name) > 60 or not re.search(r"[^\W\d_]", name):
        return None
    if re.search(r"[()\[\]|/\\]", name) or re.search(r"\s[-–—]\S|\S[-–—]\s", name):
        return None  # "Reuters) -Alphabet", "Markets | Nvidia": glued to punctuation
    if not name[0].isupper() and not name[0].isdigit():
        return None
    if name.startswith("'") or name.endswith("'") or "'" in name.split()[0][-1:]:
        return None
    folded = normalize_name(name)
    if folded in JUNK:
        return None
    letters = [c for c in name if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and (len(letters) > 6 or " " in name):
        return None  # all-caps header or shouted word
    if re.search(r"\d{3,}", name):
        return None
    return name


def _score(hits: Any, title_len: int) -> None:
    hits = list(hits)
    if not hits:
        return
    max_count = max(h.count for h in hits)
    lead_start = title_len + 2 if title_len else 0
    for h in hits:
        h.spans.sort()
        h.in_title = title_len > 0 and any(s < title_len for s, _ in h.spans)
        h.in_lead = any(lead_start <= s < lead_start + LEAD_CHARS for s, _ in h.spans)
        h.salience = min(
            1.0,
            0.4 * h.in_title
            + 0.2 * h.in_lead
            + 0.25 * min(1.0, h.count / 5)
            + 0.15 * h.count / max_count,
        )
