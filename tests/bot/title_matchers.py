"""Title matchers over small made-up catalogs, for the tests of bot/matching.py: titles alone,
nothing found by meaning."""

from __future__ import annotations

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher


class NoMeaning:
    """An index and encoder that find nothing by meaning: the title lookups alone."""

    def search(self, query, k):
        return []

    def encode_query(self, text):
        return None


def matcher_of(*items: tuple[str, str, int | None, tuple[str, ...]]) -> TitleMatcher:
    """A matcher over (id, title, year, categories) items, by titles alone."""
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", categories or ("Drama",), year=year)
                                             for i, title, year, categories in items))
    return TitleMatcher(catalog, NoMeaning(), NoMeaning())


def found(matcher: TitleMatcher, text: str) -> list[str]:
    """The items a request would take: sure or named, in the order of the text."""
    return [m.item.id for m in matcher.match_many(text, limit=10, by_meaning=False)[0] if m.sure or m.named]
