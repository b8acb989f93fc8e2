"""Stance toward each target entity of an article: favourable (+1), neutral (0), unfavourable (-1).

Cheap and explainable: the spaCy parse already computed plus a lexicon, no other model.

1. Sentences: cut at line breaks and final punctuation (the title weighs x2, the lead x1.5).
   A sentence naming no target is read as being about the previous sentence's first entity when it
   opens with a pronoun ("Its shares fell", x0.5), else about the title's first entity (x0.3, blog
   style); "the company", "le groupe" count as a mention of that entity.
2. Cues: a bilingual domain lexicon (nlp/stance_lexicon.yaml) of market moves ("plunged",
   "dégringole", "-17 %"), results and judgements ("beat expectations", "salue"), each with a role
   saying whom it is about (state: its subject; agent: subject +, object -; hurt/help: the object).
3. Attribution: a sentence is cut into clauses at contrast words, concessions, subordinators and
   speech verbs ("but", "mais", "despite", "after", "said"); a cue reaches the entities of its own
   clause (a clause naming none inherits the sentence's first entity). The subject is the nearest
   entity before the cue (and those listed with it), the object the first after it; a passive
   ("was hit by", "salué par") swaps them.
4. Modifiers: negation ("not a threat", "n'a pas réussi", "ne ... plus", "sans") flips and weakens
   a cue; "shrugs off", "résiste à" flip a negative one; the clause after "but"/"mais" outweighs
   the one before, a concession ("malgré") weighs half; questions weigh 0.4, and a doubting one
   ("vraiment ?", "really?") flips; hedges ("could", "pourrait") weigh 0.7; praise next to a heavy
   loss with an ironic word ("Bravo", "congratulations") is dropped as sarcasm.
5. Score = tanh(body sum / scale + title sum / SCORE_SCALE): the scale grows with sqrt(evidence
   sentences) for long articles, the title's part does not shrink with length, a body sentence adds
   at most SENTENCE_CAP; a person not named in the title (mostly a speaker) is damped. Label by
   LABEL_THRESHOLD calibrated on the training split of tests/data/nlp_dev.jsonl; confidence grows
   with |score| and the agreement of the evidence; the evidence is the sentence that counted most
   in the direction of the label.
6. Long-article details: the entity a sentence is about (for "the stock", "l'action" next) is one
   named before its first verb, else the title's; a clause naming nobody looks back, not forward;
   relative clauses ("which", "qui") are about their antecedent; a French verb of saying reports
   only with "que" or a quotation; a cue after "hopes to", "pour" is a goal (x0.3); idioms such as
   "declined to comment", "ahead of its results" hide the words that would fire.
7. Background and ellipsis: the pluperfect ("had risen", "avait bondi") and "earlier this month"
   weigh 0.3; "X closed down 5% and Y 3%" gives Y the verb of X; a headline cue naming nobody
   ("Power stocks crushed") goes, at half weight, to the subjects of the lead sentence.
"""

from __future__ import annotations

import itertools
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
SHORT_ARTICLE_SENTENCES = 4

TITLE_WEIGHT = 2.0
LEAD_WEIGHT = 1.5
CARRY_WEIGHT = 0.5
QUESTION_WEIGHT = 0.4
HEDGE_WEIGHT = 0.7
NEGATION_FACTOR = -0.7
BEFORE_CONTRAST = 0.6
AFTER_CONTRAST = 1.5
MAIN_WEIGHT = 0.3  # a sentence naming no entity, read as about the title's subject
CONCESSION_WEIGHT = 0.5  # "despite strong results", "malgré des résultats solides"
INHERIT_WEIGHT = 0.7  # a clause naming no entity, read as about the sentence's first one
OTHER_SUBJECT = 0.7  # another entity listed with the subject ("Nvidia and AMD fell")
REMOTE_ENTITY = 0.15  # an object after the first one
FOLLOWING_SUBJECT = 0.6  # no entity before a cue: the first one after it ("Bad day for Nvidia")
VERB_BETWEEN = 0.5
HELPER = 0.5  # the subject of a "help" cue whose object is not an entity ("boosted demand")
PERSON_WEIGHT = 0.5  # a person not in the title: mostly a speaker or a source, rarely the subject
SENTENCE_CAP = 2.0  # most a body sentence can add for one entity (before its weight)
BACKGROUND_WEIGHT = 0.3  # pluperfect background ("had risen", "avait bondi", "earlier this month")
ORPHAN_TITLE = 0.5  # a headline cue naming nobody ("Power stocks crushed"), for the lead

# Words that open a subordinate clause whose cues concern other entities ("fell after X rose").
SUBORDINATORS = {
    "en": {"after", "because", "as", "since", "while", "following", "amid", "when", "whereas"},
    "fr": {"après", "car", "parce", "puisque", "alors", "lorsque", "quand", "tandis", "suite"},
}
# Tokens allowed between two subjects listed together ("Nvidia, AMD and Broadcom").
LIST_GLUE = {",", "and", "et", "&", "or", "ou", "as", "well", "its", "rival", "peer", "'s", "s"}
PASSIVE_BY = {"en": {"by"}, "fr": {"par"}}
# Relative pronouns: the clause they open describes the word before them ("the offering, which
# was delayed"), an entity only when it is named right there ("TSMC, qui profite").
RELATIVES = {"en": {"which", "who", "whose"}, "fr": {"qui", "dont", "lequel", "laquelle"}}
RELATIVE_WEIGHT = 0.5  # a relative clause about a noun that is not an entity
# A cue after a verb of aim or a purpose marker states a goal, not a fact ("hopes to win", "pour
# séduire les grands comptes").
ASPIRATION = {
    "en": {"try", "tries", "tried", "trying", "seek", "seeks", "sought", "seeking", "hope", "hopes",
           "hoped", "hoping", "aim", "aims", "aimed", "aiming", "want", "wants", "wanted", "attempt",
           "attempts", "attempted", "intend", "intends", "strive", "strives", "bid", "order"},
    "fr": {"pour", "afin", "tente", "tentent", "tenté", "tenter", "cherche", "cherchent", "espère",
           "espèrent", "veut", "veulent", "vise", "visent", "ambitionne", "souhaite", "compte"},
}  # fmt: skip
ASPIRATION_WEIGHT = 0.3
# "help" cues whose passive agent is the cause of the gain, credited too ("boosted by X").
CAUSE_STEMS = ("boost", "lift", "buoy", "bolster", "fuel", "propel", "porté", "portée", "dop",
               "propuls", "tiré", "soutenu")  # fmt: skip
# Pluperfect auxiliaries: with a participle after them, the clause is background, not the news.
PLUPERFECT = {"en": {"had"}, "fr": {"avait", "avaient", "avais", "avions", "aviez"}}
BACKGROUND_RE = {
    "en": re.compile(r"\bearlier (?:this|that|in the) (?:month|week|year|session|quarter)\b"),
    "fr": re.compile(r"\bplus tôt (?:ce mois|cette (?:semaine|année)|dans (?:le mois|l'année))"),
}
# Conjunctions before a gapped conjunct ("X fell 5% and Y 3%") and words between it and its figure.
GAP_AND = {"and", "et", ","}
GAP_GLUE = {"de", "by", "of", "à", "-", "+", "−", "about", "around", "environ", "près", "quelque"}
PASSIVE_AUX = {"en": {"was", "were", "is", "are", "been", "be", "being", "get", "got"},
               "fr": {"été", "est", "sont", "être", "fut", "était", "soit"}}  # fmt: skip


@dataclass
class StanceTarget:
    """An entity whose stance is wanted, with where it is mentioned."""

    key: str  # KB key (or candidate key)
    name: str  # canonical name
    spans: list[tuple[int, int]]  # char offsets of the entity's mentions in doc.text
    type: str = "other"  # KB type: company, ai_lab, model, product, person, government, ...


@dataclass
class StanceResult:
    """The stance of an article toward one target."""

    key: str
    score: float  # [-1, 1]
    label: int  # -1, 0, +1
    confidence: float  # [0, 1]
    evidence: str  # the sentence that decided it
    # What the rules saw, for the learned model (nlp.stance_model): numeric signals and the
    # (start, end) character spans of the sentences that mention the target, title first.
    signals: dict[str, float] = field(default_factory=dict)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    best_value: float = 0.0  # signed contribution of the sentence that counted most
    best_sentence: str = ""  # that sentence
    first_sentence: str = ""  # the first sentence that mentions the target


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
    prefix_index: dict[str, list[tuple[str, Cue]]] = field(default_factory=dict)  # by 3 letters
    phrases: list[tuple[re.Pattern[str], Cue]] = field(default_factory=list)
    negators: frozenset[str] = frozenset()
    contrast: frozenset[str] = frozenset()
    hedges: frozenset[str] = frozenset()
    concessive: frozenset[str] = frozenset()
    speech: frozenset[str] = frozenset()
    flippers: frozenset[str] = frozenset()
    reversers: frozenset[str] = frozenset()
    doubt: frozenset[str] = frozenset()
    irony: frozenset[str] = frozenset()
    anaphors: frozenset[str] = frozenset()

    def lookup(self, text: str, lemma: str) -> Cue | None:
        """The cue a token's lower-cased text or lemma matches, if any.

        The lemma may be empty (pipelines run without their lemmatizer for speed), so English
        inflections are also undone by hand ("plunged", "surging", "slipped", "worries").
        """
        for form in (text, lemma, *_en_stems(text)):
            cue = self.exact.get(form)
            if cue is not None:
                return cue
        for prefix, cue in self.prefix_index.get(text[:3], ()):
            if text.startswith(prefix):
                return cue
        return None


_IRREGULAR = {
    "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "sank": "sink",
    "sunk": "sink", "slid": "slide", "lost": "lose", "won": "win", "overtook": "overtake",
    "overtaken": "overtake", "outshone": "outshine", "struck": "strike", "shook": "shake",
    "shaken": "shake", "grew": "grow", "swung": "swing", "beaten": "beat", "undercut": "undercut",
    "stole": "steal", "bled": "bleed", "led": "lead", "hit": "hit", "hurt": "hurt",
    "shrank": "shrink", "forgot": "forget", "overshot": "overshoot", "outgrew": "outgrow",
    "underwent": "undergo", "withstood": "withstand", "fought": "fight", "dove": "dive",
}  # fmt: skip


def _en_stems(word: str) -> list[str]:
    """Candidate base forms of an English word form (regular inflections, common irregulars)."""
    out = [_IRREGULAR[word]] if word in _IRREGULAR else []
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)]
            out += [base, base + "e"]
            if len(base) > 2 and base[-1] == base[-2]:
                out.append(base[:-1])  # slipped -> slip
            if base.endswith("i"):
                out.append(base[:-1] + "y")  # worries -> worry
    return out


def load_lexicon(lang: str, path: Path = LEXICON_PATH) -> Lexicon:
    """The lexicon of `lang` ("fr", else English) from the YAML file, read once per process."""
    return _load_lexicon("fr" if lang == "fr" else "en", path)


@lru_cache(maxsize=4)
def _load_lexicon(lang: str, path: Path) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    section = data[lang]
    lex = Lexicon()
    for role in ("agent", "hurt", "help", "state"):  # a word in several roles: the first wins
        for word, weight in (section.get(role) or {}).items():
            word = str(word).lower()
            cue = Cue(role, float(weight))
            if word.endswith("*"):
                lex.prefixes.append((word[:-1], cue))
            elif " " in word:  # several words: a regular expression
                lex.phrases.append((re.compile(r"(?<!\w)" + word + r"(?!\w)"), cue))
            else:
                lex.exact.setdefault(word, cue)
    lex.prefixes.sort(key=lambda item: -len(item[0]))
    for prefix, cue in lex.prefixes:
        if len(prefix) < 3:
            raise ValueError(f"{path}: stem {prefix!r}* is too short (3 letters at least)")
        lex.prefix_index.setdefault(prefix[:3], []).append((prefix, cue))
    for phrase, weight in (section.get("phrases") or {}).items():
        lex.phrases.append((re.compile(str(phrase)), Cue("state", float(weight))))
    lex.negators = frozenset(str(w).lower() for w in section.get("negators") or ())
    lex.contrast = frozenset(str(w).lower() for w in section.get("contrast") or ())
    lex.hedges = frozenset(str(w).lower() for w in section.get("hedges") or ())
    lex.concessive = frozenset(str(w).lower() for w in section.get("concessive") or ())
    lex.speech = frozenset(str(w).lower() for w in section.get("speech") or ())
    lex.flippers = frozenset(str(w).lower() for w in section.get("flippers") or ())
    lex.reversers = frozenset(str(w).lower() for w in section.get("reversers") or ())
    lex.doubt = frozenset(str(w).lower() for w in section.get("doubt") or ())
    lex.irony = frozenset(str(w).lower() for w in section.get("irony") or ())
    lex.anaphors = frozenset(str(w).lower() for w in section.get("anaphors") or ())
    return lex


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
    starts: dict[int, list[int]] = {}  # token index of each mention start, per target
    for ti, target in enumerate(targets):
        for start, end in target.spans:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                starts.setdefault(ti, []).append(span.start)
    mention_at = sorted((pos, ti) for ti, poss in starts.items() for pos in poss)
    title_mentions = [ti for pos, ti in mention_at if doc[pos].idx < max(title_end, 0)]
    mention_chars: dict[int, list[int]] = {}
    for pos, ti in mention_at:
        mention_chars.setdefault(ti, []).append(doc[pos].idx)
    lead_span: tuple[int, int] | None = None
    main = title_mentions[0] if title_mentions else None

    totals = [0.0] * len(targets)
    title_totals = [0.0] * len(targets)  # kept apart: the headline does not fade in long articles
    magnitude = [0.0] * len(targets)
    n_evidence = [0] * len(targets)
    best: list[tuple[float, str]] = [(0.0, "") for _ in targets]
    first_sentence = [""] * len(targets)
    positive = [0.0] * len(targets)
    negative = [0.0] * len(targets)
    sentence_spans: list[list[tuple[int, int]]] = [[] for _ in targets]
    lead_seen = False
    carry: int | None = None
    orphan = 0.0  # a title cue that names no entity, for the lead's subjects
    sentences = _sentences(doc)
    # An article (a title and a body, or three sentences and more), not a lone headline: the
    # learned model (nlp.stance_model) leaves its cue-backed stances to these rules.
    article = float(title_end >= 0 or len(sentences) >= 3)
    for sent in sentences:
        in_title = title_end >= 0 and sent.start_char < title_end
        weight = TITLE_WEIGHT if in_title else 1.0
        is_lead = not in_title and not lead_seen
        if is_lead:
            weight, lead_seen = LEAD_WEIGHT, True
            lead_span = (sent.start_char, sent.end_char)
        words = [t for t in sent if not t.is_space and not t.is_punct]
        if words and words[0].lower_ in lex.contrast:
            weight *= AFTER_CONTRAST  # "But ..." outweighs the sentence before it
        if sent.text.rstrip().endswith("?"):
            doubtful = any(t.lower_ in lex.doubt for t in sent)
            weight *= -QUESTION_WEIGHT if doubtful else QUESTION_WEIGHT
        mentions = [(pos, ti) for pos, ti in mention_at if sent.start <= pos < sent.end]
        about = carry if carry is not None else main
        if about is not None and about not in {ti for _, ti in mentions}:
            # "The company", "le groupe": the entity the previous sentence was about.
            mentions = sorted(mentions + [(pos, about) for pos in _anaphors(sent, lex)])
        referent = about if _opens_with_pronoun(sent, lang) else _head_entity(doc, mentions)
        if referent is None:
            referent = about
        if referent is not None:
            # "it", "its", "il": the sentence's leading entity, or the previous one's.
            mentions = sorted(mentions + [(pos, referent) for pos in _pronouns(sent, lang)])
        text = sent.text.strip()
        for _, ti in mentions:
            first_sentence[ti] = first_sentence[ti] or text
            span = (sent.start_char, sent.end_char)
            if not sentence_spans[ti] or sentence_spans[ti][-1] != span:
                sentence_spans[ti].append(span)
        if mentions:
            carry = _subject_entity(sent, mentions, main)
            contributions = _score_sentence(sent, mentions, lex, lang, main, about)
            if orphan and is_lead:
                # "Power stocks crushed" over "X and Y closed down ...": the lead's subjects.
                for ti in _lead_subjects(sent, mentions):
                    title_totals[ti] += orphan
                    magnitude[ti] += abs(orphan)
                    n_evidence[ti] += 1
        else:
            # No entity named: "Its shares fell" continues about the last sentence's subject;
            # other sentences of a blog post are read as being about the title's subject.
            about = carry if carry is not None and _opens_with_pronoun(sent, lang) else main
            if in_title and about is None:
                orphan = _orphan_title(sent, lex, lang) * weight * ORPHAN_TITLE
                continue
            if about is None or _other_subject(sent, lex):
                continue
            weight *= CARRY_WEIGHT if about == carry else MAIN_WEIGHT
            contributions = _score_sentence(sent, [(sent.start - 1, about)], lex, lang)
        for ti, value in contributions.items():
            if not in_title:
                value = max(-SENTENCE_CAP, min(SENTENCE_CAP, value))
            value *= weight
            if in_title:
                title_totals[ti] += value
            else:
                totals[ti] += value
            magnitude[ti] += abs(value)
            n_evidence[ti] += value != 0
            positive[ti] += max(value, 0.0)
            negative[ti] += min(value, 0.0)
            if abs(value) > abs(best[ti][0]):
                best[ti] = (value, text)
    results = []
    for ti, target in enumerate(targets):
        # Long articles pile up cues: scale by sqrt(evidence sentences) beyond a short article's.
        # The title's part is not scaled down: it states the article's verdict however long it is.
        scale = SCORE_SCALE * max(1.0, math.sqrt(n_evidence[ti] / SHORT_ARTICLE_SENTENCES))
        raw = totals[ti] / scale + title_totals[ti] / SCORE_SCALE
        if target.type == "person" and ti != main:
            raw *= PERSON_WEIGHT  # "Jensen Huang said demand was strong": about Nvidia
        score = math.tanh(raw)
        totals[ti] += title_totals[ti]
        label = 1 if score > LABEL_THRESHOLD else -1 if score < -LABEL_THRESHOLD else 0
        evidence = best[ti][1] if label and best[ti][0] * label > 0 else first_sentence[ti]
        # Confidence: distance from the threshold, discounted when the evidence pulls both ways.
        agreement = abs(totals[ti]) / magnitude[ti] if magnitude[ti] else 1.0
        if label:
            confidence = abs(score) * (0.5 + 0.5 * agreement)
        else:
            confidence = (1.0 - 0.5 * abs(score) / LABEL_THRESHOLD) * (0.4 + 0.6 * agreement)
        in_lead = lead_span is not None and any(
            lead_span[0] <= pos_char < lead_span[1] for pos_char in mention_chars.get(ti, ())
        )
        signals = {
            "rule_score": score,
            "rule_label_pos": float(label > 0),
            "rule_label_neg": float(label < 0),
            "title_total": math.tanh(title_totals[ti] / SCORE_SCALE),
            "body_total": math.tanh(totals[ti] - title_totals[ti]),
            "positive": math.tanh(positive[ti]),
            "negative": math.tanh(negative[ti]),
            "evidence_sentences": math.log1p(n_evidence[ti]),
            "agreement": agreement,
            "in_title": float(ti in title_mentions),
            "in_lead": float(in_lead),
            "main": float(ti == main),
            "person": float(target.type == "person"),
            "mention_sentences": math.log1p(len(sentence_spans[ti])),
            "no_cue": float(magnitude[ti] == 0),
            "article": article,
        }
        results.append(
            StanceResult(
                target.key,
                round(score, 4),
                label,
                round(confidence, 4),
                evidence,
                signals,
                sentence_spans[ti],
                best[ti][0],
                best[ti][1],
                first_sentence[ti],
            )
        )
    return results


_FINAL = {".", "!", "?", "…", "?!", "!?", "...", ".."}
_CLOSERS = {'"', "»", ")", "'", "”"}
_OPENERS = {'"', "«", "“", "("}


def _sentences(doc: Any) -> list[Any]:
    """Sentences cut at line breaks and at final punctuation followed by a capital.

    The parser's own boundaries are not used: the small French model cuts before proper nouns
    ("Constellation | Energy et Vistra ont chuté") and may join the title to the lead.
    """
    out = []
    start = 0
    n = len(doc)
    for tok in doc:
        if tok.is_space and "\n" in tok.text:
            if tok.i > start:
                out.append(doc[start : tok.i])
            start = tok.i + 1
        elif tok.text in _FINAL and tok.i + 1 < n:
            nxt = doc[tok.i + 1]
            while nxt.i + 1 < n and nxt.text in _CLOSERS:
                nxt = doc[nxt.i + 1]
            if nxt.is_space or nxt.text[:1].isupper() or nxt.text[:1] in _OPENERS:
                out.append(doc[start : nxt.i])
                start = nxt.i
    if start < n:
        out.append(doc[start:n])
    return [s for s in out if s.text.strip()]


_PRONOUNS = {
    "en": {"it", "its", "the", "they", "their", "shares", "analysts", "but", "however", "this",
           "he", "she", "his", "her"},
    "fr": {"il", "elle", "son", "sa", "ses", "le", "la", "les", "l'", "mais", "pourtant", "ce",
           "cette", "leur", "leurs"},
}  # fmt: skip


_DETERMINERS = {"the", "le", "la", "l'", "this", "ce", "cette"}


def _anaphors(sent: Any, lex: Lexicon) -> list[int]:
    """Positions of definite descriptions that stand for a named entity ("the chipmaker")."""
    out = []
    for tok in sent:
        if tok.lower_ in lex.anaphors and tok.i > sent.start:
            window = sent.doc[max(sent.start, tok.i - 3) : tok.i]
            if any(t.lower_ in _DETERMINERS for t in window):
                out.append(tok.i)
    return out


_PERSONAL = {"en": {"it", "its"}, "fr": {"il", "elle"}}


def _pronouns(sent: Any, lang: str) -> list[int]:
    """Positions of pronouns that stand for a company or lab ("it", "its", "il", "elle")."""
    return [t.i for t in sent if t.lower_ in _PERSONAL[lang]]


def _head_entity(doc: Any, mentions: list[tuple[int, int]]) -> int | None:
    """The sentence's leading entity, skipping a possessor ("Elon Musk's xAI": xAI)."""
    for pos, ti in mentions:
        if (pos + 2 < len(doc) and doc[pos + 1].lower_ == "'s") or (
            pos + 2 < len(doc) and doc[pos + 2].lower_ == "'s"
        ):
            continue
        return ti
    return mentions[0][1] if mentions else None


def _subject_entity(sent: Any, mentions: list[tuple[int, int]], main: int | None) -> int | None:
    """The entity a sentence is about, for the next one: one named before its first verb.

    "Growth lags the pace set by AWS and Azure. The stock has lost half its value": the stock is
    the article's subject, not AWS, named in passing; without a subject, the title's entity.
    """
    first_verb = next((t.i for t in sent if t.pos_ in {"VERB", "AUX"}), sent.end)
    early = [ti for pos, ti in mentions if pos < first_verb]
    if early:
        return early[0]
    return main if main is not None else mentions[0][1]


def _orphan_title(sent: Any, lex: Lexicon, lang: str) -> float:
    """The signed cue of a headline naming no entity ("Power stocks crushed", "Les valeurs de
    l'énergie plongent"): its main clause's cues about its (unnamed) subject.

    A participle without "by" is a headline passive ("crushed", "boudées"): an agent cue is
    then suffered, and a hurt/help cue is about the subject; an active one is not counted.
    """
    clauses = _clauses(sent, lex, lang)
    if not clauses:
        return 0.0
    first = clauses[0]
    total = 0.0
    for hit in _find_hits(sent, lex):
        if not first.start <= hit.pos < first.end:
            continue
        tok = sent.doc[hit.pos]
        participle = tok.tag_ == "VBN" or "Part" in tok.morph.get("VerbForm")
        value = hit.weight * _polarity_factor(sent.doc, hit.pos, lex, lang, first, hit.weight)
        if hit.role == "agent":
            value = -value if participle else value
        elif hit.role in {"hurt", "help"}:
            value = (-abs(value) if hit.role == "hurt" else abs(value)) if participle else 0.0
        total += value
    return total


def _lead_subjects(sent: Any, mentions: list[tuple[int, int]]) -> list[int]:
    """The entities a lead sentence is about: those named before its first verb, and those of
    a gapped conjunct ("X closed down 5% and Y 3%")."""
    first_verb = next((t.i for t in sent if t.pos_ in {"VERB", "AUX"}), sent.end)
    named = [(p, ti) for p, ti in mentions if p >= sent.start]
    out = [ti for p, ti in named if p < first_verb]
    if out:
        out += _gapped(sent.doc, first_verb, named, sent.end)
    return list(dict.fromkeys(out))


def _other_subject(sent: Any, lex: Lexicon) -> bool:
    """Whether a sentence naming no target has a proper-noun subject of its own.

    "AMD, its main rival, ended the session higher" is about AMD (not a target), not about the
    article's subject; but "Huang said demand was strong" still is, through what is said.
    """
    first_verb = next((t.i for t in sent if t.pos_ in {"VERB", "AUX"}), sent.end)
    if any(_word_in(t, lex.speech) for t in sent):
        return False
    return any(
        t.pos_ == "PROPN" and t.text[:1].isupper() and t.lower_ not in lex.anaphors
        for t in sent
        if t.i < first_verb
    )


def _opens_with_pronoun(sent: Any, lang: str) -> bool:
    """Whether a sentence with no entity plausibly continues about the previous one."""
    first = next((t for t in sent if not t.is_space and not t.is_punct), None)
    return first is not None and first.lower_ in _PRONOUNS[lang]


@dataclass
class _Hit:
    """A cue found in a sentence: token position, role, signed weight."""

    pos: int
    role: str
    weight: float
    phrase: bool = False


def _find_hits(sent: Any, lex: Lexicon) -> list[_Hit]:
    """Lexicon cues in a sentence, by token position (phrases first, tokens they cover skipped)."""
    hits: list[_Hit] = []
    covered: set[int] = set()
    text = sent.text.lower()
    base = sent.start_char
    for pattern, phrase_cue in lex.phrases:
        for match in pattern.finditer(text):
            span = sent.doc.char_span(
                base + match.start(), base + match.end(), alignment_mode="expand"
            )
            if span is None or not len(span) or any(t.i in covered for t in span):
                continue
            covered.update(t.i for t in span)
            hits.append(_Hit(span.start, phrase_cue.role, phrase_cue.weight, phrase=True))
    for tok in sent:
        if tok.i in covered or tok.is_punct or tok.is_space or tok.like_num:
            continue
        if tok.pos_ == "PROPN" and tok.i != sent.start and tok.text[:1].isupper():
            continue  # "Strong" in a name, "Star" in a product
        cue = lex.lookup(tok.lower_, tok.lemma_.lower())
        if cue is not None:
            hits.append(_Hit(tok.i, cue.role, cue.weight))
    if any(h.weight <= -1.0 for h in hits) and any(_word_in(t, lex.irony) for t in sent):
        # "Bravo Nvidia, 600 billion gone": praise next to a heavy loss is sarcasm.
        hits = [h for h in hits if h.weight < 0 or h.role != "state"]
    return sorted(hits, key=lambda h: h.pos)


def _word_in(tok: Any, words: frozenset[str]) -> bool:
    """Whether a token's text or lemma is in a word set (entries ending in * are prefixes)."""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if low in words or lemma in words or any(w in words for w in _en_stems(low)):
        return True
    return low.startswith(_stems_of(words)) if _stems_of(words) else False


@lru_cache(maxsize=64)
def _stems_of(words: frozenset[str]) -> tuple[str, ...]:
    """The stems of a word set's entries that end in "*"."""
    return tuple(w[:-1] for w in words if w.endswith("*"))


@dataclass
class _Clause:
    """A stretch of a sentence whose cues reach only its own entities."""

    start: int
    end: int
    weight: float
    reported: bool = False  # opened by a speech verb: what the speaker says
    contrast: bool = False  # opened by "but", "mais"
    relative: bool = False  # opened by "which", "qui": about the word before it


def _clauses(sent: Any, lex: Lexicon, lang: str) -> list[_Clause]:
    """Cut a sentence at contrast words, concessions, subordinators and speech verbs."""
    cuts: list[tuple[int, str]] = []
    in_relative = False
    for tok in sent:
        if tok.i == sent.start:
            continue
        word = tok.lower_
        if in_relative and tok.text == ",":
            cuts.append((tok.i, "plain"))  # "An offer, which X made, was ...": back to the main
            in_relative = False
            continue
        if word in lex.contrast:
            cuts.append((tok.i, "contrast"))
        elif word in lex.concessive:
            cuts.append((tok.i, "concessive"))
        elif _word_in(tok, lex.speech) and _reports(sent, tok, lang):
            cuts.append((tok.i, "speech"))
        elif word in RELATIVES[lang]:
            cuts.append((tok.i, "relative"))
            in_relative = True
        elif word in SUBORDINATORS[lang] or tok.text in {";", ":"}:
            cuts.append((tok.i, "plain"))
    pivot = max((i for i, kind in cuts if kind == "contrast"), default=None)
    bounds = [(sent.start, "plain"), *cuts, (sent.end, "plain")]
    clauses = []
    for (start, kind), (end, _) in itertools.pairwise(bounds):
        if start >= end:
            continue
        weight = CONCESSION_WEIGHT if kind == "concessive" else 1.0
        if pivot is not None:
            weight *= AFTER_CONTRAST if start >= pivot else BEFORE_CONTRAST
        clauses.append(
            _Clause(
                start,
                end,
                weight,
                reported=kind == "speech",
                relative=kind == "relative",
                contrast=kind == "contrast",
            )
        )
    return clauses


_REPORT_OPENERS = {"que", "qu'", ":", "«", '"', "“"}
_REPORT_CLOSERS = {",", "»", '"', "”", "-t-il", "-t-elle", "-ils", "-elles"}


def _reports(sent: Any, tok: Any, lang: str) -> bool:
    """Whether a speech verb introduces what is said, not a direct object.

    French needs "que" or a quotation ("a assuré que la demande...", "« ... », a-t-il dit"):
    "Meta a confirmé 65 milliards d'investissements" reports nothing. English often drops
    "that" ("said demand was strong"), so any English speech verb counts.
    """
    if lang != "fr":
        return True
    doc = sent.doc
    ahead = {doc[i].lower_ for i in range(tok.i + 1, min(sent.end, tok.i + 4))}
    behind = {doc[i].lower_ for i in range(max(sent.start, tok.i - 3), tok.i)}
    return bool(ahead & _REPORT_OPENERS or behind & _REPORT_CLOSERS)


def _polarity_factor(
    doc: Any, pos: int, lex: Lexicon, lang: str, clause: _Clause, weight: float = -1.0
) -> float:
    """1, or a flip when the cue is negated ("not a threat") or shrugged off ("shrugs off").

    "Shrugs off", "résiste à" reverse only a negative cue ("shrugs off losses"); what follows
    them when it is positive is still positive ("résiste mieux", "withstood it and rallied").
    "Less", "moins" reverse both ways ("fell less", "moins rentable").
    """
    tok = doc[pos]
    lo = max(clause.start, pos - 4)
    if any(_word_in(doc[i], lex.reversers) for i in range(lo, pos)):
        return -1.0
    if weight < 0 and any(_word_in(doc[i], lex.flippers) for i in range(lo, pos)):
        return -1.0
    if any(child.dep_ == "neg" for child in tok.children) or (
        tok.dep_ in {"attr", "dobj", "acomp", "xcomp", "obj"}
        and any(c.dep_ == "neg" for c in tok.head.children)
    ):
        return NEGATION_FACTOR
    hi = min(clause.end, pos + (2 if lang == "fr" else 1))
    if any(doc[i].lower_ in lex.negators for i in range(lo, hi) if i != pos):
        return NEGATION_FACTOR
    return 1.0


def _passive_agent(doc: Any, pos: int, lang: str, clause: _Clause) -> int | None:
    """For a passive cue ("was hit by", "menacé par"), the index of "by"/"par" (-1: none)."""
    before = {doc[i].lower_ for i in range(max(clause.start, pos - 3), pos)}
    aux = bool(before & PASSIVE_AUX[lang])
    participle = doc[pos].tag_ == "VBN" or (
        lang == "fr" and doc[pos].lower_.endswith(("é", "ée", "és", "ées"))
    )
    for i in range(pos + 1, min(clause.end, pos + 4)):
        if doc[i].lower_ in PASSIVE_BY[lang] and (aux or participle):
            return i
    return -1 if aux and participle else None


def _score_sentence(
    sent: Any,
    mentions: list[tuple[int, int]],
    lex: Lexicon,
    lang: str,
    topic: int | None = None,
    context: int | None = None,
) -> dict[int, float]:
    """Signed contribution of one sentence to each mentioned target (before sentence weight).

    A mention at `sent.start - 1` stands for an entity the sentence is about without naming it.
    `topic` is the article's subject, to whom what a speaker says is attributed; `context` the
    entity the previous sentences were about, for a clause that comes before any entity is named.
    """
    doc = sent.doc
    out: dict[int, float] = {ti: 0.0 for _, ti in mentions}
    hits = _find_hits(sent, lex)
    if not hits:
        return out
    hedged = any(t.lower_ in lex.hedges for t in sent)
    implicit = mentions[0][0] < sent.start
    in_background = False  # a pluperfect main clause: what hangs on it is background too
    for clause in _clauses(sent, lex, lang):
        share = 1.0
        if clause.contrast or clause.reported:
            in_background = False
        inside = [(p, ti) for p, ti in mentions if clause.start <= p < clause.end]
        if implicit:
            inside = mentions
        elif not inside:
            # "AMD posted record revenue, but the figure fell short": about the sentence's subject;
            # "Jassy said demand was strong": about the article's subject, not the speaker;
            # "Analysts are sceptical: X is squeezed between TSMC and Samsung": about what the
            # text was about before (a pronoun looks back, not forward).
            earlier = [ti for p, ti in mentions if p < clause.start]
            about = topic if clause.reported else earlier[0] if earlier else context
            if about is None:
                about = mentions[0][1]
            if about is None or (clause.reported and _speaker(doc, mentions, clause) == about):
                continue
            inside, share = [(clause.start - 1, about)], INHERIT_WEIGHT
        unnamed = implicit or inside[0][0] < clause.start  # only an entity read into the clause
        if clause.relative and not implicit:
            # The antecedent is the clause's subject: "TSMC, qui profite de ..." is about TSMC;
            # "its offering, which was delayed by a review of G42's stake": the offering (a
            # little its owner), not G42.
            near = [(p, ti) for p, ti in mentions if clause.start - 3 <= p < clause.start]
            earlier = [ti for p, ti in mentions if p < clause.start]
            named = [m for m in inside if m[0] >= clause.start]
            if near:
                inside, share = [near[-1], *named], 1.0
            elif earlier:
                inside, share = [(clause.start - 1, earlier[-1]), *named], RELATIVE_WEIGHT
            elif context is not None:
                inside, share = [(clause.start - 1, context), *named], RELATIVE_WEIGHT
        if _setting(doc, sent, clause, inside):
            continue  # "Amid the rout, X held up": the circumstances, not the subject
        clause_text = doc[clause.start : clause.end].text.lower()
        background = in_background or BACKGROUND_RE[lang].search(clause_text) is not None
        in_background = background or _pluperfect(doc, clause.end - 1, lex, lang, clause)
        for hit in (h for h in hits if clause.start <= h.pos < clause.end):
            value = hit.weight * clause.weight * share
            value *= _polarity_factor(doc, hit.pos, lex, lang, clause, hit.weight)
            if background or _pluperfect(doc, hit.pos, lex, lang, clause):
                value *= BACKGROUND_WEIGHT
            value *= HEDGE_WEIGHT if hedged else 1.0
            if _aspiration(doc, hit.pos, lang, clause):
                value *= ASPIRATION_WEIGHT
            if unnamed and hit.role in {"hurt", "help"} and not _is_passive(doc, hit, lang, clause):
                continue  # "An accusation that amuses researchers": nobody named is accused
            shares = _attribute(doc, hit, inside, lang, clause)
            if (hit.role == "agent" and not any(s > 0 for s in shares.values())) or (
                hit.role == "state" and not shares
            ):
                # "the model still trails rivals from Alibaba", "la jeune pousse, fondée par X,
                # a séduit": the subject is the one the text is about, not named in the clause.
                earlier = [ti for p, ti in mentions if p < clause.start]
                about = earlier[0] if earlier else context if context is not None else topic
                if about is not None and about not in shares:
                    shares[about] = INHERIT_WEIGHT
            if hit.role == "state" and shares:
                # "X closed down 5% and Y 3%": Y shares the verb of X (gapping).
                lead = max(shares.values())
                for ti in _gapped(doc, hit.pos, inside, clause.end):
                    shares[ti] = max(shares.get(ti, 0.0), lead)
            for ti, part in shares.items():
                out[ti] = out.get(ti, 0.0) + value * part
    return out


SETTING = {"en": {"amid", "amidst", "in", "during"}, "fr": {"dans", "pendant", "durant"}}


def _setting(doc: Any, sent: Any, clause: _Clause, inside: list[tuple[int, int]]) -> bool:
    """Whether a clause is a fronted circumstance naming nobody ("Amid the rout,", "Dans la
    tempête qui a frappé le secteur,"): it sets the scene for the subject, it is not about it."""
    first = doc[sent.start]
    if first.lower_ not in SETTING["fr" if first.lang_ == "fr" else "en"]:
        return False
    comma = next((t.i for t in sent if t.text == ","), None)
    named = any(clause.start <= p < clause.end for p, _ in inside)
    return comma is not None and clause.end <= comma + 1 and not named


def _pluperfect(doc: Any, pos: int, lex: Lexicon, lang: str, clause: _Clause) -> bool:
    """Whether the cue at `pos` is in the pluperfect ("had soared", "had been a favourite",
    "avait bondi", "avait été l'un des favoris"): background, not the news of the day.

    Not in reported speech ("admitted that the launch had not boosted demand": the tense is
    only shifted back) nor when negated ("had not yet", "n'avait pas encore": still true).
    """
    if clause.reported:
        return False
    for i in range(clause.start, pos + 1):  # the auxiliary governs the rest of its clause
        if doc[i].lower_ not in PLUPERFECT[lang]:
            continue
        if any(doc[k].lower_ in lex.negators for k in range(max(clause.start, i - 1), pos)):
            return False
        for j in range(i + 1, min(clause.end, i + 4)):
            tok = doc[j]
            if tok.tag_ == "VBN" or "Part" in tok.morph.get("VerbForm"):
                # "had closed lower and fell after hours": a verb of its own ends the pluperfect
                return not any(_finite(doc[k], lang) for k in range(j + 1, pos + 1))
    return False


def _finite(tok: Any, lang: str) -> bool:
    """Whether a token is a finite verb other than a pluperfect auxiliary ("fell", "a chuté")."""
    if tok.lower_ in PLUPERFECT[lang]:
        return False
    return tok.tag_ in {"VBD", "VBZ", "VBP"} or (
        tok.pos_ in {"VERB", "AUX"} and "Fin" in tok.morph.get("VerbForm")
    )


def _gapped(doc: Any, pos: int, inside: list[tuple[int, int]], end: int) -> list[int]:
    """Entities of a gapped conjunct after the cue at `pos`: "X closed down 5% and Y 3%".

    The conjunct is "and"/"et" + entity + figure with no verb of its own, after a figure in the
    first conjunct (the parallel structure is what shows the verb is shared).
    """
    out = []
    for p, ti in inside:
        if p <= pos + 1 or doc[p - 1].lower_ not in GAP_AND:
            continue
        if not any(t.like_num for t in doc[pos + 1 : p - 1]):
            continue
        j = p + 1
        while j < end and j < p + 4 and doc[j].text[:1].isupper():
            j += 1  # the rest of the name ("Constellation Energy")
        while j < end and doc[j].lower_ in GAP_GLUE:
            j += 1
        if j < end and doc[j].like_num and not any(t.pos_ in {"VERB", "AUX"} for t in doc[p:j]):
            out.append(ti)
    return out


def _aspiration(doc: Any, pos: int, lang: str, clause: _Clause) -> bool:
    """Whether the cue at `pos` is the goal of an aim ("seeks to win", "pour séduire")."""
    words = [doc[i].lower_ for i in range(max(clause.start, pos - 3), pos)]
    if lang == "fr":
        # "pour séduire", "afin de convaincre", "cherche à s'imposer", "espère rebondir"
        return any(w in ASPIRATION["fr"] for w in words[-3:]) and doc[pos].lower_.endswith(
            ("er", "ir", "re")
        )
    return len(words) >= 2 and words[-1] == "to" and words[-2] in ASPIRATION["en"]


def _is_passive(doc: Any, hit: _Hit, lang: str, clause: _Clause) -> bool:
    """Whether a hurt/help cue is passive ("was hit", "salué par"): its subject undergoes it."""
    return not hit.phrase and _passive_agent(doc, hit.pos, lang, clause) is not None


def _speaker(doc: Any, mentions: list[tuple[int, int]], clause: _Clause) -> int | None:
    """The entity right before the speech verb that opens `clause` ("Andy Jassy a assuré")."""
    before = [(p, ti) for p, ti in mentions if clause.start - 4 <= p < clause.start]
    return before[-1][1] if before else None


def _attribute(
    doc: Any, hit: _Hit, inside: list[tuple[int, int]], lang: str, clause: _Clause
) -> dict[int, float]:
    """Share of a cue's signed weight that goes to each entity of its clause."""
    before = [(p, ti) for p, ti in inside if p < hit.pos]
    after = [(p, ti) for p, ti in inside if p > hit.pos]
    by_at = (
        None if hit.phrase or hit.role == "state" else _passive_agent(doc, hit.pos, lang, clause)
    )
    if by_at is not None:
        # Passive: the grammatical subject undergoes the action; "by X" is the doer.
        doers = [(p, ti) for p, ti in after if 0 <= by_at < p]
        patients = _subjects(doc, before, hit.pos, lang)
        if not patients:
            return {}  # "un succès salué par Macron": the doer is not the one judged
        sign = {"hurt": -1.0, "help": 1.0, "agent": -1.0}[hit.role]
        shares = {ti: sign * s for ti, s in patients.items()}
        if hit.role == "agent":
            shares.update({ti: 1.0 for _, ti in doers[:1]})
        elif hit.role == "help" and doc[hit.pos].lower_.startswith(CAUSE_STEMS):
            # "porté par la demande de puces Blackwell", "lifted by Azure": the cause is credited
            # (not the judge of "salué par", "praised by").
            shares.update({ti: HELPER for _, ti in doers[:2] if ti not in shares})
        return shares
    subjects = _subjects(doc, before, hit.pos, lang)
    objects = _objects(doc, after, hit.pos, lang)
    if hit.role == "state":
        if subjects:
            return subjects
        following = [ti for p, ti in after if not _after_by(doc, p, lang)]
        return {following[0]: FOLLOWING_SUBJECT} if following else {}
    if hit.role == "agent":
        shares = {ti: -s for ti, s in objects.items()}
        shares.update(subjects)
        return shares
    sign = -1.0 if hit.role == "hurt" else 1.0
    if objects:
        return {ti: sign * s for ti, s in objects.items()}
    if _has_object(doc, hit.pos, clause.end):
        # "DeepSeek rattles investors": about someone else; but who lifts demand gains.
        return {ti: HELPER * s for ti, s in subjects.items()} if sign > 0 else {}
    return {ti: sign * s for ti, s in subjects.items()}


_OF = {"of", "'s", "de", "d'", "du", "des"}


def _objects(doc: Any, after: list[tuple[int, int]], cue: int, lang: str) -> dict[int, float]:
    """The object of a cue: the first entity after it ("DeepSeek V3": the head, V3).

    An entity behind another noun counts only through "of"/"de" ("threatens the dominance of
    Nvidia"), not through other prepositions ("praising its role in Stargate").
    """
    if not after:
        return {}
    first = 0
    while first + 1 < len(after) and after[first + 1][0] - after[first][0] <= 1:
        first += 1  # adjacent mentions: the last one is the head
    pos, ti = after[first]
    nouns = [t for t in doc[cue + 1 : pos] if t.pos_ in {"NOUN", "PROPN"}]
    share = 1.0
    if nouns and doc[pos - 1].lower_ not in _OF and (pos < 2 or doc[pos - 2].lower_ not in _OF):
        share = REMOTE_ENTITY
        if any(t.text in {",", ":", ";"} for t in doc[cue + 1 : pos]):
            share = 0.0  # "punish reckless spending, the company's restraint": another clause
    objects = {ti: share}
    last = pos
    for other_pos, other in after[first + 1 :]:
        gap = [t.lower_ for t in doc[last + 1 : other_pos] if t.pos_ != "PROPN"]
        listed = all(w in LIST_GLUE or w in {"à", "to", "de"} for w in gap)
        objects.setdefault(other, share if listed else REMOTE_ENTITY * share)
        if not listed:
            break  # "face à Alibaba et à DeepSeek": both; "Musk's bid for OpenAI": Musk
        last = other_pos
    for _, other in after:
        objects.setdefault(other, REMOTE_ENTITY * share)
    return objects


def _has_object(doc: Any, pos: int, end: int) -> bool:
    """Whether a (non-entity) noun phrase follows the cue closely: it is the one affected."""
    for i in range(pos + 1, min(end, pos + 4)):
        tok = doc[i]
        if tok.pos_ in {"NOUN", "PROPN", "PRON", "DET", "NUM"}:
            return True
        if tok.pos_ not in {"ADJ", "ADV", "PART"}:
            return False
    return False


def _subjects(doc: Any, before: list[tuple[int, int]], cue: int, lang: str) -> dict[int, float]:
    """The subject of a cue: the nearest entity before it, and entities listed with it.

    An entity introduced by "by"/"par" is the agent of another verb, not a subject; a verb
    between the entity and the cue weakens the link ("Zuckerberg confirmed X, and shares rose").
    """
    cands = [(p, ti) for p, ti in before if p < 0 or not _after_by(doc, p, lang)]
    while len(cands) > 1 and _apposition(doc, cands[0][0], cands[-1][0], cue):
        cands.pop()  # "SoftBank, a partner of Stargate, fell": the subject is SoftBank
    while len(cands) > 1 and _in_adjunct(doc, cands[-1][0], lang):
        cands.pop()  # "Perplexity's bid for TikTok is a long shot": about Perplexity
    if not cands:
        return {}
    shares: dict[int, float] = {}
    last_pos, last_ti = cands[-1]
    between = doc[max(last_pos + 1, 0) : cue]
    verbs = [t for t in between if t.pos_ == "VERB"]
    shares[last_ti] = VERB_BETWEEN if verbs and last_pos >= 0 else 1.0
    for pos, ti in reversed(cands[:-1]):
        gap = [t.lower_ for t in doc[pos + 1 : last_pos] if not t.ent_type_ and t.pos_ != "PROPN"]
        share = OTHER_SUBJECT if all(w in LIST_GLUE for w in gap) else 0.0
        if share:
            shares[ti] = max(shares.get(ti, 0.0), share * shares[last_ti])
        last_pos = pos
    return shares


def _apposition(doc: Any, outer: int, inner: int, cue: int) -> bool:
    """Whether the mention at `inner` sits between two commas after `outer`, before the cue."""
    if outer < 0:
        return False
    left = any(t.text == "," for t in doc[outer + 1 : inner])
    right = any(t.text == "," for t in doc[inner + 1 : cue])
    return left and right


_ADJUNCT = {
    "en": {"for", "from", "to", "with", "against", "over", "on", "in", "at", "than"},
    "fr": {"pour", "face", "avec", "contre", "sur", "chez", "que", "qu'", "dans"},
}


def _in_adjunct(doc: Any, pos: int, lang: str) -> bool:
    """Whether the mention at `pos` follows a preposition other than "of"/"de" ("bid for X")."""
    for i in range(pos - 1, max(pos - 4, -1), -1):
        if doc[i].lower_ in _ADJUNCT[lang]:
            return True
        if doc[i].pos_ not in {"DET", "ADJ", "ADP"}:
            return False
    return False


def _after_by(doc: Any, pos: int, lang: str) -> bool:
    """Whether the mention at `pos` follows "by"/"par" (allowing a determiner and an adjective)."""
    for i in range(pos - 1, max(pos - 5, -1), -1):
        word = doc[i].lower_
        if word in PASSIVE_BY[lang]:
            return True
        if doc[i].pos_ not in {"DET", "ADJ", "NOUN", "PROPN"}:
            return False
    return False
