"""A FAISS inner-product index over item vectors with stable ids, exact or approximate.

Item ids are strings in the catalog; FAISS wants int64. Each id maps to a hash
(not a row number), so the same item keeps the same FAISS id across rebuilds
and partial updates; the saved ``IndexIDMap`` holds them. Searches ask the index inside it,
which answers in rows (the order of ``item_ids``), so exclusions and subsets are row
selectors and no id lookup is kept in memory. Vectors are unit length: inner product is cosine.

The kind follows the catalog's size (``BOT_INDEX_KIND=auto``, docs/index.md):

- **exact** (``IndexFlatIP``) up to ``BOT_INDEX_EXACT_MAX`` items (20,000): a scan of every
  vector, about 0.1 ms per 1,000 items on one core, so 2-3 ms at 20,000 and 10 ms at
  100,000, which alone would spend a request's p99 budget.
- **ivf** (``IndexIVFFlat``) above: k-means cuts the catalog into ``nlist`` lists, about
  2·√n rounded to a power of two (2,048 at 1M items, 512 at 100k), and a query scans the
  ``nprobe`` = 32 lists whose centroids are closest (``BOT_INDEX_NPROBE``). At 1M items that is
  ~1.6% of the catalog: recall@10 0.99 against exact for users' taste vectors at 1.5 ms, where
  nprobe 16 gives 0.97 and 64 gives 0.997 at twice the time. Training sees 40 items per list
  (the fewest FAISS accepts without a warning) and 10 k-means rounds: 22-55 s to build 1M
  items on 2 cores (4,096 lists took 425 s for the same recall).
- **hnsw** (``IndexHNSWFlat``, M=32, efConstruction=80, efSearch=512 via
  ``BOT_INDEX_EF_SEARCH``): only on request. A taste vector mixes a category centroid and a
  few liked items, so it usually lies between the catalog's clusters; there HNSW's greedy
  walk misses neighbours unless its candidate list is long (recall@10 on 20k clustered items:
  0.86 at efSearch 128, 0.96 at 512; 0.5-0.8 at 200k items with M=16), and building the graph
  took 2 minutes per 200k items on 2 cores, 5-10 times IVF's.

``BOT_INDEX_COMPRESSION`` stores codes instead of float32 vectors, for catalogs whose vectors
do not fit in memory (code bytes an item for 384 dimensions; loaded in a process, with ids
and Python's id lookups, measured: none 1,742, sq8 590, pq 402; docs/index.md):

- **none**: 1,536 (float32); the re-ranking reads the index's own storage, no second copy.
- **sq8**: 384, one byte a dimension between its trained minimum and maximum; decoded
  vectors keep cosine above 0.99, recall@10 0.99.
- **pq**: 192, 192 sub-vectors of 2 dimensions, each one of 256 trained centroids; for
  catalogs that do not fit even as sq8. recall@10 0.90 against exact on the synthetic 20k
  catalog (sq8: 0.99); sub-vectors of 4 dimensions (96 bytes) gave 0.74, too coarse to rank.

With compression no float copy is kept: ``vector`` and ``matrix`` decode the few items a
request re-ranks from their codes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from bot.config import IndexSettings

INDEX_FILE = "items.faiss"
META_FILE = "items.json"

HNSW_M = 32  # graph neighbours per node: recall on clustered data needs more than the usual 16
HNSW_EF_CONSTRUCTION = 80
IVF_TRAINING_PER_LIST = 40  # FAISS warns below 39 training points per centroid
IVF_KMEANS_ROUNDS = 10  # centroids (lists' and PQ's) move little after 10 rounds; FAISS's 25 costs 2.5x
PQ_SUBVECTOR_DIMENSIONS = 2  # 384 dimensions: 192 one-byte codes; 4 dimensions (96) lose a quarter of recall@10
PQ_BITS = 8
WIDENINGS = 4  # an approximate search that finds too few allowed items doubles its breadth this often
SCAN_CHUNK = 65_536  # rows decoded at a time by the exhaustive fallback


@contextmanager
def _one_thread() -> Iterator[None]:
    """OpenMP with one thread in the calling thread only (libgomp keeps the setting per thread).

    One query gains nothing from FAISS's threads, and on a busy machine waking them costs more
    than the search itself: IVF at 100k items took 8 ms (p50) with two threads, 1.5 ms with one.
    Builds keep every thread.
    """
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


class IndexUnavailable(RuntimeError):
    """The index on disk is missing, unreadable or does not match its metadata."""


def stable_id(item_id: str) -> int:
    """A 63-bit id derived from the item id, identical in every process and build."""
    digest = hashlib.blake2b(item_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Layout:
    """What an index was built as; a saved index whose layout differs from the settings' is rebuilt.

    Search breadth (nprobe, efSearch) is not part of it: it changes without a rebuild.
    """

    kind: str = "exact"  # exact | hnsw | ivf
    compression: str = "none"  # none | sq8 | pq
    nlist: int = 0  # IVF lists
    hnsw_m: int = 0
    ef_construction: int = 0
    pq_m: int = 0  # PQ sub-vectors
    pq_bits: int = 0

    def describe(self) -> str:
        """E.g. ``ivf (nlist=2048) sq8``: what reports print."""
        params = {"nlist": self.nlist, "M": self.hnsw_m, "efConstruction": self.ef_construction,
                  "pq_m": self.pq_m, "pq_bits": self.pq_bits}
        shown = ", ".join(f"{name}={value}" for name, value in params.items() if value)
        return " ".join(part for part in (self.kind, shown and f"({shown})",
                                          "" if self.compression == "none" else self.compression) if part)


def plan(settings: IndexSettings, n_items: int, dimension: int) -> Layout:
    """The layout the settings ask for at this catalog size."""
    kind = settings.kind
    if kind == "auto":
        kind = "exact" if n_items <= settings.exact_max else "ivf"
    layout = Layout(kind=kind, compression=settings.compression)
    if kind == "ivf":
        target = 2 ** round(math.log2(max(2 * math.sqrt(max(n_items, 1)), 1)))
        layout = Layout(kind, settings.compression, nlist=max(1, min(target, n_items // IVF_TRAINING_PER_LIST)))
    elif kind == "hnsw":
        layout = Layout(kind, settings.compression, hnsw_m=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
    if settings.compression == "pq":
        pq_m = _pq_subvectors(dimension)
        # Each sub-quantizer trains 2**bits centroids on the catalog: fewer for small catalogs.
        bits = max(1, min(PQ_BITS, int(math.log2(max(n_items / IVF_TRAINING_PER_LIST, 2)))))
        layout = Layout(**{**asdict(layout), "pq_m": pq_m, "pq_bits": bits})
    return layout


def _pq_subvectors(dimension: int) -> int:
    """The largest count of sub-vectors dividing the dimension with at least PQ_SUBVECTOR_DIMENSIONS each."""
    wanted = max(1, dimension // PQ_SUBVECTOR_DIMENSIONS)
    return next(m for m in range(wanted, 0, -1) if dimension % m == 0)


def _new_faiss_index(layout: Layout, dimension: int) -> faiss.Index:
    ip = faiss.METRIC_INNER_PRODUCT
    sq8 = faiss.ScalarQuantizer.QT_8bit
    if layout.kind == "exact":
        return {
            "none": lambda: faiss.IndexFlatIP(dimension),
            "sq8": lambda: faiss.IndexScalarQuantizer(dimension, sq8, ip),
            # IndexPQ ignores exclusions (no IDSelector); one IVF list is the same exhaustive scan.
            "pq": lambda: _ivf(faiss.IndexIVFPQ, dimension, 1, layout.pq_m, layout.pq_bits, ip),
        }[layout.compression]()
    if layout.kind == "hnsw":
        index = {
            "none": lambda: faiss.IndexHNSWFlat(dimension, layout.hnsw_m, ip),
            "sq8": lambda: faiss.IndexHNSWSQ(dimension, sq8, layout.hnsw_m, ip),
            "pq": lambda: faiss.IndexHNSWPQ(dimension, layout.pq_m, layout.hnsw_m, layout.pq_bits, ip),
        }[layout.compression]()
        index.hnsw.efConstruction = layout.ef_construction
        if layout.compression == "pq":
            faiss.downcast_index(index.storage).pq.cp.niter = IVF_KMEANS_ROUNDS
        return index
    return {
        "none": lambda: _ivf(faiss.IndexIVFFlat, dimension, layout.nlist, ip),
        "sq8": lambda: _ivf(faiss.IndexIVFScalarQuantizer, dimension, layout.nlist, sq8, ip),
        "pq": lambda: _ivf(faiss.IndexIVFPQ, dimension, layout.nlist, layout.pq_m, layout.pq_bits, ip),
    }[layout.compression]()


def _ivf(kind: type, dimension: int, nlist: int, *args) -> faiss.IndexIVF:
    quantizer = faiss.IndexFlatIP(dimension)
    index = kind(quantizer, dimension, nlist, *args)
    index.cp.niter = IVF_KMEANS_ROUNDS
    if isinstance(index, faiss.IndexIVFPQ):
        index.pq.cp.niter = IVF_KMEANS_ROUNDS
    index.referenced_objects = [quantizer]  # the Python wrapper must outlive the index
    return index


def _training_sample(vectors: np.ndarray, layout: Layout) -> np.ndarray:
    """Enough items to train the lists' centroids, chosen the same way every build."""
    wanted = layout.nlist * IVF_TRAINING_PER_LIST if layout.kind == "ivf" else len(vectors)
    if layout.compression == "pq":
        wanted = max(wanted, IVF_TRAINING_PER_LIST * 2**layout.pq_bits)
    if wanted >= len(vectors):
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), wanted, replace=False))
    return vectors[rows]


class ItemSubset:
    """Some of an index's items (a category's), with their FAISS selector built once: a search
    within them skips every other item inside FAISS, so a rare category costs no more than a
    common one (filtering the global nearest neighbours afterwards would need most of the catalog).
    A bitmap over the rows: one bit an item of the catalog, 125 kB per subset at 1M items."""

    def __init__(self, rows: np.ndarray, n_items: int):
        self.rows = np.unique(rows)
        member = np.zeros(n_items, dtype=bool)
        member[self.rows] = True
        self._bitmap = np.packbits(member, bitorder="little")  # FAISS reads bit i of byte i // 8
        self.selector = faiss.IDSelectorBitmap(n_items, faiss.swig_ptr(self._bitmap))

    def __len__(self) -> int:
        return len(self.rows)


class _Rows:
    def __init__(self, index: ItemIndex):
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return self._index._decode(np.asarray(rows, dtype=np.int64))


class ItemIndex:
    def __init__(
        self,
        faiss_index: faiss.IndexIDMap,
        item_ids: Sequence[str],
        fingerprint: str,
        layout: Layout = Layout(),
        settings: IndexSettings = IndexSettings(),
    ):
        self._index = faiss_index
        self._inner = faiss.downcast_index(faiss_index.index)
        self.item_ids = list(item_ids)
        self.fingerprint = fingerprint
        self.layout = layout
        self.settings = settings
        self._row = {item_id: row for row, item_id in enumerate(self.item_ids)}
        if isinstance(self._inner, faiss.IndexIVF):
            self._inner.make_direct_map()  # row -> (list, offset): decodes one item without a scan
        self._float_rows = self._float_storage()

    def _float_storage(self) -> np.ndarray | None:
        """The index's own float32 rows as a read-only array (no copy), when it stores floats."""
        storage = self._inner
        if isinstance(storage, faiss.IndexHNSW):
            storage = faiss.downcast_index(storage.storage)
        if not isinstance(storage, faiss.IndexFlat) or storage.ntotal == 0:
            return None
        rows = faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d).reshape(storage.ntotal, storage.d)
        rows.flags.writeable = False
        return rows

    @classmethod
    def build(
        cls,
        item_ids: Sequence[str],
        vectors: np.ndarray,
        fingerprint: str,
        settings: IndexSettings = IndexSettings(),
    ) -> ItemIndex:
        if len(item_ids) != len(vectors):
            raise ValueError(f"{len(item_ids)} ids for {len(vectors)} vectors")
        faiss_ids = np.array([stable_id(item_id) for item_id in item_ids], dtype=np.int64)
        if len(np.unique(faiss_ids)) != len(faiss_ids):
            raise ValueError("two item ids hash to the same FAISS id; rename one of them")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        layout = plan(settings, len(vectors), vectors.shape[1])
        inner = _new_faiss_index(layout, vectors.shape[1])
        index = faiss.IndexIDMap(inner)
        if len(vectors):
            if not inner.is_trained:
                inner.train(_training_sample(vectors, layout))
            index.add_with_ids(vectors, faiss_ids)
        return cls(index, item_ids, fingerprint, layout, settings)

    def __len__(self) -> int:
        return len(self.item_ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._row

    @property
    def dimension(self) -> int:
        return self._index.d

    @property
    def vectors(self) -> np.ndarray:
        """Every item's vector, one row per item id. Free for float storage; with compression
        or IVF it decodes the whole catalog (n x d float32): for small catalogs and tests."""
        if self._float_rows is not None:
            return self._float_rows
        return self._decode(np.arange(len(self), dtype=np.int64))

    @property
    def rows(self) -> _Rows:
        """Item vectors by row (``index.rows[rows]``), decoded only for the rows asked for."""
        return _Rows(self)

    def vector(self, item_id: str) -> np.ndarray:
        return self._decode(np.array([self._row[item_id]], dtype=np.int64))[0]

    def matrix(self, item_ids: Sequence[str]) -> np.ndarray:
        return self._decode(np.array([self._row[item_id] for item_id in item_ids], dtype=np.int64))

    def _decode(self, rows: np.ndarray) -> np.ndarray:
        if self._float_rows is not None:
            return self._float_rows[rows]
        if len(rows) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._inner.reconstruct_batch(rows)

    def search(
        self, query: np.ndarray, k: int, exclude: Iterable[str] = (), within: ItemSubset | None = None
    ) -> list[tuple[str, float]]:
        """The k nearest items to ``query`` as (item id, cosine), never any excluded id, and only
        items of ``within`` when given (see ``subset``).

        An approximate index that finds fewer than k allowed items (many excluded near the
        query) searches again twice as broadly, up to ``WIDENINGS`` times, and then
        exhaustively, so k are always returned when the catalog has them.
        """
        excluded_rows = np.array(sorted({self._row[i] for i in exclude if i in self._row}), dtype=np.int64)
        if within is None:
            k = min(k, len(self) - len(excluded_rows))
        else:
            k = min(k, len(within) - int(np.isin(excluded_rows, within.rows, assume_unique=True).sum()))
        if k <= 0:
            return []
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        selector = None if within is None else within.selector
        if len(excluded_rows):
            allowed = faiss.IDSelectorNot(faiss.IDSelectorBatch(excluded_rows))
            selector = allowed if selector is None else faiss.IDSelectorAnd(selector, allowed)
        for breadth in self._breadths(k):
            with _one_thread():  # the inner index answers in rows: selectors and results need no id lookup
                scores, rows = self._inner.search(query, k, params=self._params(breadth, selector))
            found = rows[0] != -1
            if found.sum() >= k:
                return [(self.item_ids[row], float(score)) for row, score in zip(rows[0][found], scores[0][found])]
        rows = np.arange(len(self), dtype=np.int64) if within is None else within.rows
        return self._scan(query[0], k, np.setdiff1d(rows, excluded_rows, assume_unique=True))

    def subset(self, item_ids: Iterable[str]) -> ItemSubset:
        """Items to search within (``search(within=...)``); unknown ids are left out."""
        rows = np.array([self._row[i] for i in item_ids if i in self._row], dtype=np.int64)
        return ItemSubset(rows, len(self))

    def _breadths(self, k: int) -> list[int]:
        """nprobe or efSearch of each try: the setting, doubled, then (IVF) every list."""
        if isinstance(self._inner, faiss.IndexIVF):
            nlist = self._inner.nlist
            tries = [min(self.settings.nprobe << n, nlist) for n in range(WIDENINGS + 1)] + [nlist]
            if self.layout.kind != "ivf":
                tries = [nlist]  # exact with pq: one list, always searched
        elif self.layout.kind == "hnsw":
            tries = [max(self.settings.ef_search, k) << n for n in range(WIDENINGS + 1)]
        else:
            tries = [0]  # a flat scan needs no breadth
        return list(dict.fromkeys(tries))

    def _params(self, breadth: int, selector: faiss.IDSelector | None) -> faiss.SearchParameters | None:
        if isinstance(self._inner, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(nprobe=breadth)
        elif self.layout.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=breadth)
        elif selector is None:
            return None
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        return params

    def _scan(self, query: np.ndarray, k: int, rows: np.ndarray) -> list[tuple[str, float]]:
        """These rows' (decoded) vectors against the query: the exact answer, O(rows)."""
        scores = np.concatenate([
            self._decode(rows[lo:lo + SCAN_CHUNK]) @ query for lo in range(0, len(rows), SCAN_CHUNK)
        ])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.item_ids[rows[i]], float(scores[i])) for i in top]

    def save(self, directory: Path) -> None:
        """Write index and metadata to temporary names, then rename: never half-written."""
        directory.mkdir(parents=True, exist_ok=True)
        tmp_index = directory / (INDEX_FILE + ".tmp")
        tmp_meta = directory / (META_FILE + ".tmp")
        faiss.write_index(self._index, str(tmp_index))
        tmp_meta.write_text(
            json.dumps({"fingerprint": self.fingerprint, "item_ids": self.item_ids, "layout": asdict(self.layout)}),
            encoding="utf-8",
        )
        os.replace(tmp_index, directory / INDEX_FILE)
        os.replace(tmp_meta, directory / META_FILE)

    @classmethod
    def load(cls, directory: Path, settings: IndexSettings = IndexSettings()) -> ItemIndex:
        """The saved index, searched as broadly as ``settings`` say (its layout is as saved)."""
        index_path, meta_path = directory / INDEX_FILE, directory / META_FILE
        for path in (index_path, meta_path):
            if not path.exists():
                raise IndexUnavailable(f"index file {path} is missing; build it with `make index`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            item_ids, fingerprint = list(meta["item_ids"]), str(meta["fingerprint"])
            layout = Layout(**meta.get("layout", {}))  # indexes saved before layouts were exact
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise IndexUnavailable(
                f"index file {meta_path} is unreadable ({error!r}); rebuild it with `make index`"
            ) from error
        try:
            faiss_index = faiss.read_index(str(index_path))
        except RuntimeError as error:
            raise IndexUnavailable(
                f"index file {index_path} is unreadable; rebuild it with `make index`"
            ) from error
        if faiss_index.ntotal != len(item_ids) or not isinstance(faiss_index, faiss.IndexIDMap):
            raise IndexUnavailable(f"{index_path} and {meta_path} disagree; rebuild with `make index`")
        return cls(faiss_index, item_ids, fingerprint, layout, settings)
