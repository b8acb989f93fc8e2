"""Story clusters: articles about the same story, grouped by the cosine similarity of embeddings.

Two articles are linked when their vectors' cosine similarity reaches `threshold`; a cluster is a
connected group of links. Similarities are computed block by block so memory stays bounded, and a
vectorised label propagation joins the links. The representative is the member closest to the cluster's centroid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIMILARITY_THRESHOLD = 0.75
# Past this many articles in a week only the most recent are clustered (cost grows as n²).
MAX_ARTICLES = 8000
BLOCK = 1024


@dataclass(frozen=True)
class ClusterMembers:
    """Ids of the articles of one story, and the id of the one that best represents it."""

    article_ids: list[int]
    representative: int


def decode_vectors(rows: Sequence[tuple[int, int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(article_id, dim, float32 bytes) rows -> ids and an L2-normalised (n, dim) matrix.

    Rows whose dimension differs from the most common one (another model) or whose bytes do not
    match their dimension are left out.
    """
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    dim = Counter(d for _, d, _ in rows).most_common(1)[0][0]
    keep = [(i, v) for i, d, v in rows if d == dim and v is not None and len(v) == 4 * dim]
    if not keep:
        return np.empty(0, dtype=np.int64), np.empty((0, dim), dtype=np.float32)
    ids = np.fromiter((i for i, _ in keep), dtype=np.int64, count=len(keep))
    mat = np.frombuffer(b"".join(v for _, v in keep), dtype="<f4").reshape(len(keep), dim)
    mat = mat.astype(np.float32, copy=True)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return ids, mat / norms


def cluster_articles(
    rows: Sequence[tuple[int, int, bytes]],
    threshold: float = SIMILARITY_THRESHOLD,
    max_articles: int = MAX_ARTICLES,
) -> list[ClusterMembers]:
    """Group articles by embedding similarity. Singletons are returned too, largest groups first."""
    ids, mat = decode_vectors(rows)
    if len(ids) > max_articles:
        order = np.argsort(ids)[-max_articles:]
        ids, mat = ids[order], mat[order]
    n = len(ids)
    if n == 0:
        return []
    sources, targets = [], []
    for lo in range(0, n, BLOCK):
        sims = mat[lo : lo + BLOCK] @ mat.T
        rr, cc = np.nonzero(sims >= threshold)
        rr = rr + lo
        upper = cc > rr
        sources.append(rr[upper])
        targets.append(cc[upper])
    roots = _components(n, np.concatenate(sources), np.concatenate(targets))
    order = np.argsort(roots, kind="stable")
    bounds = np.nonzero(np.diff(roots[order]))[0] + 1
    out = []
    for members in np.split(order, bounds):
        sub = mat[members]
        best = int(members[int(np.argmax(sub @ sub.mean(axis=0)))])
        out.append(ClusterMembers([int(x) for x in ids[members]], int(ids[best])))
    out.sort(key=lambda c: (-len(c.article_ids), c.representative))
    return out


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (a[i], b[i]): each node's smallest member id.

    Label propagation with pointer jumping, all in numpy: a few passes even for long chains.
    """
    labels = np.arange(n)
    if len(a) == 0:
        return labels
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while True:  # pointer jumping: follow labels to their own label
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            return labels
        labels = new
