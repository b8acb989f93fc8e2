"""The numpy forward pass of the bundled model gives the sentence-transformers vectors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nlp.query_encoder import NumpyMiniLM, supports
from tests._nlp_models import shared_analyzer

# Written for this test: short queries, a long one past the 256 word-piece limit, French with
# accents and typographic apostrophes, a ticker, a number.
TEXTS = [
    "NVDA",
    "cheaper training of reasoning models",
    "Les valeurs des puces reculent après l’annonce d’un modèle chinois à bas coût",
    "Le gouvernement français présente son plan pour l'intelligence artificielle",
    "Microsoft lifts its data-centre spending to 80 billion dollars this year",
    "export controls on advanced chips " * 60,
    "9984.T",
]

CORPUS = [
    "A Chinese lab releases a low-cost reasoning model and chip stocks fall.",
    "Nvidia reports record data-centre revenue as demand for accelerators grows.",
    "The city council votes on a new bicycle lane downtown.",
    "Un laboratoire parisien lève des fonds pour ses modèles de langue ouverts.",
    "Washington tightens rules on selling advanced chips abroad.",
    "A recipe for bread with two cups of flour and some yeast.",
]


def test_only_the_bundled_model_has_the_numpy_path() -> None:
    assert supports("all-MiniLM-L6-v2") and supports("sentence-transformers/all-MiniLM-L6-v2")
    assert not supports("paraphrase-multilingual-MiniLM-L12-v2")


@pytest.mark.slow
def test_vectors_equal_the_sentence_transformers_ones() -> None:
    torch_model = shared_analyzer().embedder
    assert torch_model is not None
    fast = NumpyMiniLM()
    assert fast.dim == torch_model.dim == 384
    a, b = fast.encode(TEXTS), torch_model.encode(TEXTS)
    assert a.shape == b.shape and a.dtype == np.float32
    assert float(np.abs(a - b).max()) < 1e-5
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)


@pytest.mark.slow
def test_same_top_results_as_the_torch_path() -> None:
    torch_model = shared_analyzer().embedder
    assert torch_model is not None
    docs = torch_model.encode(CORPUS)
    fast = NumpyMiniLM()
    for query in TEXTS[:5]:
        want = np.argsort(-(docs @ torch_model.encode([query])[0]))
        got = np.argsort(-(docs @ fast.encode([query])[0]))
        assert list(got) == list(want), query


def test_the_search_encoder_does_not_import_torch() -> None:
    code = (
        "import sys; from airace import stages; from airace.config import Settings; "
        "e = stages.search_encoder(Settings()); v = e.encode(['chips']); "
        "print(type(e).__name__, v.shape, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["NumpyMiniLM", "(1,", "384)", "False"]
