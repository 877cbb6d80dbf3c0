"""User segments (issue 9): consenting users clustered on their taste vectors with FAISS
k-means, each segment described by its size and the categories its members lean to.

Taste vectors are unit length, so the clustering is spherical (centroids renormalized: cosine
is the distance, as everywhere else in the engine). The segments are built in a batch
(``bot segments build``) and saved beside the index; a user belongs to the segment whose
centroid is nearest their current taste, so a user's segment follows their feedback without
a rebuild.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

MIN_USERS_PER_SEGMENT = 2  # fewer users than 2 per segment is no clustering
MAX_SEGMENTS = 12  # more than a business can name and act on
KMEANS_ROUNDS = 25
TOP_CATEGORIES = 3
SEED = 1234  # the same users give the same segments


class SegmentsUnavailable(RuntimeError):
    """Too few users with a taste to cluster; the message says how many are needed."""


@dataclass(frozen=True)
class Segment:
    number: int
    size: int  # users in it when built
    top_categories: tuple[str, ...]  # what its members lean to, strongest first

    @property
    def label(self) -> str:
        return " & ".join(self.top_categories[:2]) if self.top_categories else f"segment {self.number}"


@dataclass(frozen=True)
class Segments:
    centroids: np.ndarray  # one unit row per segment
    segments: tuple[Segment, ...]
    built_at: datetime

    def nearest(self, taste: np.ndarray) -> Segment:
        return self.segments[int(np.argmax(self.centroids @ taste))]

    def save(self, path: Path) -> None:
        """Write to a temporary name, then rename: never half-written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({
            "built_at": self.built_at.isoformat(),
            "segments": [{"number": s.number, "size": s.size, "top_categories": list(s.top_categories),
                          "centroid": [round(float(x), 6) for x in centroid]}
                         for s, centroid in zip(self.segments, self.centroids)],
        }), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dimension: int) -> Segments | None:
        """The saved segments, or None if never built (or built for vectors of another size)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        centroids = np.array([s["centroid"] for s in data["segments"]], dtype=np.float32)
        if centroids.ndim != 2 or centroids.shape[1] != dimension:
            return None
        segments = tuple(Segment(s["number"], s["size"], tuple(s["top_categories"])) for s in data["segments"])
        return cls(centroids, segments, datetime.fromisoformat(data["built_at"]))


def default_k(users: int) -> int:
    """About √(users / 2), at least 2 and at most ``MAX_SEGMENTS``."""
    return max(2, min(MAX_SEGMENTS, round(math.sqrt(users / 2))))


def build(
    tastes: Mapping[str, np.ndarray],
    categories: Mapping[str, Counter[str]],
    k: int | None = None,
    now: datetime | None = None,
) -> Segments:
    """Cluster the users' taste vectors into ``k`` segments (``default_k`` if None);
    ``categories`` are each user's category weights, summed per segment to describe it."""
    users = sorted(tastes)
    k = default_k(len(users)) if k is None else k
    if k < 1 or len(users) < MIN_USERS_PER_SEGMENT * k:
        raise SegmentsUnavailable(
            f"{len(users)} users with a known taste: {k} segments need at least {MIN_USERS_PER_SEGMENT * k}"
        )
    centroids, assigned = cluster(np.stack([tastes[u] for u in users]), k)
    members: list[list[str]] = [[] for _ in range(k)]
    for user, number in zip(users, assigned):
        members[number].append(user)
    order = sorted((c for c in range(k) if members[c]), key=lambda c: (-len(members[c]), c))
    segments = []
    for number, group in enumerate(order, start=1):
        leaning: Counter[str] = Counter()
        for user in members[group]:
            leaning.update(_shares(categories.get(user, Counter())))
        top = tuple(c for c, _ in sorted(leaning.items(), key=lambda e: (-e[1], e[0]))[:TOP_CATEGORIES])
        segments.append(Segment(number, len(members[group]), top))
    return Segments(centroids[order], tuple(segments), now or datetime.now(UTC))


def cluster(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means of unit ``vectors``: (k unit centroids, each vector's nearest centroid).
    Also what the ranking model's segment prior groups users with (bot/hybrid.py)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    kmeans = faiss.Kmeans(vectors.shape[1], k, niter=KMEANS_ROUNDS, seed=SEED, spherical=True,
                          min_points_per_centroid=1, max_points_per_centroid=100_000, verbose=False)
    kmeans.train(vectors)
    _, assigned = kmeans.index.search(vectors, 1)
    norms = np.linalg.norm(kmeans.centroids, axis=1, keepdims=True)
    return (kmeans.centroids / np.where(norms > 0, norms, 1.0)).astype(np.float32), assigned[:, 0]


def _shares(weights: Counter[str]) -> dict[str, float]:
    """A user's category weights as shares of 1: every member counts the same."""
    total = sum(w for w in weights.values() if w > 0)
    return {c: w / total for c, w in weights.items() if w > 0} if total > 0 else {}
