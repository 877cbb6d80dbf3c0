"""Item neighbours learned from everyone's log: plain co-occurrence (the hybrid's oldest
collaborative part) and two signals for short histories.

- **Sequence**: what users take shortly before or after an item (the next few interactions by
  time, nearer ones counting more). Plain co-occurrence counts a whole history alike; the
  order says what goes together in a visit or follows a discovery, which a user with two
  onboarding titles or a first click has nothing else to tell.
- **Category peers**: what the users whose favourite categories are the ones a new user
  states took. A stated category otherwise only matches items by their label ("Red",
  "Malbec"); through its fans it pulls in what people of that taste actually choose.

Both are sparse matrices built once per fit (``bot.hybrid`` scores with them), normalized
like a cosine so that a bestseller is not everyone's neighbour; the category peers divide by
a higher power of the item's count, since a handful of categories is shared by far more users
than an item is.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

SEQUENCE_WINDOW = 3  # the next 3 interactions of a user count, the n-th weighing 0.5 ** (n - 1)
FAVOURITE_CATEGORIES = 3  # a user's favourites: the categories most frequent in their history
PEER_ITEM_POWER = 0.75  # category peers divide by count ** this (a cosine's 0.5 favoured bestsellers)


def _inverse_diagonal(values: np.ndarray) -> sp.dia_matrix:
    safe = np.where(values > 0, values, 1.0)
    return sp.diags(np.where(values > 0, 1.0 / safe, 0.0).astype(np.float32))


def cooccurrence_similarity(users: sp.csr_matrix) -> sp.csr_matrix:
    """(items x items): item-item cosine over a binary (users x items) matrix, "people who took
    X also took Y"."""
    norms = _inverse_diagonal(np.sqrt(np.asarray(users.sum(axis=0)).ravel()))
    together = (users.T @ users).tocsr()
    together.setdiag(0)
    together.eliminate_zeros()
    return (norms @ together @ norms).tocsr().astype(np.float32)


def sequence_similarity(users: np.ndarray, items: np.ndarray, times: np.ndarray, n_items: int,
                        window: int = SEQUENCE_WINDOW) -> sp.csr_matrix:
    """(items x items): how often two items are within ``window`` interactions of each other
    in a user's history ordered by time, either way round, cosine-normalized."""
    order = np.lexsort((times, users))
    users, items = users[order], items[order]
    rows, cols, weights = [], [], []
    for step in range(1, window + 1):
        same_user = users[step:] == users[:-step]
        rows.append(items[:-step][same_user])
        cols.append(items[step:][same_user])
        weights.append(np.full(int(same_user.sum()), 0.5 ** (step - 1), np.float32))
    counts = sp.csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n_items, n_items), dtype=np.float32)
    counts = (counts + counts.T).tocsr()
    counts.setdiag(0)
    counts.eliminate_zeros()
    norms = _inverse_diagonal(np.sqrt(np.asarray(counts.sum(axis=1)).ravel()))
    return (norms @ counts @ norms).tocsr().astype(np.float32)


def favourite_categories(users: sp.csr_matrix, item_categories: sp.csr_matrix,
                         n: int = FAVOURITE_CATEGORIES) -> sp.csr_matrix:
    """(users x categories), 1 for each user's ``n`` most frequent categories among their
    items (ties: the lower column, i.e. alphabetical where columns are sorted by name)."""
    counts = (users @ item_categories).tocoo()
    order = np.lexsort((counts.col, -counts.data, counts.row))
    rows = counts.row[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = order[rank < n]
    return sp.csr_matrix((np.ones(len(keep), np.float32), (counts.row[keep], counts.col[keep])),
                         shape=(users.shape[0], item_categories.shape[1]))


def category_peers(users: sp.csr_matrix, item_categories: sp.csr_matrix) -> sp.csr_matrix:
    """(categories x items): how many of a category's fans (users with it among their
    favourites) took each item, divided by the square root of the fans' number and the item's
    count to the ``PEER_ITEM_POWER``. ``users`` is a binary (users x items) matrix."""
    fans = favourite_categories(users, item_categories)
    together = (fans.T @ users).tocsr()
    fan_norms = _inverse_diagonal(np.sqrt(np.asarray(fans.sum(axis=0)).ravel()))
    item_norms = _inverse_diagonal(np.asarray(users.sum(axis=0)).ravel() ** PEER_ITEM_POWER)
    return (fan_norms @ together @ item_norms).tocsr().astype(np.float32)
