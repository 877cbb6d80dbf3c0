"""The live bot's trained model: :class:`bot.hybrid.HybridRanker` fitted on the event log.

`bot train-recs` fits it on every user's feedback in the profile store and saves it
(:func:`train`); the engine loads it (:func:`load`) and the recommender adds its trend,
co-occurrence, era, category and segment components to each candidate's score, the same
model `bot eval` measures. Its weights are the defaults of :mod:`bot.hybrid` unless `bot tune` chose
others on this log (:func:`save_tuned`, a JSON file beside the model that :func:`train` reads); the
weights a model was fitted with are saved inside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np

from bot.catalog import Catalog
from bot.hybrid import DEFAULTS, HybridRanker
from bot.index import ItemIndex
from bot.profiles import Profile
from bot.ranking import History, InteractionLog
from bot.store import Store
from bot.vocabulary import TASTE_WEIGHTS, utcnow


def new_ranker(catalog: Catalog, index: ItemIndex, **params: float) -> HybridRanker:
    """The model over the index's vectors, read row by row when the index lists the catalog's
    items in its order (as built from it): no second copy of every vector."""
    item_ids = [item.id for item in catalog.items]
    return HybridRanker(
        index.rows if index.item_ids == item_ids else index.matrix(item_ids),
        [item.categories for item in catalog.items],
        [item.year for item in catalog.items],
        **params,
    )


def tuned_path(model_path: Path) -> Path:
    """Where `bot tune` keeps the weights it chose for the model at ``model_path``."""
    return model_path.with_name(model_path.stem + ".tuned.json")


def save_tuned(model_path: Path, params: Mapping[str, float]) -> Path:
    """Keep the chosen weights (atomically) for the next :func:`train`; the file written."""
    path = tuned_path(model_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(params), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def tuned_params(model_path: Path) -> dict[str, float]:
    """The weights `bot tune` chose (none: the defaults); unknown names of an older version are dropped."""
    path = tuned_path(model_path)
    if not path.exists():
        return {}
    chosen = json.loads(path.read_text(encoding="utf-8"))
    return {name: float(value) for name, value in chosen.items() if name in DEFAULTS}


def interaction_log(store: Store, catalog: Catalog) -> InteractionLog:
    """All users' feedback on catalog items, weighted like the taste vector weighs it."""
    rows = {item.id: row for row, item in enumerate(catalog.items)}
    events = [e for e in store.feedback_log(TASTE_WEIGHTS) if e[1] in rows]
    senders = sorted({sender for sender, *_ in events})
    sender_rows = {sender: row for row, sender in enumerate(senders)}
    return InteractionLog(
        senders,
        [item.id for item in catalog.items],
        np.array([sender_rows[s] for s, *_ in events], dtype=np.int32),
        np.array([rows[i] for _, i, _, _ in events], dtype=np.int32),
        np.array([int(at.timestamp()) for *_, at in events], dtype=np.int64),
        np.array([TASTE_WEIGHTS[kind] for _, _, kind, _ in events], dtype=np.float32),
    )


def train(store: Store, catalog: Catalog, index: ItemIndex, path: Path) -> tuple[HybridRanker, int]:
    """Fit the model on every user's feedback and save it at ``path`` (with the weights `bot tune`
    chose, if it ran); the model and the number of feedback events it learned from."""
    log = interaction_log(store, catalog)
    ranker = new_ranker(catalog, index, **tuned_params(path)).fit(log)
    ranker.save(path, [item.id for item in catalog.items])
    return ranker, len(log)


def load(catalog: Catalog, index: ItemIndex, path: Path) -> HybridRanker | None:
    """The trained model, or None if never trained (or trained for another catalog)."""
    if not path.exists():
        return None
    ranker = new_ranker(catalog, index)
    return ranker if ranker.load_fitted(path, [item.id for item in catalog.items]) else None


def profile_history(profile: Profile, rows: Mapping[str, int], now: datetime | None = None) -> History:
    """The user's signed item feedback, oldest first, as the hybrid model reads it; ``rows``
    are the catalog's item rows (built once by the caller: a dict of every item per request
    was the biggest cost of a request at 1M items)."""
    moment = now or utcnow()
    feedback = profile.latest_feedback()
    entries = [(moment, item, 1.0) for item in profile.loved_items if item not in feedback]
    entries += [(e.at, item, np.sign(TASTE_WEIGHTS[e.type])) for item, e in feedback.items()]
    entries = sorted((at, item, w) for at, item, w in entries if item in rows)
    return History(
        np.array([rows[item] for _, item, _ in entries], dtype=np.int32),
        np.array([int(at.timestamp()) for at, _, _ in entries], dtype=np.int64),
        np.array([w for *_, w in entries], dtype=np.float32),
        tuple(profile.categories),
    )
