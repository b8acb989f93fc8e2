"""Is an article about the AI race? Keyword and entity matching in English and French.

The built-in list below covers the field's vocabulary and its main players; the command adds the
knowledge base's names and aliases when it is there. Matching is case-insensitive on word
boundaries, except for short all-caps terms (AI, IA, GPU) which must match in capitals so that
French "ia" inside words or English "ai" in names do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BUILTIN_TERMS: tuple[str, ...] = (
    # English vocabulary
    "artificial intelligence",
    "AI",
    "A.I.",
    "AGI",
    "generative AI",
    "machine learning",
    "deep learning",
    "neural network",
    "large language model",
    "language model",
    "LLM",
    "LLMs",
    "foundation model",
    "chatbot",
    "AI model",
    "AI chip",
    "AI chips",
    "GPU",
    "GPUs",
    "data center",
    "data centre",
    "datacenter",
    "inference",
    "model training",
    "open-weight",
    "open-source model",
    "reasoning model",
    "superintelligence",
    "transformer model",
    # French vocabulary
    "intelligence artificielle",
    "IA",
    "IA générative",
    "apprentissage automatique",
    "apprentissage profond",
    "réseau de neurones",
    "réseaux de neurones",
    "grand modèle de langage",
    "modèle de langage",
    "modèles de langage",
    "agent conversationnel",
    "puces IA",
    "centre de données",
    "centres de données",
    "superintelligence",
    # players (companies, labs, models, people)
    "OpenAI",
    "ChatGPT",
    "GPT-4",
    "GPT-4o",
    "GPT-5",
    "o1",
    "o3",
    "Sora",
    "Anthropic",
    "Claude",
    "Google DeepMind",
    "DeepMind",
    "Gemini",
    "Meta AI",
    "Llama",
    "Mistral AI",
    "Mistral",
    "Le Chat",
    "DeepSeek",
    "Qwen",
    "Alibaba Cloud",
    "Baidu",
    "Ernie",
    "xAI",
    "Grok",
    "Nvidia",
    "NVIDIA",
    "CUDA",
    "Blackwell",
    "Hopper",
    "H100",
    "H200",
    "B200",
    "AMD Instinct",
    "TSMC",
    "ASML",
    "Broadcom",
    "Cerebras",
    "Groq",
    "Hugging Face",
    "Perplexity",
    "Stability AI",
    "Midjourney",
    "Copilot",
    "Azure AI",
    "Stargate",
    "Sam Altman",
    "Dario Amodei",
    "Demis Hassabis",
    "Jensen Huang",
    "Arthur Mensch",
    "Yann LeCun",
    "Liang Wenfeng",
    "Kyutai",
    "H Company",
    "Poolside",
    "Aleph Alpha",
    "Cohere",
    "Inflection",
    "Scale AI",
    "CoreWeave",
    "Safe Superintelligence",
)


@dataclass(frozen=True)
class RelevanceResult:
    """Whether the article is in scope, and the distinct terms that decided it."""

    relevant: bool
    matched: tuple[str, ...]


_TOKEN = re.compile(r"[\w.+-]+", re.UNICODE)
_SPACES = re.compile(r"[\s\u00a0-]+")


def _tokens(text: str) -> list[str]:
    return [t.strip(".-+") for t in _TOKEN.findall(text)]


def _plural_variants(word: str) -> tuple[str, ...]:
    """The word and its singular forms if it ends like a plural (s, x, es)."""
    out = [word]
    for suffix in ("es", "s", "x"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            out.append(word[: -len(suffix)])
    return tuple(out)


def _pattern(term: str) -> str:
    body = re.escape(term.strip())
    body = body.replace(r"\ ", r"[\s\u00a0-]+")
    # Plurals count: "data centers", "LLMs", "modèles de langage" (s/x on the last word).
    return rf"(?<![\w.-]){body}(?:s|x|es)?(?![\w-])"


class RelevanceFilter:
    """Decide relevance from a title and a text.

    An article is relevant when its title names a term, or its text names at least `min_terms`
    distinct terms (one mention of "inference" in a sports story is not enough), or a source's own
    keyword list matches.

    Matching is done on tokens, not with one big regular expression (which cost ~8 ms per article):
    one-word terms are set lookups, several-word terms are looked up from their first word.
    """

    def __init__(self, terms: Iterable[str] = (), *, min_terms: int = 2) -> None:
        all_terms = sorted({" ".join(t.split()) for t in (*BUILTIN_TERMS, *terms) if t.strip()})
        self.min_terms = min_terms
        # Short all-caps terms (AI, IA, GPU, A.I.) must match in capitals.
        self._exact: set[str] = set()
        self._single: set[str] = set()
        self._multi: dict[str, list[tuple[str, ...]]] = {}
        for term in all_terms:
            if len(term) <= 4 and term.upper() == term and " " not in term:
                self._exact.add(term.strip(".-+"))
                continue
            words = tuple(_tokens(term.casefold()))
            if not words:
                continue
            if len(words) == 1:
                self._single.add(words[0])
            else:
                self._multi.setdefault(words[0], []).append(words)

    def matches(self, text: str, limit: int | None = None) -> set[str]:
        """Distinct terms (case-folded) found in a text; stops early once `limit` are found."""
        found: set[str] = set()
        raw = _tokens(text)
        for tok in raw:
            if tok and any(v in self._exact for v in _plural_variants(tok)):
                found.add(tok.casefold().rstrip("s"))
                if limit and len(found) >= limit:
                    return found
        folded = [t.casefold() for t in raw]
        for i, tok in enumerate(folded):
            variants = _plural_variants(tok)
            if any(v in self._single for v in variants):
                found.add(variants[-1] if variants[-1] in self._single else tok)
            for words in self._multi.get(tok, ()):
                n = len(words)
                window = folded[i : i + n]
                if (
                    len(window) == n
                    and window[:-1] == list(words[:-1])
                    and words[-1] in _plural_variants(window[-1])
                ):
                    found.add(" ".join(words))
            if limit and len(found) >= limit:
                return found
        return found

    def check(
        self, title: str, text: str, keywords: Sequence[str] = (), always: bool = False
    ) -> RelevanceResult:
        """Apply the rule; `keywords` (a source's filter) must also match when given."""
        if keywords:
            kw = RelevanceFilter.keyword_hits(f"{title}\n{text}", keywords)
            if not kw:
                return RelevanceResult(False, ())
            if always:
                return RelevanceResult(True, tuple(sorted(kw)))
        if always:
            return RelevanceResult(True, ())
        in_title = self.matches(title or "", limit=1)
        if in_title:
            return RelevanceResult(True, tuple(sorted(in_title)))
        in_text = self.matches(text or "", limit=self.min_terms)
        return RelevanceResult(len(in_text) >= self.min_terms, tuple(sorted(in_text)))

    @staticmethod
    def keyword_hits(text: str, keywords: Sequence[str]) -> set[str]:
        """Which of a source's keywords occur in the text (case-insensitive, word boundaries)."""
        folded = text.casefold()
        return {
            k
            for k in keywords
            if k.strip() and re.search(_pattern(k.casefold()), folded, re.IGNORECASE)
        }


def merge_terms(*lists: Iterable[str]) -> list[str]:
    """Union of term lists, order kept, blanks and repeats removed."""
    seen: dict[str, None] = {}
    for terms in lists:
        for t in terms:
            if t and t.strip():
                seen.setdefault(t.strip(), None)
    return list(seen)
