"""Facets for a catalog without categories (bot/facets.py): the items' embeddings clustered and
each cluster named by the words that tell its items apart, on a small shop of three kinds of
products whose only text is a title."""

from __future__ import annotations

import pytest

from bot import facets
from bot.catalog import Item

KINDS = {
    "candle": ["scented candle {}", "pillar candle in {}", "tea light candles {} pack", "soy wax candle {}"],
    "mug": ["ceramic mug {}", "coffee mug with {} print", "enamel camping mug {}", "large tea mug {}"],
    "sock": ["wool socks {}", "ankle socks {} pair", "christmas socks {}", "cotton socks {} stripes"],
}
COLOURS = ["red", "blue", "green", "ivory", "black"]


@pytest.fixture(scope="module")
def shop(encoder) -> tuple[list[Item], dict[str, str]]:
    items, kind_of = [], {}
    for kind, patterns in KINDS.items():
        for pattern in patterns:
            for colour in COLOURS:
                item = Item(f"{kind}-{len(items)}", pattern.format(colour).upper(), "", (), price=9.5)
                items.append(item)
                kind_of[item.id] = kind
    return items, kind_of


def test_a_catalog_with_no_or_too_few_categories_needs_facets():
    plain = [Item(str(n), f"thing {n}", "", ()) for n in range(10)]
    two_kinds = [Item(str(n), f"thing {n}", "", ("A" if n % 2 else "B",)) for n in range(10)]
    enough = [Item(str(n), f"thing {n}", "", (f"kind {n % 4}",)) for n in range(10)]

    assert facets.needed(plain) and facets.needed(two_kinds) and not facets.needed(enough)


def test_the_facets_group_the_same_kind_of_product_and_are_named_by_its_words(shop, encoder):
    items, kind_of = shop
    vectors = encoder.encode([item.embedding_text for item in items])

    faceted, names = facets.with_facets(items, vectors, k=3)

    assert len(names) == len(set(names)) == 3
    by_facet: dict[str, list[str]] = {}
    for item in faceted:
        assert len(item.categories) == 1
        by_facet.setdefault(item.categories[0], []).append(kind_of[item.id])
    for name, kinds in by_facet.items():
        main = max(set(kinds), key=kinds.count)
        assert kinds.count(main) >= 0.9 * len(kinds), (name, kinds)
        assert main.capitalize() in name, (name, main)  # "Candle & Scented" names the candles


def test_items_with_categories_keep_them(shop, encoder):
    items, _ = shop
    kept = [Item("kept", "SCENTED CANDLE GIFT", "", ("Gifts",)), *items]

    faceted, _ = facets.with_facets(kept, encoder.encode([item.embedding_text for item in kept]), k=3)

    assert faceted[0].categories == ("Gifts",)
