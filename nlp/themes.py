"""Narratives of the AI race: a documented theme set, the tickers each theme moves, a scorer.

Each article gets a score in [0, 1] per theme from bilingual (EN + FR) cue phrases, counted on
word boundaries with more weight in the title and the lead: `score = 1 - exp(-hits / 3)`, where a
title hit counts 3, a lead hit (first 600 characters of the body) 1.5 and any other hit 1, and
`hits` is divided by sqrt(length / 2,000 characters) for longer texts so a long article does not
score 1 on every theme. Themes under `MIN_SCORE` are dropped.

Themes (name: what it covers -> the tickers it moves):

- efficiency: compute efficiency, cheaper or distilled models, "doing more with less"
  -> semiconductors and power producers (their demand case is what efficiency threatens)
- capex: AI capital spending, data centres, GPU clusters -> hyperscalers and chip makers
- chips_export: chips, export controls, sanctions, smuggling -> chip makers and equipment
- open_models: open-source/open-weight versus closed models -> the platforms betting on either
- energy: electricity and nuclear power for AI -> power producers and grid equipment
- bubble: bubble talk, valuations, sell-offs, "AI trade" -> the most AI-priced stocks
- funding: funding rounds, valuations of private labs, IPOs -> the labs' listed investors
- launches: model and product launches, benchmarks -> the model makers' parents
- regulation: AI rules, antitrust, copyright, safety laws -> the large platforms
- talent: hiring, poaching, pay packages, departures -> the labs' parents
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MIN_SCORE = 0.15
LEAD_CHARS = 600


@dataclass(frozen=True)
class ThemeDef:
    """A theme: stable name (stored in themes.theme), labels, and the tickers it moves."""

    name: str
    label_en: str
    label_fr: str
    tickers: tuple[str, ...]


THEMES: dict[str, ThemeDef] = {
    t.name: t
    for t in (
        ThemeDef(
            "efficiency",
            "Compute efficiency and cheaper models",
            "Efficacité du calcul et modèles moins chers",
            ("NVDA", "AVGO", "AMD", "TSM", "ASML", "SMCI", "VST", "CEG"),
        ),
        ThemeDef(
            "capex",
            "AI capex and data centres",
            "Investissements IA et centres de données",
            ("MSFT", "GOOGL", "META", "AMZN", "ORCL", "NVDA", "AVGO", "AMD", "TSM"),
        ),
        ThemeDef(
            "chips_export",
            "Chips and export controls",
            "Puces et contrôles à l'exportation",
            ("NVDA", "AMD", "ASML", "TSM", "AVGO", "INTC", "SMCI"),
        ),
        ThemeDef(
            "open_models",
            "Open versus closed models",
            "Modèles ouverts contre fermés",
            ("META", "BABA", "BIDU", "GOOGL", "MSFT"),
        ),
        ThemeDef(
            "energy",
            "Energy for AI",
            "Énergie pour l'IA",
            ("VST", "CEG", "NEE", "GEV", "TLN", "OKLO", "CCJ"),
        ),
        ThemeDef(
            "bubble",
            "Bubble and valuations",
            "Bulle et valorisations",
            ("NVDA", "MSFT", "GOOGL", "META", "AMZN", "ORCL", "PLTR", "SMCI", "CRWV"),
        ),
        ThemeDef(
            "funding",
            "Funding rounds",
            "Levées de fonds",
            ("MSFT", "AMZN", "GOOGL", "9984.T", "NVDA", "ORCL"),
        ),
        ThemeDef(
            "launches",
            "Model launches",
            "Lancements de modèles",
            ("GOOGL", "MSFT", "META", "BABA", "BIDU", "NVDA"),
        ),
        ThemeDef(
            "regulation",
            "Regulation",
            "Régulation",
            ("GOOGL", "META", "MSFT", "AMZN", "AAPL"),
        ),
        ThemeDef(
            "talent",
            "Talent",
            "Talents",
            ("META", "GOOGL", "MSFT"),
        ),
    )
}

# Cue phrases, lower-case, matched on word boundaries. A trailing "*" matches any word ending.
_CUES: dict[str, tuple[str, ...]] = {
    "efficiency": (
        "efficien*",
        "cheaper",
        "low-cost",
        "low cost",
        "fraction of the cost",
        "cost of training",
        "training cost*",
        "distill*",
        "mixture of experts",
        "mixture-of-experts",
        "fewer chips",
        "less compute",
        "more with less",
        "jevons",
        "moins cher*",
        "à bas coût",
        "bas coût",
        "low-budget",
        "petit budget",
        "efficacité",
        "sobriété",
        "coût d'entraînement",
        "coûts d'entraînement",
        "fraction du coût",
        "million dollars",
        "millions de dollars",
    ),
    "capex": (
        "capex",
        "capital expenditure*",
        "capital spending",
        "data cent*",
        "datacent*",
        "centre de données",
        "centres de données",
        "centre de donnees",
        "gpu cluster*",
        "supercomput*",
        "investissements",
        "dépenses d'investissement",
        "infrastructure*",
        "build-out",
        "buildout",
        "hyperscaler*",
        "campus",
        "spending plans",
        "gigawatt*",
    ),
    "chips_export": (
        "export control*",
        "export restriction*",
        "export ban*",
        "contrôles à l'exportation",
        "restrictions à l'exportation",
        "exportations",
        "sanction*",
        "smuggl*",
        "contrebande",
        "entity list",
        "chip*",
        "semiconductor*",
        "semi-conducteur*",
        "puce*",
        "gpu",
        "gpus",
        "h20",
        "h800",
        "h100",
        "lithograph*",
        "foundr*",
        "fonderie*",
    ),
    "open_models": (
        "open source",
        "open-source",
        "open-weight*",
        "open weight*",
        "open model*",
        "closed model*",
        "proprietary model*",
        "modèle ouvert",
        "modèles ouverts",
        "code source ouvert",
        "libre",
        "poids ouverts",
        "modèle fermé",
        "modèles fermés",
        "propriétaire*",
        "hugging face",
        "github",
        "licence",
        "license",
    ),
    "energy": (
        "electricity",
        "électricité",
        "power grid",
        "réseau électrique",
        "power demand",
        "power plant*",
        "centrale*",
        "nuclear",
        "nucléaire",
        "reactor*",
        "réacteur*",
        "small modular",
        "smr",
        "smrs",
        "megawatt*",
        "mégawatt*",
        "energy",
        "énergie",
        "énergétique*",
        "utilities",
        "utility",
        "natural gas",
        "gaz naturel",
        "power purchase",
        "power consumption",
        "consommation électrique",
    ),
    "bubble": (
        "bubble",
        "bulle",
        "valuation*",
        "valorisation*",
        "overvalued",
        "surévalué*",
        "sell-off",
        "selloff",
        "rout",
        "market value",
        "capitalisation*",
        "market cap*",
        "wiped",
        "effacé*",
        "dot-com",
        "dotcom",
        "internet bubble",
        "froth*",
        "euphori*",
        "ai trade",
        "correction",
        "krach",
        "plunge*",
        "chute*",
        "dégringol*",
        "tumble*",
        "slump*",
    ),
    "funding": (
        "funding round*",
        "raised",
        "lève",
        "levé",
        "levée*",
        "levée de fonds",
        "tour de table",
        "series a",
        "series b",
        "series c",
        "series d",
        "valued at",
        "valorisé*",
        "investors",
        "investisseurs",
        "ipo",
        "introduction en bourse",
        "venture capital",
        "capital-risque",
        "funding",
        "financement*",
        "stake",
        "participation",
    ),
    "launches": (
        "launch*",
        "lance*",
        "lancement*",
        "unveil*",
        "dévoil*",
        "release*",
        "new model",
        "nouveau modèle",
        "nouvelle version",
        "benchmark*",
        "reasoning model*",
        "modèle de raisonnement",
        "rolled out",
        "rolls out",
        "announced",
        "annoncé*",
        "présenté*",
        "debut*",
        "app store",
        "top of the",
        "en tête",
    ),
    "regulation": (
        "regulat*",
        "régulat*",
        "réglementation*",
        "ai act",
        "antitrust",
        "concurrence",
        "competition authority",
        "lawsuit*",
        "sued",
        "procès",
        "plainte*",
        "copyright",
        "droit d'auteur",
        "privacy",
        "données personnelles",
        "rgpd",
        "gdpr",
        "ban",
        "banned",
        "interdit*",
        "interdiction*",
        "law",
        "loi",
        "legislation",
        "législation",
        "executive order",
        "décret",
        "fine",
        "amende*",
        "probe",
        "enquête",
        "investigation*",
    ),
    "talent": (
        "talent*",
        "hire*",
        "hiring",
        "recrut*",
        "poach*",
        "débauch*",
        "researchers",
        "chercheurs",
        "engineers",
        "ingénieurs",
        "pay package*",
        "compensation",
        "salaire*",
        "departure*",
        "départ*",
        "left the company",
        "quitte",
        "quitté",
        "joins",
        "rejoint",
        "co-founder*",
        "cofondateur*",
        "cofounder*",
        "acqui-hire",
    ),
}


def _compile(cues: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for c in sorted(cues, key=len, reverse=True):
        if c.endswith("*"):
            parts.append(re.escape(c[:-1]) + r"[\w'-]*")
        else:
            parts.append(re.escape(c))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


_PATTERNS: dict[str, re.Pattern[str]] = {name: _compile(cues) for name, cues in _CUES.items()}


def theme_baskets() -> dict[str, list[str]]:
    """Theme name -> the tickers it moves (for the event study's theme links)."""
    return {name: list(t.tickers) for name, t in THEMES.items()}


def theme_labels(lang: str) -> dict[str, str]:
    """Theme name -> human label in `lang` ("fr" for French, anything else English)."""
    return {name: (t.label_fr if lang == "fr" else t.label_en) for name, t in THEMES.items()}


def score_themes(text: str, title_len: int = 0) -> dict[str, float]:
    """Theme scores in [0, 1] for a normalised "TITLE\\n\\nBODY" text; themes under MIN_SCORE
    are left out. `title_len` is the title's length in `text` (0: no title)."""
    low = text.lower()
    lead_end = (title_len + 2 if title_len else 0) + LEAD_CHARS
    length_factor = max(1.0, math.sqrt(len(text) / 2000))
    scores: dict[str, float] = {}
    for name, pat in _PATTERNS.items():
        raw = 0.0
        for m in pat.finditer(low):
            raw += 3.0 if m.start() < title_len else 1.5 if m.start() < lead_end else 1.0
        score = 1.0 - math.exp(-raw / (3.0 * length_factor))
        if score >= MIN_SCORE:
            scores[name] = round(score, 4)
    return scores
