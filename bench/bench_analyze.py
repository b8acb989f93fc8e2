"""Benchmark `analyze` against bare spaCy on the same synthetic articles, in one run.

    .venv/bin/python bench/bench_analyze.py [--articles 1000] [--words 700] [--seed 0]

1. Generates N articles of about `--words` words, half English, half French, from invented
   sentence templates naming AI-race entities (no text from any publication).
2. Baseline: the English and French spaCy pipelines with the components the analyzer runs (it
   excludes the lemmatizer: `nlp.annotate.load_spacy`, the same loader), over the same texts with
   `nlp.pipe(batch_size=32)`, so the ratio compares like with like.
3. `analyze_pending` on a fresh SQLite database holding the articles: language detection, the
   analysis pipelines, KB linking, candidates, stance, themes, embeddings, and the writes.

Both run in interleaved rounds (`--rounds`, alternating which goes first), so a shared machine
whose load changes during the run slows both sides alike.

Prints articles/s of both, their ratio (target >= 0.5) and the process's peak RSS (target < 3 GB),
and appends the results to bench/results/analyze.jsonl.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Timing, print_table, save_results

_EN_NAMES = [
    "Nvidia", "Microsoft", "Google", "Meta", "Amazon", "OpenAI", "Anthropic", "DeepSeek",
    "Mistral AI", "TSMC", "ASML", "Broadcom", "AMD", "Oracle", "SoftBank", "Alibaba", "Baidu",
    "Sam Altman", "Jensen Huang", "Satya Nadella", "Lisa Su", "Quorvex Systems", "Helidor Labs",
]  # fmt: skip
_EN = [
    "{a} said on Tuesday that demand for its data centre chips remained strong.",
    "Shares of {a} fell {n} percent after {b} unveiled a cheaper reasoning model.",
    "Analysts at Brentmoor Capital raised their price target on {a}, citing AI capex.",
    "{a} and {b} signed a multi-year cloud agreement worth {n} billion dollars.",
    "The launch raised questions about whether {a} can keep its lead in the race.",
    "According to people familiar with the matter, {a} is in talks to invest in {b}.",
    "{a} chief executive {p} told investors that spending would rise again next year.",
    "Export controls on advanced GPUs could weigh on {a}, the report said.",
    "Investors worry that valuations across the sector look stretched after a {n} percent rally.",
    "{b} did not respond to a request for comment on Monday.",
    "The company expects revenue of about {n} billion dollars in the next quarter.",
    "Power demand from new data centres is pushing utilities to sign nuclear deals.",
]
_FR_NAMES = [
    "Nvidia", "Microsoft", "Google", "Meta", "OpenAI", "Anthropic", "DeepSeek", "Mistral AI",
    "ASML", "TSMC", "Capgemini", "Arthur Mensch", "Sam Altman", "Xavier Niel", "Valtrane",
]  # fmt: skip
_FR = [
    "L'action de {a} a reculé de {n} % après l'annonce de {b}.",
    "{a} a dévoilé un nouveau modèle d'IA qui coûte beaucoup moins cher à entraîner.",
    "Selon les analystes, {a} reste le grand gagnant de la course à l'intelligence artificielle.",
    "La start-up {a} a levé {n} millions d'euros auprès d'investisseurs américains.",
    "Le patron de {a}, {p}, estime que l'Europe peut encore rattraper son retard.",
    "Les restrictions à l'exportation de puces pèsent sur {a}, qui n'a pas réussi à rassurer.",
    "{a} et {b} ont signé un partenariat pour construire des centres de données en France.",
    "Les investisseurs s'interrogent sur une éventuelle bulle autour des valeurs de l'IA.",
    "La consommation d'électricité des centres de données inquiète le gouvernement.",
    "Pourtant, {a} affirme que la demande de ses clients reste très solide.",
    "Le groupe prévoit un chiffre d'affaires de {n} milliards de dollars cette année.",
]


def make_articles(n: int, words: int, seed: int) -> list[dict[str, str]]:
    """N synthetic articles (title, text, lang), alternating English and French."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        fr = i % 2 == 1
        names, templates = (_FR_NAMES, _FR) if fr else (_EN_NAMES, _EN)
        people = [x for x in names if " " in x and x[0].isupper() and "AI" not in x]

        def sentence(
            templates: list[str] = templates, names: list[str] = names, people: list[str] = people
        ) -> str:
            a, b = rng.sample(names, 2)
            return rng.choice(templates).format(
                a=a, b=b, p=rng.choice(people), n=rng.randint(2, 90)
            )

        body, count = [], 0
        while count < words:
            para = " ".join(sentence() for _ in range(rng.randint(3, 5)))
            body.append(para)
            count += len(para.split())
        out.append({"title": sentence(), "text": "\n\n".join(body), "lang": "fr" if fr else "en"})
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--words", type=int, default=700)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    ap.add_argument(
        "--stance-model",
        default="bundled",
        help="bundled (the learned model, default) or rules (the stance rules alone)",
    )
    args = ap.parse_args(argv)

    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade
    from db.models import Article
    from nlp.analyze import analyze_pending
    from nlp.annotate import DEFAULT_SPACY_MODELS, Analyzer, load_spacy
    from nlp.text import article_text

    arts = make_articles(args.articles, args.words, args.seed)
    n_words = sum(len(a["text"].split()) for a in arts)
    print(f"{len(arts)} articles, {n_words / len(arts):.0f} words on average", flush=True)

    # Both sides run in interleaved rounds (alternating which goes first) so a machine whose load
    # changes during the run slows both alike.
    # Baseline: bare spaCy with the components the analyzer runs (same loader, same exclusions).
    analyzer = Analyzer(stance_model=None if args.stance_model == "rules" else args.stance_model)
    analyzer.load()
    base_models = {lang: load_spacy(name) for lang, name in DEFAULT_SPACY_MODELS.items()}
    for lang, nlp in base_models.items():
        ours_nlp, _ = analyzer.pipeline(analyzer.model_for(lang))
        assert nlp.pipe_names == ours_nlp.pipe_names, (nlp.pipe_names, ours_nlp.pipe_names)
    print("components:", {k: v.pipe_names for k, v in base_models.items()}, flush=True)
    base_s = analyze_s = 0.0
    analysed = 0
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        rounds = max(1, args.rounds)
        step = -(-len(arts) // rounds)
        for r in range(rounds):
            part = arts[r * step : (r + 1) * step]
            with sessions.begin() as s:
                for i, a in enumerate(part, r * step):
                    s.add(Article(url=f"https://bench.example/{i}", title=a["title"],
                                  text=a["text"], content_hash=f"{i:064d}"))  # fmt: skip

            def bare(part: list[dict[str, str]] = part) -> None:
                for lang, nlp in base_models.items():
                    texts = [
                        article_text(a["title"], a["text"])[0] for a in part if a["lang"] == lang
                    ]
                    for _ in nlp.pipe(texts, batch_size=32):
                        pass

            def ours() -> int:
                # languages are detected, not given; everything is written to the database
                return analyze_pending(sessions, analyzer, batch_size=64).analysed

            for side in (bare, ours) if r % 2 == 0 else (ours, bare):
                t0 = time.perf_counter()
                n = side()
                if side is bare:
                    base_s += time.perf_counter() - t0
                else:
                    analyze_s += time.perf_counter() - t0
                    analysed += n or 0
            print(
                f"round {r + 1}/{rounds}: bare {base_s:.0f} s, analyze {analyze_s:.0f} s",
                flush=True,
            )
        engine.dispose()
    assert analysed == len(arts), analysed

    rss = peak_rss_mb()
    base = Timing(
        "bare spaCy nlp.pipe", [base_s], extra={"articles/s": f"{len(arts) / base_s:.2f}"}
    )
    ours = Timing(
        "airace analyze",
        [analyze_s],
        peak_rss_mb=rss,
        extra={"articles/s": f"{len(arts) / analyze_s:.2f}"},
    )
    print_table([base, ours], baseline=base, title="analyze vs bare spaCy (time, lower is better)")
    ratio = (len(arts) / analyze_s) / (len(arts) / base_s)
    print(
        f"bare spaCy {len(arts) / base_s:.2f} articles/s; analyze {len(arts) / analyze_s:.2f} "
        f"articles/s; rate ratio {ratio:.2f} (target >= 0.5); peak RSS {rss:.0f} MB (target < 3072)"
    )
    save_results("analyze", [base, ours], baseline=base, params=vars(args))


if __name__ == "__main__":
    main()
