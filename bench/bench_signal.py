"""`airace eval signal` on the 100,000-article synthetic database, against a naive loop.

    python bench/bench_signal.py [--db sqlite:////tmp/airace-bench/synth-100k.db] [--repeat 3]
                                 [--naive-replicates 100]

1. The database is made by bench/synth.py when missing (about 80 s), upgraded to the current
   schema, and given stories and novelty (`nlp.stories.assign_stories`, timed once) when the
   stage has not run on it.
2. `airace eval signal --format json` (contemporaneous [0,1] and predictive [1,1], 2,000 day
   bootstrap replicates each, the long-short portfolio) as a command, `--repeat` times:
   start-up, queries and statistics included. The target is under 10 s.
3. The baseline, in the same run: the same statistics for the predictive [1,1] "all" group by a
   naive loop -- per replicate, draw the days with the same generator, gather their
   observations, re-rank and correlate (the textbook day-block bootstrap of Spearman's rho),
   hit rate and a per-day loop for the clustered t. It runs `--naive-replicates` replicates
   and is scaled to 2,000 (each replicate costs the same). The script checks that both give the
   same IC, hit rate and t, and intervals within 0.01 (the fast path bootstraps the IC's
   linearisation: docs/signal.md).
Results are appended to bench/results/signal.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.harness import Timing, measure_cmd, print_table, save_results  # noqa: E402

DEFAULT_DB = "sqlite:////tmp/airace-bench/synth-100k.db"
N_BOOT = 2000


def _prepare(url: str, articles: int) -> dict[str, float]:
    from sqlalchemy import func, select

    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade
    from db.models import Article, Novelty

    out: dict[str, float] = {}
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        from bench.synth import generate

        path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        generate(url, articles, seed=0)
        out["synth_s"] = time.perf_counter() - t0
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        n = s.scalar(select(func.count()).select_from(Article)) or 0
        has_novelty = s.scalar(select(Novelty.article_id).limit(1)) is not None
    out["articles"] = n
    if not has_novelty:
        from nlp.stories import assign_stories

        t0 = time.perf_counter()
        assign_stories(sessions)
        out["stories_s"] = time.perf_counter() - t0
    engine.dispose()
    return out


def _naive(url: str, replicates: int, seed: int = 0) -> tuple[Timing, dict[str, float]]:
    """The predictive [1,1] "all" figures by plain loops; returns the time scaled to N_BOOT."""
    import numpy as np
    import pandas as pd

    from db.engine import make_engine, make_sessionmaker
    from db.signal import signal_data
    from market.signal import frames, observations

    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        data = signal_data(s, [(0, 1)])
    obs = observations(frames(data), (1, 1))
    engine.dispose()
    score = obs["score"].to_numpy(float)
    label = obs["label"].to_numpy(float)
    ret = obs["ret"].to_numpy(float)
    days = sorted(set(obs["day"]))
    index = {d: i for i, d in enumerate(days)}
    code = np.array([index[d] for d in obs["day"]])
    members: list[list[int]] = [[] for _ in days]
    for i, c in enumerate(code):
        members[c].append(i)

    t0 = time.perf_counter()
    ic = pd.Series(score).rank().corr(pd.Series(ret).rank())
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(days), size=(N_BOOT, len(days)))  # the fast path's draws
    ic_reps, hit_reps = [], []
    for b in range(replicates):
        idx: list[int] = []
        for day in draws[b]:
            idx.extend(members[day])
        x, y, lab = score[idx], ret[idx], label[idx]
        ic_reps.append(pd.Series(x).rank().corr(pd.Series(y).rank()))
        keep = (lab != 0) & (y != 0)
        hit_reps.append(float(np.mean(np.sign(lab[keep]) == np.sign(y[keep]))))
    loop_s = time.perf_counter() - t0
    keep = (label != 0) & (ret != 0)
    hit = float(np.mean(np.sign(label[keep]) == np.sign(ret[keep])))
    # clustered t of the favourable - unfavourable spread, one day at a time
    t1 = time.perf_counter()
    sel = label != 0
    fav = (label[sel] > 0).astype(float)
    y, g = ret[sel], code[sel]
    mean_f, mean_u = y[fav == 1].mean(), y[fav == 0].mean()
    x = np.column_stack([np.ones_like(fav), fav])
    resid = y - x @ np.array([mean_u, mean_f - mean_u])
    meat = np.zeros((2, 2))
    for day in range(len(days)):
        m = g == day
        if m.any():
            sc = x[m].T @ resid[m]
            meat += np.outer(sc, sc)
    bread = np.linalg.inv(x.T @ x)
    n, k, n_g = len(y), 2, len(set(g.tolist()))
    cov = n_g / (n_g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    t_stat = (mean_f - mean_u) / math.sqrt(cov[1, 1])
    t_s = time.perf_counter() - t1
    scaled = loop_s * N_BOOT / replicates + t_s
    figures = {
        "n": len(score),
        "ic": float(ic),
        "ic_low": float(np.percentile(ic_reps, 2.5)),
        "ic_high": float(np.percentile(ic_reps, 97.5)),
        "hit_rate": hit,
        "hit_low": float(np.percentile(hit_reps, 2.5)),
        "hit_high": float(np.percentile(hit_reps, 97.5)),
        "spread_t": float(t_stat),
    }
    timing = Timing(
        f"naive loop ({replicates} replicates, scaled to {N_BOOT})",
        [scaled],
        extra={"measured_s": round(loop_s + t_s, 2)},
    )
    return timing, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-replicates", type=int, default=100)
    args = parser.parse_args(argv)

    prep = _prepare(args.db, args.articles)
    print(f"database: {args.db} ({prep})", flush=True)
    airace = str(Path(sys.executable).with_name("airace"))
    cmd = [airace, "--db", args.db, "eval", "signal", "--format", "json"]
    fast = measure_cmd(cmd, repeat=args.repeat, name="airace eval signal (json)")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    pred = next(r for r in report["rows"] if r["variant"] == "predictive" and r["group"] == "all")
    naive, figures = _naive(args.db, args.naive_replicates)

    for key in ("n", "ic", "hit_rate", "spread_t"):
        assert math.isclose(pred[key], figures[key], rel_tol=1e-6, abs_tol=1e-9), (
            key,
            pred,
            figures,
        )
    width = {k: abs(pred[k] - figures[k]) for k in ("ic_low", "ic_high", "hit_low", "hit_high")}
    fast.extra = {"n": pred["n"], "ic": round(pred["ic"], 4), "under_10s": fast.median < 10}
    naive.extra["max_interval_gap"] = round(max(width.values()), 4)
    print_table([naive, fast], baseline=naive, title="eval signal, 100k articles")
    print(
        f"speed-up: {naive.median / fast.median:.1f}x; intervals fast vs naive: "
        + ", ".join(f"{k} {pred[k]:+.4f} / {figures[k]:+.4f}" for k in width)
    )
    save_results("signal", [naive, fast], baseline=naive, params={**vars(args), **prep})
    if max(width.values()) > 0.01 + 3 / math.sqrt(args.naive_replicates) * 0.02:
        print("interval gap larger than expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
