"""The text-embedding model for similar threads: WordLlama's 256-dim static embedding.

Why this model: it ships inside its PyPI wheel (``wordllama`` 0.4.0.post1, MIT; weights
``l2_supercat_256.safetensors``, 16 MB, and the tokenizer config), so nothing is downloaded at
run time, and embedding is a token lookup and a mean (~0.15 ms per title here). On
SemEval-2016 task 3 B (dev, each question's own candidates, nothing tuned) its cosine scores
72.9 MAP against 68.9 for BM25; see bench/README.md for the end-to-end numbers and fusion.
Its Matryoshka training keeps a prefix of the dimensions meaningful on its own, which the
nearest-neighbour scan uses (vectors.py).

WordLlama's loader looks for the tokenizer under ``tokenizer/`` while the wheel has
``tokenizers/`` and then tries the network; pointing ``cache_dir`` at the installed package
folder with ``disable_download=True`` loads the bundled files offline (tested with sockets
blocked). Loaded once per process, lazily, on the first text to embed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

DIM = 256
CONFIG = "l2_supercat"
WEIGHTS = f"{CONFIG}_{DIM}.safetensors"
MAX_CHARS = 4000  # a mean over more words says little more and costs tokenizer time

_model = None
_lock = threading.Lock()


def package_dir() -> Path:
    """The installed wordllama package folder (holds weights/ and tokenizers/)."""
    import wordllama  # importing it costs ~0.5 s and ~30 MB: only when embedding

    return Path(wordllama.__file__).resolve().parent


def weights_path() -> Path:
    """Where the bundled weights file must be."""
    return package_dir() / "weights" / WEIGHTS


def model():
    """The loaded model, shared by the threads of this process."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from wordllama import WordLlama  # see package_dir()

                if not weights_path().is_file():  # never fall back to a download
                    raise FileNotFoundError(f"wordllama weights missing: {weights_path()}")
                loaded = WordLlama.load(
                    config=CONFIG, dim=DIM, cache_dir=package_dir(), disable_download=True
                )
                # The file holds float16; the loader widens it to float32 (+16 MB per
                # worker). Pooling sums in float32 either way, so narrowing back is lossless.
                loaded.embedding = np.ascontiguousarray(loaded.embedding.astype(np.float16))
                _model = loaded
    return _model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (an empty text gives a zero row)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    # Batches are padded to their longest text: embedding texts of similar length together
    # keeps a reindex from multiplying mostly padding (then the rows are put back in order).
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pooled = np.asarray(
        model().embed([texts[i][:MAX_CHARS] for i in order], norm=False), dtype=np.float32
    )
    vectors = np.empty_like(pooled)
    vectors[order] = pooled
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def embed_one(text: str) -> np.ndarray:
    """One text's unit vector."""
    return embed([text])[0]
