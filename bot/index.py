"""A FAISS inner-product index over item vectors with stable ids.

Item ids are strings in the catalog; FAISS wants int64. Each id maps to a hash
(not a row number), so the same item keeps the same FAISS id across rebuilds
and partial updates. Vectors are unit length, so inner product is cosine.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import faiss
import numpy as np

INDEX_FILE = "items.faiss"
META_FILE = "items.json"


class IndexUnavailable(RuntimeError):
    """The index on disk is missing, unreadable or does not match its metadata."""


def stable_id(item_id: str) -> int:
    """A 63-bit id derived from the item id, identical in every process and build."""
    digest = hashlib.blake2b(item_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


class ItemIndex:
    def __init__(self, faiss_index: faiss.IndexIDMap2, item_ids: Sequence[str], fingerprint: str):
        self._index = faiss_index
        self.item_ids = list(item_ids)
        self.fingerprint = fingerprint
        self._by_faiss_id = {stable_id(item_id): item_id for item_id in self.item_ids}
        self._row = {item_id: row for row, item_id in enumerate(self.item_ids)}
        self.vectors = faiss_index.index.reconstruct_n(0, faiss_index.ntotal)

    @classmethod
    def build(cls, item_ids: Sequence[str], vectors: np.ndarray, fingerprint: str) -> ItemIndex:
        if len(item_ids) != len(vectors):
            raise ValueError(f"{len(item_ids)} ids for {len(vectors)} vectors")
        faiss_ids = np.array([stable_id(item_id) for item_id in item_ids], dtype=np.int64)
        if len(set(faiss_ids.tolist())) != len(faiss_ids):
            raise ValueError("two item ids hash to the same FAISS id; rename one of them")
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), faiss_ids)
        return cls(index, item_ids, fingerprint)

    def __len__(self) -> int:
        return len(self.item_ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._row

    def vector(self, item_id: str) -> np.ndarray:
        return self.vectors[self._row[item_id]]

    def matrix(self, item_ids: Sequence[str]) -> np.ndarray:
        return self.vectors[[self._row[item_id] for item_id in item_ids]]

    def search(
        self, query: np.ndarray, k: int, exclude: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """The k nearest items to ``query`` as (item id, cosine), never any excluded id."""
        excluded = np.array([stable_id(i) for i in set(exclude) if i in self._row], dtype=np.int64)
        k = min(k, len(self) - len(excluded))
        if k <= 0:
            return []
        params = None
        if len(excluded):
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(excluded))
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
        )
        return [
            (self._by_faiss_id[int(faiss_id)], float(score))
            for faiss_id, score in zip(ids[0], scores[0])
            if faiss_id != -1
        ]

    def save(self, directory: Path) -> None:
        """Write index and metadata to temporary names, then rename: never half-written."""
        directory.mkdir(parents=True, exist_ok=True)
        tmp_index = directory / (INDEX_FILE + ".tmp")
        tmp_meta = directory / (META_FILE + ".tmp")
        faiss.write_index(self._index, str(tmp_index))
        tmp_meta.write_text(
            json.dumps({"fingerprint": self.fingerprint, "item_ids": self.item_ids}),
            encoding="utf-8",
        )
        os.replace(tmp_index, directory / INDEX_FILE)
        os.replace(tmp_meta, directory / META_FILE)

    @classmethod
    def load(cls, directory: Path) -> ItemIndex:
        index_path, meta_path = directory / INDEX_FILE, directory / META_FILE
        for path in (index_path, meta_path):
            if not path.exists():
                raise IndexUnavailable(f"index file {path} is missing; build it with `make index`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            item_ids, fingerprint = list(meta["item_ids"]), str(meta["fingerprint"])
        except (ValueError, KeyError, TypeError) as error:
            raise IndexUnavailable(
                f"index file {meta_path} is unreadable ({error!r}); rebuild it with `make index`"
            ) from error
        try:
            faiss_index = faiss.read_index(str(index_path))
        except RuntimeError as error:
            raise IndexUnavailable(
                f"index file {index_path} is unreadable; rebuild it with `make index`"
            ) from error
        if faiss_index.ntotal != len(item_ids):
            raise IndexUnavailable(f"{index_path} and {meta_path} disagree; rebuild with `make index`")
        return cls(faiss_index, item_ids, fingerprint)
