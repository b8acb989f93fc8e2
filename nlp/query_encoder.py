"""The bundled all-MiniLM-L6-v2 as a numpy forward pass, for short search queries.

`airace search` embeds one short query. Through sentence-transformers that costs importing torch
and transformers (about 5 s on a cold process) for a few milliseconds of arithmetic. This module
runs the same model with numpy only: the WordPiece tokenizer from `tokenizers` (the model's own
tokenizer.json), the weights read by `safetensors.numpy`, then BERT's six layers, mean pooling
over the tokens and L2 normalisation, exactly as the sentence-transformers pipeline of the
bundled model (modules.json: Transformer, Pooling with mean tokens, Normalize) does. The vectors
match those of `nlp.embeddings.Embedder` to float32 rounding (tests/test_nlp_query_encoder.py
checks max |diff| < 1e-5), so a query compares with the stored article vectors as before.

Only the bundled model has this path; any other `embedding_model` goes through torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp.embeddings import _BUNDLED, resolve_model_path

if TYPE_CHECKING:
    from collections.abc import Sequence

# sentence-transformers' max_seq_length for the model (sentence_bert_config.json); word pieces
# beyond it, [CLS] and [SEP] included, are cut, as the torch path cuts them.
DEFAULT_MAX_TOKENS = 256


def supports(model: str) -> bool:
    """True when `model` names the bundled all-MiniLM-L6-v2, which this encoder can run."""
    return model in _BUNDLED


class NumpyMiniLM:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims) on numpy: `.name`, `.dim`, `.encode(texts)`."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, path: str | Path | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = Path(path or resolve_model_path(model))
        config = json.loads((root / "config.json").read_text("utf-8"))
        st_config = json.loads((root / "sentence_bert_config.json").read_text("utf-8"))
        self.name = model
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        if config.get("hidden_act") != "gelu" or config.get("model_type") != "bert":
            raise ValueError(f"{root}: not a BERT model with gelu activations")
        self.max_tokens = int(st_config.get("max_seq_length") or DEFAULT_MAX_TOKENS)
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self.w: dict[str, np.ndarray] = load_file(str(root / "model.safetensors"))

    def _ids(self, text: str) -> np.ndarray:
        return np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 array of L2-normalised vectors, one text at a time (no padding).

        The matrices of one short text are small: BLAS threads only spin-wait for each other,
        and on a busy machine that cost 1 s instead of 20 ms (measured), so BLAS gets one
        thread while this runs (threadpoolctl), and its previous setting back after.
        """
        from threadpoolctl import threadpool_limits

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with threadpool_limits(limits=1, user_api="blas"):
            for i, t in enumerate(texts):
                out[i] = self._embed(self._ids(t))
        return out

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        w = self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        head = self.dim // self.heads
        scale = 1.0 / np.sqrt(head)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q = self._dense(x, p + "attention.self.query")
            k = self._dense(x, p + "attention.self.key")
            v = self._dense(x, p + "attention.self.value")
            q, k, v = (m.reshape(n, self.heads, head).transpose(1, 0, 2) for m in (q, k, v))
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = self._norm(
                x + self._dense(context, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            hidden = _gelu(self._dense(x, p + "intermediate.dense"))
            x = self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.astype(np.float64).mean(axis=0)
        norm = float(np.linalg.norm(pooled))
        return (pooled / norm if norm > 0 else pooled).astype(np.float32)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        result: np.ndarray = x @ self.w[name + ".weight"].T + self.w[name + ".bias"]
        return result

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        result: np.ndarray = (x - mean) / np.sqrt(var + self.eps) * self.w[
            name + ".weight"
        ] + self.w[name + ".bias"]
        return result


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact gelu, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)."""
    z = x.astype(np.float64) / np.sqrt(2.0)
    s = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = s * (1.0 - poly * np.exp(-a * a))
    result: Any = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return np.asarray(result)
