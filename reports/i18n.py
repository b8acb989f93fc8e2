"""Labels and number/date formats of the briefing in English and French."""

from __future__ import annotations

import datetime as dt
import math

LANGUAGES = ("en", "fr")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Weekly briefing",
        "subtitle": "The AI race in the news and in the markets",
        "week": "Week",
        "generated": "Generated",
        "page": "Page",
        "of": "of",
        "articles": "Articles",
        "sources": "Sources",
        "languages": "Languages",
        "top_stories": "Top stories",
        "in_brief": "In brief",
        "most_mentioned": "Most mentioned",
        "rising_narratives": "Rising narratives",
        "empty_title": "Nothing to report",
        "empty_body": (
            "The database holds no article published in this period and no market reaction to "
            "report. Run a crawl and the analysis, or pick another week."
        ),
        "market": "Market moves",
        "market_intro": (
            "Largest day-0 abnormal returns of tracked tickers this week, one per ticker, "
            "with the stories linked to each move."
        ),
        "ticker": "Ticker",
        "session": "Session",
        "ar_short": "AR day 0",
        "car": "CAR",
        "benchmark": "Benchmark",
        "stories": "Stories",
        "story": "Story",
        "source": "Source",
        "stance": "Stance",
        "link": "Link",
        "and_more": "and {n} more",
        "no_moves": "No market reaction was computed for a session of this week.",
        "missing_prices": "No price data this week for: {tickers}.",
        "significance": "Stars: |t| ≥ 1.645 *, ≥ 1.96 **, ≥ 2.58 *** (10%, 5%, 1%, two-sided).",
        "favourable": "favourable",
        "unfavourable": "unfavourable",
        "neutral": "neutral",
        "unknown": "—",
        "link_direct": "about {via}",
        "link_parent": "via {via} (subsidiary)",
        "link_exposure": "via {via} ({relation})",
        "link_exposure_plain": "via {via}",
        "link_theme": "sector basket: {via}",
        "rel_investor": "investor",
        "rel_partner": "partner",
        "rel_supplier": "supplier",
        "rel_customer": "customer",
        "return_day": "Return day 0",
        "on_the_day": "on the day",
        "vs_benchmark": "vs {benchmark}",
        "gap_title": "Raw and abnormal moves",
        "gap_note": (
            "{ticker} moved {raw} on {day}, while its benchmark {benchmark} moved {bench} in the "
            "same session: against the benchmark the move is {ar}. The rest is what the "
            "benchmark's own move predicts for {ticker}."
        ),
        "gap_note_nobench": (
            "{ticker} moved {raw} on {day}; against its benchmark {benchmark} the move is {ar}. "
            "The rest is what the benchmark's move predicts for {ticker}."
        ),
        "basket_only_flag": "sector basket only",
        "basket_only_title": "Moves linked only through a sector basket",
        "basket_only_intro": (
            "No story of the week names these companies or a company tied to them: each is "
            "linked because a story about other companies carried a theme of its sector basket. "
            "Weaker evidence: these moves may have causes the stories here do not show."
        ),
        "continued": " · {section}, continued",
        "chart_caption": (
            "{ticker} against {benchmark}, rebased to 100; shaded: the reported week. "
            "Coloured marks on {day}: the {listed} listed below, by stance."
        ),
        "chart_others": (
            " Grey ticks: {others} linked to {ticker} on other sessions between {start} and "
            "{end}, not listed here."
        ),
        "noun_article": "article|articles",
        "noun_story": "story|stories",
        "noun_source": "source|sources",
        "noun_language": "language|languages",
        "noun_entity_tracked": "entity tracked|entities tracked",
        "noun_ticker_tracked": "ticker tracked|tickers tracked",
        "no_chart": "No chart: fewer than two closes of {ticker} are stored around the week.",
        "no_time": "time unknown",
        "entities": "Entities",
        "entities_intro": (
            "Articles mentioning each entity, against the previous {days} days, and the net "
            "stance (mean of favourable +1, neutral 0, unfavourable −1)."
        ),
        "entity": "Entity",
        "change": "Change",
        "prev": "Previous",
        "net_stance": "Net stance",
        "fav_unfav": "Fav. / unfav.",
        "gainers": "Gained sentiment",
        "losers": "Lost sentiment",
        "none": "None this week.",
        "narratives": "Narratives",
        "themes_intro": "Share of the week's articles carrying each theme, and the change.",
        "theme": "Theme",
        "share": "Share",
        "rising": "Rising",
        "fading": "Fading",
        "clusters": "Story clusters",
        "clusters_intro": (
            "Articles grouped by the similarity of their embeddings: each line is one story, "
            "told by several articles."
        ),
        "no_clusters": "No story was covered by more than one article (or no embeddings).",
        "headline": "Representative headline",
        "n_articles": "Articles",
        "n_sources": "Sources",
        "first_follow": "First / follow-ups",
        "signal": "What the news said and what the market did",
        "signal_intro": (
            "Does the stance of the news toward a listed company line up with its abnormal "
            "return? The information coefficient (IC) is the Spearman rank correlation of "
            "stance and CAR; the hit rate is the share of favourable or unfavourable stories "
            "whose CAR had the same sign. Intervals are 95% bootstrap intervals resampling "
            "event days."
        ),
        "signal_recent": "Trailing 13 weeks ({start} to {end})",
        "signal_all": "Since the start of the data (to {end})",
        "variant": "Variant",
        "contemporaneous": "Contemporaneous",
        "predictive": "Predictive",
        "events": "Events",
        "days": "Days",
        "ic": "IC [95%]",
        "hit_rate": "Hit rate [95%]",
        "too_few": "Too few events to conclude anything (n = {n}, {days} event days).",
        "no_events": "No event with both a stance and a reaction in this period.",
        "too_few_days": "Too few days to conclude anything ({days} days with a position).",
        "no_novelty": "Stories not grouped yet: the portfolio uses every report, not only first ones.",
        "long_short": "Long-short portfolio on first reports",
        "long_short_body": (
            "Each day, long the tickers with net favourable first reports, short those with net "
            "unfavourable ones, equal weights, held for the next session (abnormal return "
            "[+1,+1]): {days} days, cumulative {cum}, mean daily turnover {turnover}. No costs."
        ),
        "signal_assumptions": (
            "Assumptions. Contemporaneous: CAR over sessions [0,+1] of the story's day 0 (the "
            "session it could first move); story and return overlap, so this measures "
            "association, not forecasting power. Predictive: the abnormal return of session +1, "
            "which starts at the close of day 0, after every story counted (news out before "
            "the open counts for that session, after the close for the next one); stories "
            "dated only to the day are left out. Events on one day are not independent, hence "
            "the day bootstrap. Returns are abnormal returns of the event study; the stance is "
            "the story's stance toward the linked company."
        ),
        "reactions": "Reaction summary",
        "reactions_intro": (
            "Mean CAR{window} after favourable and after unfavourable stories directly about "
            "a listed company, {start} to {end}. One event per ticker, session and stance."
        ),
        "by_entity": "By entity",
        "by_theme": "By theme",
        "mean_car": "Mean CAR",
        "spread": "Spread",
        "t": "t",
        "n": "n",
        "too_small": "Too few events to say anything (fewer than {n} on a side).",
        "no_reactions": "No event with a favourable or unfavourable stance in this period.",
        "appendix": "Appendix: articles of the week",
        "appendix_intro": "Every article of the week by day of publication (UTC): time, title "
        "(a link to the article), source and language. A dash stands for the time of an article "
        "known only to the day.",
        "undated": "{n} fetched this week have no publication date and are not listed.",
        "method": "Method",
        "method_body": (
            "Abnormal returns come from an event study against each ticker's benchmark; CAR is "
            "the cumulative abnormal return over the window in trading sessions around the "
            "session a story could first move the price. Stances and themes are machine "
            "readings of the articles and can be wrong on any single article."
        ),
    },
    "fr": {
        "title": "Note hebdomadaire",
        "subtitle": "La course à l'IA dans l'actualité et sur les marchés",
        "week": "Semaine",
        "generated": "Générée le",
        "page": "Page",
        "of": "sur",
        "articles": "Articles",
        "sources": "Sources",
        "languages": "Langues",
        "top_stories": "À la une",
        "in_brief": "En bref",
        "most_mentioned": "Les plus citées",
        "rising_narratives": "Récits en hausse",
        "empty_title": "Rien à signaler",
        "empty_body": (
            "La base ne contient aucun article publié sur cette période ni aucune réaction de "
            "marché. Lancez une collecte et l'analyse, ou choisissez une autre semaine."
        ),
        "market": "Mouvements de marché",
        "market_intro": (
            "Plus forts rendements anormaux du jour 0 parmi les titres suivis cette semaine, un "
            "par titre, avec les articles rattachés à chaque mouvement."
        ),
        "ticker": "Titre",
        "session": "Séance",
        "ar_short": "RA jour 0",
        "car": "RAC",
        "benchmark": "Indice de réf.",
        "stories": "Articles",
        "story": "Article",
        "source": "Source",
        "stance": "Tonalité",
        "link": "Lien",
        "and_more": "et {n} de plus",
        "no_moves": "Aucune réaction de marché calculée pour une séance de cette semaine.",
        "missing_prices": "Pas de cours cette semaine pour : {tickers}.",
        "significance": (
            "Étoiles : |t| ≥ 1,645 *, ≥ 1,96 **, ≥ 2,58 *** (10 %, 5 %, 1 %, bilatéral)."
        ),
        "favourable": "favorable",
        "unfavourable": "défavorable",
        "neutral": "neutre",
        "unknown": "—",
        "link_direct": "sur {via}",
        "link_parent": "via {via} (filiale)",
        "link_exposure": "via {via} ({relation})",
        "link_exposure_plain": "via {via}",
        "link_theme": "panier sectoriel : {via}",
        "rel_investor": "investisseur",
        "rel_partner": "partenaire",
        "rel_supplier": "fournisseur",
        "rel_customer": "client",
        "return_day": "Var. jour 0",
        "on_the_day": "sur la séance",
        "vs_benchmark": "face à {benchmark}",
        "gap_title": "Variations brutes et anormales",
        "gap_note": (
            "{ticker} a varié de {raw} le {day}, et son indice de référence {benchmark} de "
            "{bench} sur la même séance : face à l'indice, le mouvement est de {ar}. Le reste "
            "correspond à ce que le mouvement de l'indice laissait attendre pour {ticker}."
        ),
        "gap_note_nobench": (
            "{ticker} a varié de {raw} le {day} ; face à son indice de référence {benchmark}, "
            "le mouvement est de {ar}. Le reste correspond à ce que le mouvement de l'indice "
            "laissait attendre pour {ticker}."
        ),
        "basket_only_flag": "panier sectoriel seul",
        "basket_only_title": "Mouvements rattachés par un panier sectoriel seulement",
        "basket_only_intro": (
            "Aucun article de la semaine ne cite ces sociétés ni une société qui leur est liée : "
            "chacune est rattachée parce qu'un article sur d'autres sociétés portait un thème de "
            "son panier sectoriel. Indice plus faible : ces mouvements peuvent avoir des causes "
            "que ces articles ne montrent pas."
        ),
        "continued": " · {section} (suite)",
        "chart_caption": (
            "{ticker} face à {benchmark}, base 100 ; en grisé : la semaine étudiée. Repères "
            "colorés le {day} : un par article listé ci-dessous ({listed}), selon la tonalité."
        ),
        "chart_others": (
            " Traits gris : les autres articles rattachés à {ticker} ({others}) entre le {start} "
            "et le {end}, non listés ici."
        ),
        "noun_article": "article|articles",
        "noun_story": "article|articles",
        "noun_source": "source|sources",
        "noun_language": "langue|langues",
        "noun_entity_tracked": "entité suivie|entités suivies",
        "noun_ticker_tracked": "titre suivi|titres suivis",
        "no_chart": (
            "Pas de graphique : moins de deux cours de clôture de {ticker} autour de la semaine."
        ),
        "no_time": "heure inconnue",
        "entities": "Entités",
        "entities_intro": (
            "Articles citant chaque entité, comparés aux {days} jours précédents, et tonalité "
            "nette (moyenne de favorable +1, neutre 0, défavorable −1)."
        ),
        "entity": "Entité",
        "change": "Écart",
        "prev": "Précédent",
        "net_stance": "Tonalité nette",
        "fav_unfav": "Fav. / défav.",
        "gainers": "Tonalité en hausse",
        "losers": "Tonalité en baisse",
        "none": "Aucune cette semaine.",
        "narratives": "Récits",
        "themes_intro": "Part des articles de la semaine portant chaque thème, et son évolution.",
        "theme": "Thème",
        "share": "Part",
        "rising": "En hausse",
        "fading": "En recul",
        "clusters": "Groupes d'articles",
        "clusters_intro": (
            "Articles regroupés selon la proximité de leurs plongements : chaque ligne est un "
            "même sujet traité par plusieurs articles."
        ),
        "no_clusters": "Aucun sujet traité par plus d'un article (ou pas de plongements).",
        "headline": "Titre représentatif",
        "n_articles": "Articles",
        "n_sources": "Sources",
        "first_follow": "Premiers / suites",
        "signal": "Ce que disait l'actualité, ce qu'a fait le marché",
        "signal_intro": (
            "La tonalité des articles envers une société cotée va-t-elle de pair avec son "
            "rendement anormal ? Le coefficient d'information (IC) est la corrélation de rang "
            "de Spearman entre tonalité et CAR ; le taux de réussite est la part des articles "
            "favorables ou défavorables dont le CAR a le même signe. Intervalles à 95 % par "
            "bootstrap des jours d'événement."
        ),
        "signal_recent": "13 dernières semaines ({start} au {end})",
        "signal_all": "Depuis le début des données (jusqu'au {end})",
        "variant": "Variante",
        "contemporaneous": "Simultanée",
        "predictive": "Prédictive",
        "events": "Événements",
        "days": "Jours",
        "ic": "IC [95 %]",
        "hit_rate": "Taux de réussite [95 %]",
        "too_few": "Trop peu d'événements pour conclure (n = {n}, {days} jours d'événement).",
        "no_events": "Aucun événement avec une tonalité et une réaction sur cette période.",
        "too_few_days": "Trop peu de jours pour conclure ({days} jours avec une position).",
        "no_novelty": "Articles pas encore regroupés : le portefeuille retient toutes les annonces.",
        "long_short": "Portefeuille long-short sur les premières annonces",
        "long_short_body": (
            "Chaque jour, achat des titres dont les premières annonces sont favorables en net, "
            "vente de ceux dont elles sont défavorables, poids égaux, conservés la séance "
            "suivante (rendement anormal [+1,+1]) : {days} jours, cumul {cum}, rotation "
            "quotidienne moyenne {turnover}. Sans frais."
        ),
        "signal_assumptions": (
            "Hypothèses. Simultanée : CAR des séances [0,+1] autour du jour 0 de l'article (la "
            "première séance qu'il peut faire bouger) ; article et rendement se recouvrent, "
            "c'est une association, pas une prévision. Prédictive : rendement anormal de la "
            "séance +1, qui commence à la clôture du jour 0, après tous les articles retenus "
            "(avant l'ouverture : cette séance ; après la clôture : la suivante) ; les "
            "articles datés au jour seulement sont écartés. Les événements d'un même jour ne "
            "sont pas indépendants, d'où le bootstrap par jour. Rendements anormaux de l'étude "
            "d'événements ; tonalité envers la société liée."
        ),
        "reactions": "Synthèse des réactions",
        "reactions_intro": (
            "RAC{window} moyen après des articles favorables et défavorables portant "
            "directement sur une société cotée, du {start} au {end}. Un événement par titre, "
            "séance et tonalité."
        ),
        "by_entity": "Par entité",
        "by_theme": "Par thème",
        "mean_car": "RAC moyen",
        "spread": "Écart",
        "t": "t",
        "n": "n",
        "too_small": "Trop peu d'événements pour conclure (moins de {n} d'un côté).",
        "no_reactions": "Aucun événement de tonalité favorable ou défavorable sur la période.",
        "appendix": "Annexe : articles de la semaine",
        "appendix_intro": "Tous les articles de la semaine par jour de publication (UTC) : "
        "heure, titre (lien vers l'article), source et langue. Un tiret remplace l'heure d'un "
        "article daté au jour seulement.",
        "undated": ("{n} collectés cette semaine sans date de publication ne sont pas listés."),
        "method": "Méthode",
        "method_body": (
            "Les rendements anormaux proviennent d'une étude d'événement face à l'indice de "
            "référence de chaque titre ; le RAC cumule ces rendements sur la fenêtre de séances "
            "autour de la première séance où l'article pouvait jouer sur le cours. Tonalités et "
            "thèmes sont des lectures automatiques, faillibles article par article."
        ),
    },
}

_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def labels(lang: str) -> dict[str, str]:
    """The label set of `lang` (en or fr); raises ValueError for any other language."""
    if lang not in LABELS:
        raise ValueError(f"unsupported report language {lang!r}: use en or fr")
    return LABELS[lang]


def noun(n: int, key: str, lang: str) -> str:
    """The form of noun `key` for a count `n`: labels `noun_<key>` hold "singular|plural";
    French takes the singular for 0 and 1, English for 1 only."""
    singular, _, plural = labels(lang)[f"noun_{key}"].partition("|")
    one = n in (0, 1) if lang == "fr" else n == 1
    return singular if one else plural


def count(n: int, key: str, lang: str) -> str:
    """`1 article`, `3 articles`: the number and the noun in its form for `n`."""
    return f"{format_number(n, lang)} {noun(n, key, lang)}"


def format_date(day: dt.date | dt.datetime | None, lang: str, *, long: bool = False) -> str:
    """`2025-01-27`, or `27 January 2025` / `27 janvier 2025` when `long`."""
    if day is None:
        return "—"
    if isinstance(day, dt.datetime):
        day = day.date()
    if not long:
        return day.isoformat()
    first = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{first} {month_name(day.month, lang)} {day.year}"


def month_name(month: int, lang: str) -> str:
    """`janvier` / `January` for month 1..12."""
    return (_MONTHS_FR if lang == "fr" else _MONTHS_EN)[month - 1]


def format_number(value: float | int | None, lang: str, digits: int = 0, sign: bool = False) -> str:
    """A number with thousands separators and the language's decimal mark; `—` for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
    text = text.replace("-", "−")
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def format_pct(value: float | None, lang: str, digits: int = 1, sign: bool = True) -> str:
    """A fraction as a percentage: 0.172 -> `+17.2%` (en) or `+17,2 %` (fr)."""
    if value is None or not math.isfinite(value):
        return "—"
    body = format_number(value * 100, lang, digits, sign)
    return f"{body}\u202f%" if lang == "fr" else f"{body}%"
