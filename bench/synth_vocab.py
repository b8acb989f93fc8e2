"""Fixed vocabulary of the synthetic corpus: entities, exposures, sources, themes, sentence templates.

Everything here is written for airace's benchmarks. The sentences are generic filler built from
templates; they are not taken from any publication. Entities, tickers and event dates are public
facts; the articles "about" them are invented.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class EntityDef(NamedTuple):
    key: str
    name: str
    type: str
    aliases: tuple[str, ...]
    ticker: str | None
    exchange: str | None
    country: str | None
    parent: str | None
    weight: float  # how often the press names it (relative)


def _e(
    key: str,
    name: str,
    type_: str,
    aliases: tuple[str, ...] = (),
    ticker: str | None = None,
    exchange: str | None = None,
    country: str | None = None,
    parent: str | None = None,
    weight: float = 1.0,
) -> EntityDef:
    return EntityDef(key, name, type_, aliases, ticker, exchange, country, parent, weight)


# Keys, types and tickers agree with the knowledge base (nlp/kb/*.yaml), so the KB resolves names
# to these rows. Tickers are those of market/data/prices where the company is there; other listed companies keep
# their real ticker (no bundled prices, so no reactions: like a ticker whose prices failed).
ENTITIES: tuple[EntityDef, ...] = (
    # Listed companies with bundled prices.
    _e("nvidia", "NVIDIA", "company", ("Nvidia", "NVDA"), "NVDA", "NASDAQ", "US", weight=9),
    _e("microsoft", "Microsoft", "company", ("MSFT",), "MSFT", "NASDAQ", "US", weight=6),
    _e("alphabet", "Alphabet", "company", ("Google",), "GOOGL", "NASDAQ", "US", weight=6),
    _e("meta", "Meta Platforms", "company", ("Meta",), "META", "NASDAQ", "US", weight=5),
    _e(
        "amazon",
        "Amazon",
        "company",
        ("AWS", "Amazon Web Services"),
        "AMZN",
        "NASDAQ",
        "US",
        weight=4,
    ),
    _e("apple", "Apple", "company", ("AAPL",), "AAPL", "NASDAQ", "US", weight=3),
    _e("broadcom", "Broadcom", "company", ("AVGO",), "AVGO", "NASDAQ", "US", weight=2.5),
    _e("tsmc", "TSMC", "company", ("Taiwan Semiconductor",), "TSM", "NYSE", "TW", weight=3),
    _e("asml", "ASML", "company", ("ASML Holding",), "ASML", "NASDAQ", "NL", weight=2),
    _e("oracle", "Oracle", "company", ("ORCL",), "ORCL", "NYSE", "US", weight=2.5),
    _e("amd", "AMD", "company", ("Advanced Micro Devices",), "AMD", "NASDAQ", "US", weight=3),
    _e(
        "supermicro",
        "Super Micro Computer",
        "company",
        ("Supermicro",),
        "SMCI",
        "NASDAQ",
        "US",
        weight=1.2,
    ),
    _e(
        "arm",
        "Arm Holdings",
        "company",
        ("Arm",),
        "ARM",
        "NASDAQ",
        "GB",
        parent="softbank",
        weight=1.2,
    ),
    _e("alibaba", "Alibaba", "company", ("Alibaba Group",), "BABA", "NYSE", "CN", weight=2),
    _e("baidu", "Baidu", "company", (), "BIDU", "NASDAQ", "CN", weight=1),
    _e(
        "constellation",
        "Constellation Energy",
        "company",
        ("Constellation",),
        "CEG",
        "NASDAQ",
        "US",
        weight=1,
    ),
    _e("vistra", "Vistra", "company", ("Vistra Corp",), "VST", "NYSE", "US", weight=0.8),
    _e("softbank", "SoftBank Group", "company", ("SoftBank",), "9984.T", "TSE", "JP", weight=2),
    # Listed companies without bundled prices.
    _e("intel", "Intel", "company", (), "INTC", "NASDAQ", "US", weight=1.5),
    _e(
        "samsung",
        "Samsung Electronics",
        "company",
        ("Samsung",),
        "005930.KS",
        "KRX",
        "KR",
        weight=1.2,
    ),
    _e("micron", "Micron Technology", "company", ("Micron",), "MU", "NASDAQ", "US", weight=0.8),
    _e("tesla", "Tesla", "company", (), "TSLA", "NASDAQ", "US", weight=1.2),
    _e("tencent", "Tencent", "company", (), "0700.HK", "HKEX", "CN", weight=1),
    _e("coreweave", "CoreWeave", "company", (), "CRWV", "NASDAQ", "US", weight=0.8),
    _e("capgemini", "Capgemini", "company", (), "CAP.PA", "EPA", "FR", weight=0.5),
    _e(
        "schneider",
        "Schneider Electric",
        "company",
        ("Schneider",),
        "SU.PA",
        "EPA",
        "FR",
        weight=0.5,
    ),
    # Private companies and labs.
    _e("openai", "OpenAI", "ai_lab", ("Open AI",), country="US", weight=9),
    _e("anthropic", "Anthropic", "ai_lab", (), country="US", weight=4),
    _e(
        "google-deepmind",
        "Google DeepMind",
        "ai_lab",
        ("DeepMind",),
        country="GB",
        parent="alphabet",
        weight=2.5,
    ),
    _e("meta-ai", "Meta AI", "ai_lab", ("FAIR",), country="US", parent="meta", weight=1.5),
    _e("mistral", "Mistral AI", "ai_lab", ("Mistral",), country="FR", weight=4),
    _e("xai", "xAI", "ai_lab", (), country="US", weight=2),
    _e("deepseek", "DeepSeek", "ai_lab", (), country="CN", weight=4),
    _e("moonshot", "Moonshot AI", "ai_lab", ("Moonshot",), country="CN", weight=0.6),
    _e("zhipu", "Zhipu AI", "ai_lab", ("Zhipu",), country="CN", weight=0.5),
    _e("cohere", "Cohere", "ai_lab", (), country="CA", weight=0.6),
    _e("hugging-face", "Hugging Face", "ai_lab", (), country="US", weight=1),
    _e("perplexity", "Perplexity", "ai_lab", ("Perplexity AI",), country="US", weight=1),
    _e("ssi", "Safe Superintelligence", "ai_lab", ("SSI",), country="US", weight=0.5),
    _e("h-company", "H Company", "ai_lab", (), country="FR", weight=0.5),
    _e("kyutai", "Kyutai", "ai_lab", (), country="FR", weight=0.5),
    _e("lighton", "LightOn", "ai_lab", (), "ALTAI.PA", "EPA", "FR", weight=0.4),
    _e(
        "stargate",
        "Stargate",
        "project",
        ("Stargate project",),
        country="US",
        parent="openai",
        weight=1.5,
    ),
    # Models.
    _e("gpt-4o", "GPT-4o", "model", (), parent="openai", weight=1.5),
    _e("openai-o1", "OpenAI o1", "model", ("o1",), parent="openai", weight=1),
    _e("openai-o3", "OpenAI o3", "model", ("o3",), parent="openai", weight=1),
    _e("gpt-4-5", "GPT-4.5", "model", (), parent="openai", weight=0.7),
    _e(
        "claude",
        "Claude",
        "model",
        ("Claude 3.7 Sonnet", "Claude 3.5 Sonnet"),
        parent="anthropic",
        weight=2,
    ),
    _e(
        "gemini", "Gemini", "model", ("Gemini 2.5 Pro", "Gemini 2.0"), parent="alphabet", weight=2.5
    ),
    _e("llama", "Llama", "model", ("Llama 4", "Llama 3.1"), parent="meta", weight=2),
    _e("deepseek-r1", "DeepSeek-R1", "model", ("R1",), parent="deepseek", weight=2),
    _e("deepseek-v3", "DeepSeek-V3", "model", ("V3",), parent="deepseek", weight=1),
    _e("mistral-large", "Mistral Large", "model", (), parent="mistral", weight=0.7),
    _e("grok", "Grok", "model", ("Grok 3",), parent="xai", weight=1),
    _e("qwen", "Qwen", "model", ("Qwen2.5",), parent="alibaba", weight=1.2),
    _e("kimi", "Kimi", "model", ("Kimi k1.5",), parent="moonshot", weight=0.4),
    # Products.
    _e("chatgpt", "ChatGPT", "product", (), parent="openai", weight=4),
    _e("copilot", "Microsoft Copilot", "product", ("Copilot",), parent="microsoft", weight=1.5),
    _e("le-chat", "Le Chat", "product", (), parent="mistral", weight=0.8),
    _e("blackwell", "Blackwell", "product", ("GB200", "B200"), parent="nvidia", weight=2),
    _e("h100", "H100", "product", ("Hopper",), parent="nvidia", weight=1.5),
    _e("h20", "H20", "product", (), parent="nvidia", weight=1),
    _e("instinct", "Instinct", "product", ("MI300X", "Instinct MI300X"), parent="amd", weight=0.6),
    _e("tpu", "TPU", "product", ("Trillium",), parent="alphabet", weight=0.6),
    # People.
    _e("jensen-huang", "Jensen Huang", "person", ("Huang",), parent="nvidia", weight=2.5),
    _e("sam-altman", "Sam Altman", "person", ("Altman",), parent="openai", weight=3),
    _e("dario-amodei", "Dario Amodei", "person", ("Amodei",), parent="anthropic", weight=1),
    _e(
        "demis-hassabis",
        "Demis Hassabis",
        "person",
        ("Hassabis",),
        parent="google-deepmind",
        weight=0.8,
    ),
    _e("satya-nadella", "Satya Nadella", "person", ("Nadella",), parent="microsoft", weight=1.2),
    _e("sundar-pichai", "Sundar Pichai", "person", ("Pichai",), parent="alphabet", weight=1),
    _e("mark-zuckerberg", "Mark Zuckerberg", "person", ("Zuckerberg",), parent="meta", weight=1.5),
    _e("elon-musk", "Elon Musk", "person", ("Musk",), parent="xai", weight=2),
    _e("liang-wenfeng", "Liang Wenfeng", "person", (), parent="deepseek", weight=0.6),
    _e("arthur-mensch", "Arthur Mensch", "person", ("Mensch",), parent="mistral", weight=0.8),
    _e("lisa-su", "Lisa Su", "person", (), parent="amd", weight=0.8),
    _e("masayoshi-son", "Masayoshi Son", "person", (), parent="softbank", weight=0.8),
    _e("yann-lecun", "Yann LeCun", "person", ("LeCun",), parent="meta-ai", weight=0.8),
    # Governments and regulators.
    _e(
        "us-government",
        "US government",
        "government",
        ("White House", "US administration"),
        country="US",
        weight=2,
    ),
    _e(
        "us-commerce",
        "US Commerce Department",
        "government",
        ("Bureau of Industry and Security", "BIS"),
        country="US",
        parent="us-government",
        weight=1.5,
    ),
    _e(
        "european-commission",
        "European Commission",
        "government",
        ("Brussels",),
        country="EU",
        weight=1.5,
    ),
    _e(
        "china-government",
        "Chinese government",
        "government",
        ("Beijing",),
        country="CN",
        weight=1.2,
    ),
    _e(
        "france-government",
        "French government",
        "government",
        ("Élysée", "Elysee"),
        country="FR",
        weight=1,
    ),
)

# Listed companies' exposure to private entities: (entity key, ticker, relation, weight, note).
EXPOSURES: tuple[tuple[str, str, str, float, str], ...] = (
    ("openai", "MSFT", "investor", 0.8, "largest outside investor"),
    ("openai", "9984.T", "investor", 0.5, "lead investor in the 2025 round"),
    ("openai", "ORCL", "partner", 0.4, "data-centre capacity"),
    ("openai", "NVDA", "supplier", 0.3, "GPU supplier"),
    ("anthropic", "AMZN", "investor", 0.7, "major investor and cloud partner"),
    ("anthropic", "GOOGL", "investor", 0.5, "investor and TPU supplier"),
    ("mistral", "MSFT", "partner", 0.2, "distribution partnership"),
    ("mistral", "NVDA", "partner", 0.2, "compute partner"),
    ("xai", "NVDA", "customer", 0.3, "large GPU buyer"),
    ("stargate", "9984.T", "investor", 0.6, "equity partner"),
    ("stargate", "ORCL", "partner", 0.5, "builds and runs the sites"),
    ("stargate", "NVDA", "supplier", 0.4, "GPU supplier"),
    ("deepseek", "NVDA", "customer", 0.2, "trained on NVIDIA hardware"),
    ("coreweave", "NVDA", "investor", 0.3, "investor and supplier"),
    ("perplexity", "NVDA", "investor", 0.1, "venture stake"),
)

# Reaction tickers: equities with bundled prices, and their benchmark (market-adjusted model).
SEMI_TICKERS = ("NVDA", "AMD", "AVGO", "TSM", "ASML", "ARM", "SMCI")
BENCHMARK_SEMIS = "SMH"
BENCHMARK_DEFAULT = "QQQ"

THEMES = (
    "efficiency",
    "capex",
    "chips_export",
    "open_models",
    "energy",
    "bubble",
    "funding",
    "launches",
    "regulation",
    "talent",
)

THEME_BASKETS: dict[str, tuple[str, ...]] = {
    "efficiency": ("NVDA", "AVGO", "TSM", "ASML"),
    "capex": ("MSFT", "GOOGL", "META", "AMZN", "ORCL", "NVDA"),
    "chips_export": ("NVDA", "AMD", "ASML", "TSM"),
    "open_models": ("META", "BABA", "BIDU"),
    "energy": ("CEG", "VST"),
    "bubble": ("NVDA", "SMCI", "ORCL", "ARM"),
    "funding": ("MSFT", "AMZN", "9984.T"),
    "launches": ("GOOGL", "MSFT", "META"),
    "regulation": ("GOOGL", "META", "MSFT", "AAPL"),
    "talent": ("META", "GOOGL", "MSFT"),
}

# Mean stance a theme lends to the entities of a story (bubble talk is gloomy, launches upbeat).
THEME_TONE = {
    "efficiency": -0.1,
    "capex": 0.15,
    "chips_export": -0.3,
    "open_models": 0.1,
    "energy": 0.2,
    "bubble": -0.45,
    "funding": 0.3,
    "launches": 0.35,
    "regulation": -0.2,
    "talent": 0.0,
}

THEME_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "efficiency": {
        "en": (
            "cheaper training runs",
            "more efficient models",
            "falling inference costs",
            "model distillation",
            "compute efficiency",
        ),
        "fr": (
            "des entraînements moins coûteux",
            "des modèles plus sobres",
            "la baisse du coût de l'inférence",
            "la distillation de modèles",
            "l'efficacité du calcul",
        ),
    },
    "capex": {
        "en": (
            "data-centre spending",
            "capital expenditure on AI",
            "new GPU clusters",
            "the build-out of cloud capacity",
            "hyperscaler budgets",
        ),
        "fr": (
            "les dépenses en centres de données",
            "les investissements dans l'IA",
            "les nouvelles grappes de GPU",
            "l'extension des capacités cloud",
            "les budgets des hyperscalers",
        ),
    },
    "chips_export": {
        "en": (
            "export controls on chips",
            "licences for advanced GPUs",
            "restrictions on sales to China",
            "the chip diffusion rule",
            "semiconductor trade curbs",
        ),
        "fr": (
            "les contrôles à l'exportation de puces",
            "les licences pour les GPU avancés",
            "les restrictions de ventes vers la Chine",
            "la règle de diffusion des puces",
            "les limites au commerce des semi-conducteurs",
        ),
    },
    "open_models": {
        "en": (
            "open-weight models",
            "open-source AI",
            "freely downloadable weights",
            "community fine-tuning",
            "open model releases",
        ),
        "fr": (
            "les modèles à poids ouverts",
            "l'IA open source",
            "les poids téléchargeables librement",
            "l'ajustement par la communauté",
            "les publications de modèles ouverts",
        ),
    },
    "energy": {
        "en": (
            "power for data centres",
            "nuclear supply deals",
            "grid capacity",
            "electricity demand from AI",
            "long-term power contracts",
        ),
        "fr": (
            "l'alimentation des centres de données",
            "les contrats d'énergie nucléaire",
            "la capacité du réseau électrique",
            "la demande d'électricité liée à l'IA",
            "les contrats d'électricité à long terme",
        ),
    },
    "bubble": {
        "en": (
            "fears of an AI bubble",
            "stretched valuations",
            "doubts about returns on AI",
            "a possible correction",
            "investor fatigue",
        ),
        "fr": (
            "la crainte d'une bulle de l'IA",
            "des valorisations tendues",
            "les doutes sur la rentabilité de l'IA",
            "une possible correction",
            "la lassitude des investisseurs",
        ),
    },
    "funding": {
        "en": (
            "a new funding round",
            "a multibillion-dollar raise",
            "venture investment in AI",
            "a higher valuation",
            "strategic investors",
        ),
        "fr": (
            "une nouvelle levée de fonds",
            "une levée de plusieurs milliards",
            "le capital-risque dans l'IA",
            "une valorisation en hausse",
            "des investisseurs stratégiques",
        ),
    },
    "launches": {
        "en": (
            "the launch of a new model",
            "a reasoning model",
            "benchmark results",
            "a product release",
            "the next frontier model",
        ),
        "fr": (
            "le lancement d'un nouveau modèle",
            "un modèle de raisonnement",
            "les résultats aux benchmarks",
            "une nouvelle version du produit",
            "le prochain modèle de pointe",
        ),
    },
    "regulation": {
        "en": (
            "the AI Act",
            "new rules for general-purpose models",
            "antitrust scrutiny",
            "safety commitments",
            "copyright disputes",
        ),
        "fr": (
            "le règlement sur l'IA",
            "les nouvelles règles pour les modèles généralistes",
            "l'examen des autorités de concurrence",
            "les engagements de sécurité",
            "les litiges sur le droit d'auteur",
        ),
    },
    "talent": {
        "en": (
            "the hiring war for researchers",
            "pay packages for AI talent",
            "key departures",
            "acqui-hires",
            "the search for engineers",
        ),
        "fr": (
            "la guerre des talents",
            "les rémunérations des chercheurs en IA",
            "des départs clés",
            "les rachats de talents",
            "la recherche d'ingénieurs",
        ),
    },
}

# Entity sentences by stance label (+1, 0, -1); {e} the entity, {t} a theme phrase.
ENTITY_SENTENCES: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        1: (
            "{e} beat expectations as demand tied to {t} kept rising.",
            "Investors cheered {e} after it set out its plans on {t}.",
            "{e} is widely seen as a winner of the shift towards {t}.",
            "Analysts raised their targets for {e}, citing momentum in {t}.",
            "{e} said orders had accelerated and lifted its guidance.",
            "A strong quarter left {e} better placed than its rivals on {t}.",
            "People close to {e} described the progress on {t} as a clear success.",
        ),
        0: (
            "{e} declined to comment on {t}.",
            "{e} has been involved in {t} for several years.",
            "A spokesperson for {e} said the company was reviewing {t}.",
            "{e} is expected to publish more details about {t} next month.",
            "Observers are watching how {e} will respond to {t}.",
            "{e} did not change its outlook after the announcement.",
        ),
        -1: (
            "{e} came under pressure as worries about {t} spread.",
            "Shares linked to {e} fell after doubts emerged over {t}.",
            "Critics argued that {e} had overpromised on {t}.",
            "{e} faces harder questions from investors about {t}.",
            "Analysts cut their estimates for {e}, pointing to risks in {t}.",
            "The news was a setback for {e}, which had bet heavily on {t}.",
            "Several customers said they were reconsidering their plans with {e}.",
        ),
    },
    "fr": {
        1: (
            "{e} a dépassé les attentes grâce à la demande liée à {t}.",
            "Les investisseurs ont salué {e} après la présentation de ses projets sur {t}.",
            "{e} apparaît comme l'un des gagnants du virage vers {t}.",
            "Les analystes ont relevé leurs objectifs pour {e}, portés par {t}.",
            "{e} a indiqué que les commandes avaient accéléré et a relevé ses prévisions.",
            "Un trimestre solide place {e} devant ses concurrents sur {t}.",
            "Selon des proches de {e}, les progrès sur {t} sont un vrai succès.",
        ),
        0: (
            "{e} n'a pas souhaité commenter {t}.",
            "{e} s'intéresse à {t} depuis plusieurs années.",
            "Un porte-parole de {e} a indiqué que l'entreprise étudiait {t}.",
            "{e} devrait publier davantage de détails sur {t} le mois prochain.",
            "Les observateurs attendent de voir comment {e} réagira face à {t}.",
            "{e} n'a pas modifié ses perspectives après l'annonce.",
        ),
        -1: (
            "{e} a été sous pression alors que les inquiétudes sur {t} se propageaient.",
            "Les titres liés à {e} ont reculé après des doutes sur {t}.",
            "Des critiques estiment que {e} a trop promis sur {t}.",
            "{e} doit répondre à des questions plus difficiles des investisseurs sur {t}.",
            "Les analystes ont abaissé leurs estimations pour {e}, citant les risques de {t}.",
            "L'annonce est un revers pour {e}, qui avait beaucoup misé sur {t}.",
            "Plusieurs clients disent revoir leurs projets avec {e}.",
        ),
    },
}

THEME_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The debate over {t} has intensified in recent weeks.",
        "Several executives said {t} would shape their budgets for the coming year.",
        "Figures compiled by industry groups suggest {t} is moving faster than expected.",
        "For many investors, {t} has become the question of the quarter.",
        "Smaller firms worry that {t} favours the largest players.",
        "Researchers cautioned that the effects of {t} will take time to show.",
        "Policy makers have started to pay closer attention to {t}.",
        "The market reaction suggests that {t} is far from priced in.",
    ),
    "fr": (
        "Le débat sur {t} s'est intensifié ces dernières semaines.",
        "Plusieurs dirigeants estiment que {t} pèsera sur leurs budgets l'an prochain.",
        "Les chiffres publiés par le secteur montrent que {t} progresse plus vite que prévu.",
        "Pour de nombreux investisseurs, {t} est devenu la question du trimestre.",
        "Les plus petits acteurs craignent que {t} ne profite surtout aux géants.",
        "Les chercheurs préviennent que les effets de {t} mettront du temps à apparaître.",
        "Les responsables politiques suivent désormais de près {t}.",
        "La réaction du marché laisse penser que {t} n'est pas encore intégré dans les cours.",
    ),
}

# General filler: subject + verb phrase + object + tail, combined at random.
FILLER_PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        (
            "Analysts",
            "Investors",
            "Several executives",
            "Industry insiders",
            "Fund managers",
            "Engineers",
            "Customers",
            "Regulators",
            "Economists",
            "Start-up founders",
        ),
        (
            "expect",
            "are questioning",
            "have welcomed",
            "remain cautious about",
            "keep debating",
            "are closely tracking",
            "have underestimated",
            "are preparing for",
            "point to",
            "are divided over",
        ),
        (
            "the pace of adoption",
            "the cost of computing power",
            "the next wave of products",
            "the margins of cloud providers",
            "the supply of advanced chips",
            "enterprise demand",
            "the revenue from subscriptions",
            "the length of the investment cycle",
            "the competition between laboratories",
            "the gap between promises and results",
        ),
        (
            "this year.",
            "in the months ahead.",
            "despite the recent volatility.",
            "according to people familiar with the matter.",
            "as budgets are revised.",
            "before the next earnings season.",
        ),
    ),
    "fr": (
        (
            "Les analystes",
            "Les investisseurs",
            "Plusieurs dirigeants",
            "Des sources du secteur",
            "Les gérants de fonds",
            "Les ingénieurs",
            "Les clients",
            "Les régulateurs",
            "Les économistes",
            "Les fondateurs de start-up",
        ),
        (
            "anticipent",
            "s'interrogent sur",
            "ont salué",
            "restent prudents sur",
            "débattent de",
            "surveillent de près",
            "ont sous-estimé",
            "se préparent à",
            "soulignent",
            "sont partagés sur",
        ),
        (
            "le rythme d'adoption",
            "le coût de la puissance de calcul",
            "la prochaine vague de produits",
            "les marges des fournisseurs de cloud",
            "l'offre de puces avancées",
            "la demande des entreprises",
            "les revenus des abonnements",
            "la durée du cycle d'investissement",
            "la concurrence entre laboratoires",
            "l'écart entre promesses et résultats",
        ),
        (
            "cette année.",
            "dans les prochains mois.",
            "malgré la volatilité récente.",
            "selon des personnes proches du dossier.",
            "alors que les budgets sont revus.",
            "avant la prochaine saison des résultats.",
        ),
    ),
}

TITLE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "{e} bets on {t}",
        "Why {t} matters for {e}",
        "{e} and {e2}: the race over {t}",
        "{e} in focus as {t} takes centre stage",
        "What {t} means for {e} and {e2}",
        "{e} faces a test on {t}",
        "Inside {e}'s plans for {t}",
    ),
    "fr": (
        "{e} mise sur {t}",
        "Pourquoi {t} compte pour {e}",
        "{e} et {e2} : la course autour de {t}",
        "{e} au centre de l'attention avec {t}",
        "Ce que {t} change pour {e} et {e2}",
        "{e} face à l'épreuve de {t}",
        "Les projets de {e} pour {t}",
    ),
}

AUTHOR_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Alex", "Jordan", "Priya", "Morgan", "Chen", "Sam", "Taylor", "Nadia", "Owen", "Ruth"),
        ("Carter", "Nguyen", "Patel", "Brooks", "Hughes", "Kim", "Reyes", "Walsh", "Foster", "Lee"),
    ),
    "fr": (
        (
            "Camille",
            "Julien",
            "Léa",
            "Mathieu",
            "Inès",
            "Hugo",
            "Claire",
            "Nicolas",
            "Sarah",
            "Yanis",
        ),
        (
            "Martin",
            "Bernard",
            "Lefèvre",
            "Moreau",
            "Girard",
            "Roux",
            "Fontaine",
            "Garnier",
            "Chevalier",
            "Lambert",
        ),
    ),
}

# (name, display name, host, kind, language, relative volume). Hosts use the reserved .example TLD.
SOURCES: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("silicon-wire", "Silicon Wire", "siliconwire.example", "feed", "en", 10),
    ("compute-ledger", "The Compute Ledger", "computeledger.example", "feed", "en", 8),
    ("inference-post", "The Inference Post", "inferencepost.example", "sitemap", "en", 7),
    ("model-watch", "Model Watch", "modelwatch.example", "feed", "en", 6),
    ("chip-street-daily", "Chip Street Daily", "chipstreet.example", "feed", "en", 6),
    ("frontier-brief", "Frontier Brief", "frontierbrief.example", "listing", "en", 5),
    ("market-tensor", "Market Tensor", "markettensor.example", "feed", "en", 5),
    ("gpu-gazette", "GPU Gazette", "gpugazette.example", "feed", "en", 4),
    ("datacenter-dispatch", "Datacenter Dispatch", "dcdispatch.example", "sitemap", "en", 4),
    ("ai-policy-review", "AI Policy Review", "aipolicyreview.example", "feed", "en", 3),
    ("token-times", "Token Times", "tokentimes.example", "feed", "en", 3),
    ("capex-chronicle", "Capex Chronicle", "capexchronicle.example", "listing", "en", 2),
    ("open-weights-weekly", "Open Weights Weekly", "openweights.example", "feed", "en", 2),
    ("scaling-report", "The Scaling Report", "scalingreport.example", "feed", "en", 2),
    ("neural-markets", "Neural Markets", "neuralmarkets.example", "sitemap", "en", 1.5),
    ("bay-tech-journal", "Bay Tech Journal", "baytech.example", "feed", "en", 1),
    ("le-fil-ia", "Le Fil IA", "lefilia.example", "feed", "fr", 10),
    ("journal-du-calcul", "Le Journal du Calcul", "journalducalcul.example", "feed", "fr", 8),
    ("la-puce-quotidienne", "La Puce Quotidienne", "lapuce.example", "sitemap", "fr", 7),
    ("courrier-numerique", "Courrier Numérique", "courriernumerique.example", "feed", "fr", 6),
    ("gazette-des-modeles", "La Gazette des Modèles", "gazettemodeles.example", "feed", "fr", 5),
    ("marches-et-algorithmes", "Marchés et Algorithmes", "marchesalgo.example", "listing", "fr", 5),
    ("tribune-tech", "Tribune Tech", "tribunetech.example", "feed", "fr", 4),
    ("observateur-ia", "L'Observateur IA", "observateuria.example", "feed", "fr", 4),
    (
        "revue-semiconducteurs",
        "Revue des Semi-conducteurs",
        "revuesemi.example",
        "sitemap",
        "fr",
        3,
    ),
    ("silicium-hebdo", "Silicium Hebdo", "siliciumhebdo.example", "feed", "fr", 3),
    (
        "quotidien-des-donnees",
        "Le Quotidien des Données",
        "quotidiendonnees.example",
        "feed",
        "fr",
        2,
    ),
    ("bourse-et-ia", "Bourse et IA", "bourseia.example", "listing", "fr", 2),
    ("moniteur-ia", "Le Moniteur IA", "moniteuria.example", "feed", "fr", 1.5),
    ("horizon-numerique", "Horizon Numérique", "horizonnumerique.example", "feed", "fr", 1),
)

# Real public events of the period, used as anchors for some big stories:
# (day, primary entity, other entities, theme, stance bias toward the primary).
ANCHOR_EVENTS: tuple[tuple[dt.date, str, tuple[str, ...], str, float], ...] = (
    (dt.date(2024, 9, 12), "openai-o1", ("openai", "sam-altman"), "launches", 0.5),
    (dt.date(2024, 9, 20), "constellation", ("microsoft",), "energy", 0.6),
    (dt.date(2024, 10, 2), "openai", ("microsoft", "nvidia"), "funding", 0.5),
    (dt.date(2024, 11, 20), "nvidia", ("jensen-huang", "blackwell"), "capex", 0.3),
    (dt.date(2024, 12, 2), "us-commerce", ("nvidia", "china-government"), "chips_export", -0.4),
    (dt.date(2024, 12, 11), "gemini", ("alphabet", "google-deepmind"), "launches", 0.5),
    (dt.date(2024, 12, 26), "deepseek-v3", ("deepseek",), "efficiency", 0.2),
    (dt.date(2025, 1, 13), "us-commerce", ("nvidia", "us-government"), "chips_export", -0.5),
    (
        dt.date(2025, 1, 21),
        "stargate",
        ("openai", "softbank", "oracle", "masayoshi-son"),
        "capex",
        0.6,
    ),
    (
        dt.date(2025, 1, 27),
        "deepseek-r1",
        ("deepseek", "nvidia", "liang-wenfeng"),
        "efficiency",
        -0.6,
    ),
    (dt.date(2025, 2, 6), "le-chat", ("mistral", "arthur-mensch"), "launches", 0.5),
    (
        dt.date(2025, 2, 10),
        "france-government",
        ("mistral", "european-commission"),
        "regulation",
        0.3,
    ),
    (dt.date(2025, 2, 24), "claude", ("anthropic", "dario-amodei"), "launches", 0.5),
    (dt.date(2025, 2, 26), "nvidia", ("jensen-huang", "blackwell"), "bubble", -0.2),
    (dt.date(2025, 2, 27), "gpt-4-5", ("openai",), "launches", 0.1),
    (dt.date(2025, 3, 25), "gemini", ("alphabet", "google-deepmind"), "launches", 0.5),
    (dt.date(2025, 3, 31), "openai", ("softbank", "microsoft"), "funding", 0.5),
    (dt.date(2025, 4, 5), "llama", ("meta", "mark-zuckerberg"), "open_models", 0.0),
    (
        dt.date(2025, 4, 15),
        "h20",
        ("nvidia", "us-commerce", "china-government"),
        "chips_export",
        -0.6,
    ),
    (dt.date(2025, 5, 28), "nvidia", ("jensen-huang",), "capex", 0.4),
    (dt.date(2025, 6, 12), "meta", ("mark-zuckerberg", "ssi"), "talent", 0.1),
)
