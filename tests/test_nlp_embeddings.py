"""The bundled embedding model, loaded offline; vectors as bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.embeddings import EMBED_CHARS, embedding_input, from_bytes, resolve_model_path, to_bytes
from tests._nlp_models import shared_analyzer


def test_default_name_resolves_to_the_bundled_weights() -> None:
    path = Path(resolve_model_path("all-MiniLM-L6-v2"))
    assert path.is_dir()
    assert resolve_model_path("/some/other/model") == "/some/other/model"


def test_bytes_round_trip_little_endian() -> None:
    v = np.array([0.5, -1.25, 3.0], dtype=np.float32)
    data = to_bytes(v)
    assert data == np.array([0.5, -1.25, 3.0], dtype="<f4").tobytes() and len(data) == 12
    assert np.array_equal(from_bytes(data), v)


def test_embedding_input_is_the_start_cut_on_a_space() -> None:
    text = "word " * 1000
    cut = embedding_input(text)
    assert len(cut) <= EMBED_CHARS and text.startswith(cut) and not cut.endswith("wor")
    assert embedding_input("short") == "short"


@pytest.mark.slow
def test_encode_is_normalised_and_meaningful() -> None:
    embedder = shared_analyzer().embedder
    assert embedder is not None and embedder.name == "all-MiniLM-L6-v2" and embedder.dim == 384
    v = embedder.encode(
        [
            "Nvidia shares fell after a cheaper Chinese AI model was released.",
            "Chip stocks dropped when a low-cost AI model from China came out.",
            "The recipe needs two eggs and a cup of flour.",
        ]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    assert embedder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_unknown_model_is_one_clear_error(monkeypatch) -> None:
    from nlp.embeddings import Embedder, EmbeddingError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbeddingError, match="cannot load embedding model"):
        Embedder("/nonexistent/model-dir")
