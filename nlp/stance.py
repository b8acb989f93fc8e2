"""Stance toward each target entity of an article: favourable (+1), neutral (0), unfavourable (-1).

The method is cheap and explainable: no model beyond the spaCy parse already computed.

1. Target sentences: every sentence with a mention of the target (title x2, lead x1.5), plus a
   sentence with no entity at all right after one whose first entity is the target (x0.5: "Its
   shares fell").
2. Cues: a bilingual domain lexicon (nlp/stance_lexicon.yaml) of market moves ("plunged",
   "dégringole", "-17 %"), results and judgements ("beat expectations", "salue"), each with a role
   that says who the cue is about (state: its subject; agent: subject +, object -; hurt/help: the
   object).
3. Attribution: a sentence is cut into clauses at contrast words and subordinators ("but", "mais",
   "after", "après"); a cue only reaches entities of its own clause, the subject being the nearest
   entity before the cue (the entity after "by"/"par" in a passive), the object the first after it.
4. Negation ("not", "never", "n'...pas", "ne...plus", "sans") near the cue flips it and weakens it;
   the clause after a contrast word weighs more than the one before; questions and hedged clauses
   ("could", "pourrait") weigh less.
5. Score = tanh(sum / 2), label by a threshold calibrated on tests/data/nlp_dev.jsonl; confidence
   grows with the score and the amount of evidence; the evidence is the sentence that contributed
   most in the direction of the label.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_PATH = Path(__file__).with_name("stance_lexicon.yaml")

# |score| above this gives a non-zero label (calibrated on the training split of the dev set).
LABEL_THRESHOLD = 0.2
SCORE_SCALE = 2.0

TITLE_WEIGHT = 2.0
LEAD_WEIGHT = 1.5
CARRY_WEIGHT = 0.5
QUESTION_WEIGHT = 0.4
HEDGE_WEIGHT = 0.7
NEGATION_FACTOR = -0.7
BEFORE_CONTRAST = 0.6
AFTER_CONTRAST = 1.5
OTHER_SUBJECT = 0.7  # another entity listed with the subject ("Nvidia and AMD fell")
REMOTE_ENTITY = 0.25  # an entity of the clause that is neither subject nor object

# Words that open a subordinate clause whose cues concern other entities ("fell after X rose").
SUBORDINATORS = {
    "en": {"after", "because", "as", "since", "while", "following", "amid", "when", "whereas"},
    "fr": {"après", "car", "parce", "puisque", "alors", "lorsque", "quand", "tandis", "suite"},
}
# Tokens allowed between two subjects listed together ("Nvidia, AMD and Broadcom").
LIST_GLUE = {",", "and", "et", "&", "or", "ou", "as", "well", "its", "rival", "peer", "'s", "s"}
PASSIVE_BY = {"en": {"by"}, "fr": {"par"}}
PASSIVE_AUX = {"en": {"was", "were", "is", "are", "been", "be", "being", "get", "got"},
               "fr": {"été", "est", "sont", "a", "ont", "être", "fut"}}  # fmt: skip


@dataclass
class StanceTarget:
    """An entity whose stance is wanted, with where it is mentioned."""

    key: str  # KB key (or candidate key)
    name: str  # canonical name
    spans: list[tuple[int, int]]  # char offsets of the entity's mentions in doc.text


@dataclass
class StanceResult:
    """The stance of an article toward one target."""

    key: str
    score: float  # [-1, 1]
    label: int  # -1, 0, +1
    confidence: float  # [0, 1]
    evidence: str  # the sentence that decided it


@dataclass(frozen=True)
class Cue:
    """A lexicon entry: role (state, agent, hurt, help) and signed weight."""

    role: str
    weight: float


@dataclass
class Lexicon:
    """The lexicon of one language, ready for matching."""

    exact: dict[str, Cue] = field(default_factory=dict)
    prefixes: list[tuple[str, Cue]] = field(default_factory=list)  # longest first
    phrases: list[tuple[re.Pattern[str], float]] = field(default_factory=list)
    negators: frozenset[str] = frozenset()
    contrast: frozenset[str] = frozenset()
    hedges: frozenset[str] = frozenset()

    def lookup(self, text: str, lemma: str) -> Cue | None:
        """The cue a token's lower-cased text or lemma matches, if any."""
        for form in (text, lemma):
            cue = self.exact.get(form)
            if cue is not None:
                return cue
        for prefix, cue in self.prefixes:
            if text.startswith(prefix):
                return cue
        return None


@lru_cache(maxsize=4)
def load_lexicon(lang: str, path: Path = LEXICON_PATH) -> Lexicon:
    """Load the lexicon of `lang` ("en" or "fr") from the YAML file, once per process."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    section = data["fr" if lang == "fr" else "en"]
    lex = Lexicon()
    for role in ("state", "agent", "hurt", "help"):  # the first role listed wins
        for word, weight in (section.get(role) or {}).items():
            word = str(word).lower()
            cue = Cue(role, float(weight))
            if word.endswith("*"):
                lex.prefixes.append((word[:-1], cue))
            elif " " in word:
                sign = -1.0 if role == "hurt" else 1.0
                pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
                lex.phrases.append((pattern, sign * float(weight)))
            else:
                lex.exact.setdefault(word, cue)
    lex.prefixes.sort(key=lambda item: -len(item[0]))
    for phrase, weight in (section.get("phrases") or {}).items():
        lex.phrases.append((re.compile(str(phrase)), float(weight)))
    lex.negators = frozenset(str(w).lower() for w in section.get("negators") or ())
    lex.contrast = frozenset(str(w).lower() for w in section.get("contrast") or ())
    lex.hedges = frozenset(str(w).lower() for w in section.get("hedges") or ())
    return lex


@dataclass
class _Hit:
    """A cue found in a sentence: token position, role, signed weight."""

    pos: int
    role: str
    weight: float
    phrase: bool = False


def score_stances(doc: Any, targets: list[StanceTarget], lang: str) -> list[StanceResult]:
    """Score the stance of the parsed article `doc` toward each target, in the order given.

    `doc` is a spaCy Doc of "TITLE\\n\\nBODY" parsed with the full pipeline for `lang`
    ("en", "fr"; anything else is treated as "en").
    """
    lang = "fr" if lang == "fr" else "en"
    lex = load_lexicon(lang)
    if not targets:
        return []
    title_end = doc.text.find("\n\n")
    sents = _sentences(doc)
    # Token index of each mention start, per target.
    starts: dict[int, list[int]] = {}
    for ti, target in enumerate(targets):
        for start, end in target.spans:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                starts.setdefault(ti, []).append(span.start)
    totals = [0.0] * len(targets)
    magnitude = [0.0] * len(targets)
    best: list[tuple[float, str]] = [(0.0, "") for _ in targets]
    first_sentence: list[str] = [""] * len(targets)
    lead_seen = False
    carry_target: int | None = None
    for sent in sents:
        in_title = title_end >= 0 and sent.start_char < title_end
        weight = TITLE_WEIGHT if in_title else 1.0
        if not in_title and not lead_seen:
            weight, lead_seen = LEAD_WEIGHT, True
        mentions = sorted(
            (pos, ti) for ti, poss in starts.items() for pos in poss if sent.start <= pos < sent.end
        )
        carried = False
        if not mentions:
            if carry_target is None or not _opens_with_pronoun(sent, lang):
                carry_target = None
                continue
            mentions = [(sent.start, carry_target)]
            weight *= CARRY_WEIGHT
            carried = True
        else:
            carry_target = mentions[0][1]
        contributions = _score_sentence(sent, mentions, lex, lang, carried)
        if sent.text.rstrip().endswith("?"):
            weight *= QUESTION_WEIGHT
        text = sent.text.strip()
        for ti, value in contributions.items():
            if not first_sentence[ti]:
                first_sentence[ti] = text
            totals[ti] += weight * value
            magnitude[ti] += abs(weight * value)
            if abs(weight * value) > abs(best[ti][0]):
                best[ti] = (weight * value, text)
        for _, ti in mentions:
            if not first_sentence[ti]:
                first_sentence[ti] = text
    results = []
    for ti, target in enumerate(targets):
        score = math.tanh(totals[ti] / SCORE_SCALE)
        label = 1 if score > LABEL_THRESHOLD else -1 if score < -LABEL_THRESHOLD else 0
        evidence = best[ti][1] if label and best[ti][0] * label > 0 else first_sentence[ti]
        # Confidence: how far from the threshold, discounted when evidence pulls both ways.
        agreement = abs(totals[ti]) / magnitude[ti] if magnitude[ti] else 1.0
        if label:
            confidence = min(1.0, abs(score)) * (0.5 + 0.5 * agreement)
        else:
            confidence = (1.0 - abs(score) / LABEL_THRESHOLD * 0.5) * (0.4 + 0.6 * agreement)
        results.append(
            StanceResult(target.key, round(score, 4), label, round(confidence, 4), evidence)
        )
    return results


def _sentences(doc: Any) -> list[Any]:
    """The doc's sentences, also cut at line breaks (the parser may join the title to the lead)."""
    out = []
    for sent in doc.sents:
        start = sent.start
        for tok in sent:
            if tok.is_space and "\n" in tok.text:
                if tok.i > start:
                    out.append(doc[start : tok.i])
                start = tok.i + 1
        if start < sent.end:
            out.append(doc[start : sent.end])
    return [s for s in out if s.text.strip()]


_PRONOUNS = {
    "en": {"it", "its", "the", "they", "their", "shares", "analysts", "but", "however", "this"},
    "fr": {"il", "elle", "son", "sa", "ses", "le", "la", "les", "l'", "mais", "pourtant", "ce",
           "cette", "l'action", "le titre"},
}  # fmt: skip


def _opens_with_pronoun(sent: Any, lang: str) -> bool:
    """Whether a sentence with no entity plausibly continues about the previous one."""
    first = next((t for t in sent if not t.is_space and not t.is_punct), None)
    return first is not None and first.lower_ in _PRONOUNS[lang]


def _find_hits(sent: Any, lex: Lexicon) -> list[_Hit]:
    """Lexicon cues in a sentence, by token position (phrases first, tokens they cover skipped)."""
    hits: list[_Hit] = []
    covered: set[int] = set()
    text = sent.text.lower()
    base = sent.start_char
    for pattern, weight in lex.phrases:
        for match in pattern.finditer(text):
            span = sent.doc.char_span(
                base + match.start(), base + match.end(), alignment_mode="expand"
            )
            if span is None or not len(span) or any(t.i in covered for t in span):
                continue
            covered.update(t.i for t in span)
            hits.append(_Hit(span.start, "state", weight, phrase=True))
    for tok in sent:
        if tok.i in covered or tok.is_punct or tok.is_space or tok.like_num:
            continue
        if tok.pos_ == "PROPN" and not tok.is_sent_start:
            continue
        cue = lex.lookup(tok.lower_, tok.lemma_.lower())
        if cue is not None:
            hits.append(_Hit(tok.i, cue.role, cue.weight))
    return sorted(hits, key=lambda h: h.pos)


def _clauses(sent: Any, lex: Lexicon, lang: str) -> list[tuple[int, int, float]]:
    """Cut a sentence into (start, end, weight) clauses at contrast words and subordinators."""
    cuts: list[tuple[int, bool]] = []
    for tok in sent:
        word = tok.lower_
        if word in lex.contrast:
            cuts.append((tok.i, True))
        elif word in SUBORDINATORS[lang] or tok.text == ";":
            cuts.append((tok.i, False))
    bounds = [sent.start] + [i for i, _ in cuts] + [sent.end]
    # The clause after the last contrast word outweighs the ones before it ("X fell, but ...").
    pivot = max((i for i, is_contrast in cuts if is_contrast and i > sent.start), default=None)
    clauses = []
    for k in range(len(bounds) - 1):
        if bounds[k] == bounds[k + 1]:
            continue
        weight = 1.0
        if pivot is not None:
            weight = AFTER_CONTRAST if bounds[k] >= pivot else BEFORE_CONTRAST
        clauses.append((bounds[k], bounds[k + 1], weight))
    return clauses


def _negated(sent: Any, pos: int, lex: Lexicon, lang: str, clause: tuple[int, int]) -> bool:
    """Whether a negator governs the cue at `pos` (a window of tokens, or a `neg` dependent)."""
    doc = sent.doc
    tok = doc[pos]
    if any(child.dep_ == "neg" for child in tok.children):
        return True
    if (
        tok.head is not tok
        and tok.dep_ in {"attr", "dobj", "acomp", "xcomp", "obj"}
        and any(c.dep_ == "neg" for c in tok.head.children)
    ):
        return True
    lo = max(clause[0], pos - 4)
    hi = min(clause[1], pos + (2 if lang == "fr" else 1))
    return any(doc[i].lower_ in lex.negators for i in range(lo, hi) if i != pos)


def _passive(sent: Any, pos: int, lang: str, clause: tuple[int, int]) -> int | None:
    """If the cue at `pos` is a passive verb, the token index of its agent ("by X"), or -1."""
    doc = sent.doc
    before = {doc[i].lower_ for i in range(max(clause[0], pos - 3), pos)}
    if not before & PASSIVE_AUX[lang] and doc[pos].tag_ != "VBN":
        return None
    for i in range(pos + 1, min(clause[1], pos + 4)):
        if doc[i].lower_ in PASSIVE_BY[lang]:
            return i
    if before & PASSIVE_AUX[lang] and (lang == "fr" or doc[pos].tag_ == "VBN"):
        return -1
    return None


def _score_sentence(
    sent: Any, mentions: list[tuple[int, int]], lex: Lexicon, lang: str, carried: bool
) -> dict[int, float]:
    """Signed contribution of one sentence to each mentioned target (missing: no contribution)."""
    doc = sent.doc
    out: dict[int, float] = {ti: 0.0 for _, ti in mentions}
    hits = _find_hits(sent, lex)
    if not hits:
        return out
    hedged = any(t.lower_ in lex.hedges for t in sent)
    for start, end, clause_weight in _clauses(sent, lex, lang):
        inside = [(p, ti) for p, ti in mentions if start <= p < end]
        if carried:
            inside = mentions
        if not inside:
            continue
        for hit in (h for h in hits if start <= h.pos < end):
            sign = NEGATION_FACTOR if _negated(sent, hit.pos, lex, lang, (start, end)) else 1.0
            value = hit.weight * sign * clause_weight * (HEDGE_WEIGHT if hedged else 1.0)
            before = [(p, ti) for p, ti in inside if p < hit.pos]
            after = [(p, ti) for p, ti in inside if p > hit.pos]
            agent_at = None if hit.phrase else _passive(sent, hit.pos, lang, (start, end))
            if agent_at is not None:
                # Passive: the grammatical subject undergoes the action; "by X" is the doer.
                doers = [(p, ti) for p, ti in after if agent_at >= 0 and p > agent_at]
                before, after = doers, before
            subjects = _subjects(doc, before)
            if not subjects and hit.role == "state":
                subjects = {after[0][1]: 1.0} if after else {}
                after = after[1:]
            if (
                hit.role in {"hurt", "help"}
                and not after
                and agent_at is None
                and _has_object(doc, hit.pos, end)
            ):
                continue  # "DeepSeek rattles investors": about someone else
            objects = {ti: 1.0 for _, ti in after[:1]}
            for _, ti in after[1:]:
                objects.setdefault(ti, REMOTE_ENTITY)
            for ti, share in _roles(hit.role, subjects, objects).items():
                out[ti] = out.get(ti, 0.0) + value * share
    return out


def _has_object(doc: Any, pos: int, end: int) -> bool:
    """Whether a (non-entity) noun phrase follows the cue closely: it is the one affected."""
    for i in range(pos + 1, min(end, pos + 4)):
        tok = doc[i]
        if tok.pos_ in {"NOUN", "PROPN", "PRON", "DET", "NUM"}:
            return True
        if tok.pos_ not in {"ADJ", "ADV", "PART"}:
            return False
    return False


def _subjects(doc: Any, before: list[tuple[int, int]]) -> dict[int, float]:
    """The subject of a cue: the nearest entity before it, and entities listed with it."""
    if not before:
        return {}
    shares: dict[int, float] = {}
    last_pos, last_ti = before[-1]
    shares[last_ti] = 1.0
    for pos, ti in reversed(before[:-1]):
        gap = [t.lower_ for t in doc[pos + 1 : last_pos] if not t.ent_type_ and t.pos_ != "PROPN"]
        share = OTHER_SUBJECT if all(w in LIST_GLUE for w in gap) else REMOTE_ENTITY
        shares[ti] = max(shares.get(ti, 0.0), share)
        last_pos = pos
    return shares


def _roles(role: str, subjects: dict[int, float], objects: dict[int, float]) -> dict[int, float]:
    """Share of a cue's signed weight that goes to each entity, given the cue's role."""
    shares: dict[int, float] = {}
    if role == "state":
        shares.update({ti: REMOTE_ENTITY * s for ti, s in objects.items()})
        shares.update(subjects)
    elif role == "agent":
        shares.update({ti: -s for ti, s in objects.items()})
        shares.update(subjects)
    else:  # hurt / help: the object is affected; with no object, the subject is
        sign = -1.0 if role == "hurt" else 1.0
        if objects:
            shares.update({ti: sign * s for ti, s in objects.items()})
        else:
            shares.update({ti: sign * s for ti, s in subjects.items()})
    return shares
