"""Regenerate the fixture news site in tests/data/sites/news (run by hand after editing texts).

All texts are written for these tests; none is taken from a publication.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "news"

CHIPS_EN = [
    "Washington tightened its rules on the export of advanced AI chips on Monday, and the new "
    "limits reach further than most suppliers had planned for.",
    "Under the revised rules, shipments of Nvidia H100 and H200 accelerators to a longer list of "
    "countries need a licence, and cloud providers must report large training clusters built abroad.",
    "Analysts at two brokerages said the change could shave a few points off Nvidia's data center "
    "revenue next year, although demand from American hyperscalers remains far above supply.",
    "Chip designers are already preparing cut-down parts that stay below the new performance "
    "thresholds, a tactic they used after the previous round of controls.",
    "Executives at several AI labs said the rules would slow the construction of foreign GPU "
    "clusters but would not change their own plans for model training this year.",
]
OPEN_MODEL_EN = [
    "A small lab released an open-weight reasoning model this week that matches far larger "
    "systems on maths and coding tests, at a fraction of the training cost.",
    "The model, trained on a cluster of older GPUs, was published with its weights and a long "
    "technical report describing how reinforcement learning shaped its reasoning steps.",
    "Researchers at OpenAI and Anthropic called the results impressive, while investors asked "
    "whether the huge budgets of American labs still buy a lasting lead in the AI race.",
    "Shares of chip makers fell sharply in early trading as traders weighed what cheaper training "
    "could mean for future orders of accelerators.",
    "Independent testers are now trying to reproduce the benchmark scores, and several cloud "
    "platforms have started to offer the model to their customers.",
]
OPEN_MODEL_UPDATED_EN = [
    *OPEN_MODEL_EN[:-1],
    OPEN_MODEL_EN[-1].replace("have started to offer", "have begun to offer"),
]
POWER_EN = [
    "Electric utilities in three states filed plans to build new gas and nuclear capacity, citing "
    "requests from companies that want to open AI data centers before the end of the decade.",
    "One operator said a single campus for training large language models could draw as much "
    "power as a mid-sized city, and asked regulators to let it pass part of the grid costs on.",
    "Consumer groups warned that households could end up paying for infrastructure built for a "
    "handful of technology firms whose demand forecasts may prove too optimistic.",
    "Microsoft and Google have both signed long-term contracts for carbon-free electricity, but "
    "their filings show that most new data center load will be met by conventional plants at first.",
]
NO_META_EN = [
    "The agent startup says its software can book travel, file expense reports and answer support "
    "tickets on its own, using a large language model to plan each step.",
    "Early customers report that the agents handle routine cases well but still need a human to "
    "approve payments, and the company plans to add audit logs before a wider launch.",
    "Competitors including OpenAI and Google DeepMind are working on similar agents, which makes "
    "the field crowded for a company that has raised only a modest seed round.",
]
GARDEN_EN = [
    "Tomatoes grown in containers need more water than those planted in the ground, especially "
    "during the hottest weeks of July when the soil dries out by the afternoon.",
    "Gardeners who mulch their pots with straw or shredded leaves lose less moisture, and a deep "
    "watering every other morning beats a light sprinkle in the evening.",
    "Pick the fruit when it is fully coloured but still firm, and keep it on the kitchen counter "
    "rather than in the fridge to preserve its flavour for a few more days.",
]
MISTRAL_FR = [
    "La start-up parisienne Mistral AI a annoncé une nouvelle levée de fonds destinée à financer "
    "l'entraînement de ses prochains modèles de langage et l'achat de puces.",
    "Selon ses dirigeants, l'argent servira d'abord à louer des centres de données en Europe, "
    "afin de réduire la dépendance aux fournisseurs de cloud américains.",
    "L'entreprise veut aussi étoffer son offre pour les administrations et les banques, qui "
    "réclament des modèles d'intelligence artificielle hébergés sur le continent.",
    "Plusieurs investisseurs estiment que la course à l'IA se jouera sur la puissance de calcul "
    "disponible, et que les acteurs européens doivent accélérer pour rester dans la compétition.",
]
PUCES_FR = [
    "Les fabricants européens de semi-conducteurs réclament un plan d'aide pour produire des "
    "puces destinées à l'intelligence artificielle sur le sol du continent.",
    "Ils rappellent que la quasi-totalité des processeurs graphiques utilisés pour entraîner les "
    "modèles d'IA générative sort aujourd'hui d'usines situées en Asie.",
    "Le gouvernement prépare une réponse et promet des crédits d'impôt, mais les industriels "
    "jugent les montants évoqués trop faibles face aux subventions américaines.",
]
BUDGET_FR = [
    "Le ministère a présenté jeudi un budget révisé qui prévoit davantage de moyens pour "
    "l'intelligence artificielle dans les hôpitaux et les services publics.",
    "Les syndicats saluent l'effort mais demandent que les agents soient formés avant le "
    "déploiement des nouveaux outils d'IA, notamment pour la gestion des dossiers.",
    "Un rapport parlementaire recommande par ailleurs de créer un centre de données public "
    "mutualisé afin d'éviter que chaque administration achète ses propres serveurs.",
]


def page(
    title: str | None,
    paragraphs: list[str],
    *,
    lang: str = "en",
    charset: str | None = "utf-8",
    head_extra: str = "",
    date_html: str = "",
    site: str = "Loopback News",
) -> str:
    """A plausible news page: header, nav, article body, related links, footer."""
    body = "\n".join(f"      <p>{p}</p>" for p in paragraphs)
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    title_tag = f"<title>{title} | {site}</title>" if title else ""
    h1 = f"<h1>{title}</h1>" if title else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  {meta_charset}
  {title_tag}
  {head_extra}
</head>
<body>
  <header><a href="/">{site}</a>
    <nav><a href="/section/index.html">AI</a> <a href="/tag/markets/">Markets</a></nav>
  </header>
  <main>
    <article>
      {h1}
      {date_html}
{body}
    </article>
    <aside><h3>Most read</h3><ul><li><a href="/other-1.html">Other story one</a></li>
      <li><a href="/other-2.html">Other story two</a></li></ul></aside>
  </main>
  <footer><p>Copyright Loopback News. All rights reserved.</p></footer>
</body>
</html>
"""


def jsonld(headline: str, date: str, author: str, lang: str = "en") -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": date,
        "author": [{"@type": "Person", "name": author}],
        "inLanguage": lang,
        "publisher": {"@type": "Organization", "name": "Loopback News"},
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    path = ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def main() -> None:
    t1 = "Washington widens AI chip export limits"
    write(
        "2025/01/chip-export-limits.html",
        page(
            t1,
            CHIPS_EN,
            head_extra=jsonld(t1, "2025-01-13T14:30:00-05:00", "Dana Whitfield")
            + '\n  <link rel="canonical" href="/2025/01/chip-export-limits.html">'
            + '\n  <meta property="og:image" content="/img/chips.jpg">'
            + '\n  <meta name="description" content="New licence rules for AI accelerators.">',
        ),
    )
    # A syndicated copy: same story on a partner path, different page chrome.
    write(
        "partners/wire-chip-export.html",
        page(t1 + " (wire)", CHIPS_EN, site="Partner Wire"),
    )
    t2 = "Open-weight reasoning model rattles US labs"
    write(
        "2025/01/open-weight-reasoning-model.html",
        page(
            t2,
            OPEN_MODEL_EN,
            head_extra=f'<meta property="og:title" content="{t2}">'
            '\n  <meta property="article:published_time" content="2025-01-27T06:00:00Z">'
            '\n  <meta name="author" content="Sam Ortega">'
            '\n  <meta property="og:site_name" content="Loopback News">',
        ),
    )
    write(
        "mirror/open-weight-model-updated.html",
        page(t2 + " (updated)", OPEN_MODEL_UPDATED_EN, site="Mirror Daily"),
    )
    write(
        "2025/01/utilities-power-ai-data-centers.html",
        page(
            "Utilities race to power AI data centers",
            POWER_EN,
            date_html='<time datetime="2025-01-28">January 28, 2025</time>',
        ),
    )
    write("2025/02/agent-startup-no-metadata.html", page(None, NO_META_EN))
    write("2025/01/container-tomatoes.html", page("Watering tomatoes in pots", GARDEN_EN))
    t4 = "Mistral AI lève des fonds pour ses futurs modèles"
    write(
        "fr/2025/02/mistral-ai-levee-de-fonds.html",
        page(
            t4,
            MISTRAL_FR,
            lang="fr",
            head_extra=jsonld(t4, "2025-02-10T09:15:00+01:00", "Claire Dumas", "fr"),
        ),
    )
    # Latin-1 bytes and no declared charset anywhere (HTTP header or meta).
    write(
        "fr/2025/02/puces-ia-europe-latin1.html",
        page(
            "Les industriels réclament des puces IA européennes",
            PUCES_FR,
            lang="fr",
            charset=None,
            date_html='<time datetime="2025-02-03T10:00:00+01:00">3 février</time>',
        ),
        encoding="latin-1",
    )
    # cp1252 bytes with the charset declared in a meta tag.
    write(
        "fr/2025/02/budget-ia-administrations.html",
        page(
            "Un budget révisé pour l’IA dans les services publics",
            BUDGET_FR,
            lang="fr",
            charset="windows-1252",
            date_html='<time datetime="2025-02-06">6 février 2025</time>',
        ),
        encoding="cp1252",
    )
    # Malformed HTML: unclosed tags, stray end tags; the text is still readable.
    write(
        "2025/02/malformed-page.html",
        "<html><head><title>Broken markup, AI story</title><body><div><article><h1>Broken "
        "markup<p>" + "<p>".join(POWER_EN[:3]) + "</div></td></span><p>Unclosed <b>bold "
        "and <i>italic</article>",
    )
    write("2025/02/empty.html", "")
    # Listing pages (section with pagination).
    links1 = [
        "/2025/01/chip-export-limits.html",
        "/2025/01/utilities-power-ai-data-centers.html",
        "/fr/2025/02/mistral-ai-levee-de-fonds.html",
    ]
    links2 = ["/2025/02/agent-startup-no-metadata.html", "/2025/01/container-tomatoes.html"]

    def listing(links: list[str], nxt: str | None) -> str:
        items = "\n".join(
            f'<li><a class="article-link" href="{u}">Story</a> <a href="/tag/ai/">ai</a></li>'
            for u in links
        )
        more = f'<a class="next" href="{nxt}">Next page</a>' if nxt else ""
        return f"<html><body><h1>AI</h1><ul>{items}</ul>{more}</body></html>"

    write("section/index.html", listing(links1, "/section/page-2.html"))
    write("section/page-2.html", listing(links2, None))


if __name__ == "__main__":
    main()
