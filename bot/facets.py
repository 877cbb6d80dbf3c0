"""Categories for a catalog that has none (or too few): facets derived from the items themselves.

A product feed often has only an id, a title and a price. Onboarding, reasons and "what do you
know about me?" all speak in categories, so `bot catalog import` gives such a catalog facets: the
items' embeddings are clustered (the spherical k-means segments use) and each cluster is named by
the words that tell its items apart from the rest of the catalog (a word's share of the cluster's
items times how rare it is in the catalog), e.g. "Candle & Holder". Items that have categories
keep them; the others get their cluster's facet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bot.catalog import Item
from bot.segments import cluster

MIN_CATEGORISED = 0.5  # below this share of items with a category, a catalog gets facets
MIN_CATEGORIES = 3  # ... or with fewer distinct categories than this
MAX_FACETS = 12  # as many as onboarding can offer and people can tell apart
ITEMS_PER_FACET = 40  # about how many items a facet holds, up to MAX_FACETS
NAME_WORDS = 2
_WORD = re.compile(r"[^\W\d_]{3,}")


def needed(items: Sequence[Item]) -> bool:
    """Whether the items say too little about their kinds for onboarding to offer a choice."""
    categorised = [item for item in items if item.categories]
    distinct = {category for item in categorised for category in item.categories}
    return bool(items) and (len(categorised) < MIN_CATEGORISED * len(items) or len(distinct) < MIN_CATEGORIES)


def facet_count(items: int) -> int:
    """About one facet per ITEMS_PER_FACET items, at least 2 and at most MAX_FACETS."""
    return max(2, min(MAX_FACETS, round(items / ITEMS_PER_FACET)))


def with_facets(items: Sequence[Item], vectors: np.ndarray, k: int | None = None) -> tuple[list[Item], list[str]]:
    """The items, those without a category given their cluster's facet; and the facets' names,
    biggest first. ``vectors``: the items' unit embeddings, row by row."""
    k = min(k or facet_count(len(items)), len(items))
    if k < 2:
        return list(items), []
    _, assigned = cluster(vectors, k)
    names = _names([_words(item) for item in items], assigned, k)
    sizes = Counter(int(group) for group in assigned)
    ordered = [names[group] for group, _ in sizes.most_common()]
    return [item if item.categories else replace(item, categories=(names[int(group)],))
            for item, group in zip(items, assigned, strict=True)], ordered


def _words(item: Item) -> set[str]:
    text = f"{item.title} {item.description}".casefold()
    return {word for word in _WORD.findall(text) if word not in ENGLISH_STOP_WORDS}


def _names(words: list[set[str]], assigned: np.ndarray, k: int) -> dict[int, str]:
    """Each cluster's name: its NAME_WORDS most telling words, distinct across clusters (a
    cluster that would repeat another's name takes its next words)."""
    documents = Counter(word for item_words in words for word in item_words)
    total = len(words)
    names: dict[int, str] = {}
    taken: set[str] = set()
    for group in sorted(set(assigned.tolist()), key=lambda g: (-int((assigned == g).sum()), g)):
        members = [words[i] for i in np.flatnonzero(assigned == group)]
        counts = Counter(word for item_words in members for word in item_words)
        telling = sorted(counts, key=lambda w: (-(counts[w] / len(members)) * math.log(total / documents[w]), w))
        distinct = [word for n, word in enumerate(telling)  # "candles" adds nothing to "candle"
                    if all(_stem(word) != _stem(before) for before in telling[:n])]
        name = ""
        for start in range(max(len(distinct) - NAME_WORDS + 1, 1)):
            name = " & ".join(word.capitalize() for word in distinct[start:start + NAME_WORDS]) or f"Group {group + 1}"
            if name not in taken:
                break
        if name in taken:
            name = f"{name} {group + 1}"
        taken.add(name)
        names[group] = name
    return names


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word
