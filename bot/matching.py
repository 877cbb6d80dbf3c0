"""Find catalog items from what a user typed: fuzzy on titles, then semantic.

Typos ("the matix") are caught by fuzzy matching; descriptions or half-remembered
titles ("that dream heist movie") by comparing embeddings. A match is *sure*
only when the fuzzy score is high; anything else should be confirmed with the user.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.catalog import Catalog, Item
from bot.encoder import Encoder
from bot.index import ItemIndex

SURE_SCORE = 88.0
FUZZY_MIN_SCORE = 85.0
SEMANTIC_MIN_SIMILARITY = 0.45
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bor\b|\bplus\b|\n)\s*", re.IGNORECASE)
_FILLER = re.compile(
    r"^(?:i\s+(?:really\s+)?(?:love|loved|like|liked|adore|enjoyed)|my\s+favou?rites?\s+(?:is|are)|"
    r"probably|maybe|definitely|also|both)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TitleMatch:
    item: Item
    score: float  # whole-title similarity 0..100, or cosine*100 for a match by meaning
    sure: bool


def normalize_title(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"^\s*(the|a|an)\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


class TitleMatcher:
    def __init__(self, catalog: Catalog, index: ItemIndex, encoder: Encoder):
        self.catalog = catalog
        self.index = index
        self.encoder = encoder
        self._titles = {item.id: normalize_title(item.title) for item in catalog.items}

    def match_one(self, text: str) -> TitleMatch | None:
        """The best item for one title-ish phrase, or None if nothing is close.

        A near-exact title is sure; otherwise a description-like phrase is matched by
        meaning first and by a loose fuzzy title match second, both to be confirmed.
        """
        query = normalize_title(_FILLER.sub("", text.strip()))
        if not query:
            return None
        fuzzy = self._fuzzy(query)
        if fuzzy is not None and fuzzy.sure:
            return fuzzy
        hits = self.index.search(self.encoder.encode_query(text), 1)
        if hits and hits[0][1] >= SEMANTIC_MIN_SIMILARITY:
            item_id, similarity = hits[0]
            return TitleMatch(self.catalog.by_id[item_id], similarity * 100, sure=False)
        return fuzzy

    def _fuzzy(self, query: str) -> TitleMatch | None:
        exact = [i for i, title in self._titles.items() if title == query]
        if exact:  # several films share a title: take the most recent
            item_id = max(exact, key=lambda i: self.catalog.by_id[i].year or 0)
            return TitleMatch(self.catalog.by_id[item_id], 100.0, sure=True)
        candidates = process.extract(
            query, self._titles, scorer=fuzz.token_set_ratio, score_cutoff=FUZZY_MIN_SCORE, limit=5
        )
        if not candidates:
            return None
        # Among titles containing the words, the one closest as a whole string wins.
        _, _, item_id = max(candidates, key=lambda c: (c[1], fuzz.ratio(query, c[0])))
        score = fuzz.ratio(query, self._titles[item_id])
        return TitleMatch(self.catalog.by_id[item_id], float(score), score >= SURE_SCORE)

    def match_many(self, text: str, limit: int = 2) -> tuple[list[TitleMatch], list[str]]:
        """Split "The Matrix and Amélie" into phrases; return matches and unmatched phrases."""
        matches: list[TitleMatch] = []
        unmatched: list[str] = []
        whole = self.match_one(text)
        if whole is not None and fuzz.ratio(normalize_title(text), normalize_title(whole.item.title)) >= SURE_SCORE:
            return [whole], []  # a title that contains "and" ("Pride and Prejudice")
        for phrase in filter(None, _SPLIT.split(text)):
            found = self.match_one(phrase)
            if found is None:
                unmatched.append(phrase)
            elif all(m.item.id != found.item.id for m in matches):
                matches.append(found)
        return matches[:limit], unmatched


INTEREST_MIN_SIMILARITY = 0.35  # below this, a phrase is about nothing in the catalog
INTEREST_MAX_WORDS = 8


def match_interest(text: str, index: ItemIndex, encoder: Encoder) -> str | None:
    """A short free-text taste ("space operas") if some catalog items are about it."""
    phrase = " ".join(text.split())
    if not phrase or len(phrase.split()) > INTEREST_MAX_WORDS or phrase.startswith("/"):
        return None
    nearest = index.search(encoder.encode_query(phrase), 1)  # the index's own search: no catalog-wide product
    return phrase if nearest and nearest[0][1] >= INTEREST_MIN_SIMILARITY else None
