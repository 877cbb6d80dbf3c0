"""The item catalog: items with their free-form attributes, and the category vocabulary.

Reading and writing catalog files (validation, column mappings) is in bot/catalog_files.py.
Besides the schema fields an item carries free-form ``attributes`` (name -> text, number or
true/false). Attributes are shown, never embedded.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# Everyday words people use for a genre, keyed by the canonical name (lower case).
# Only synonyms of categories that exist in the loaded catalog are ever used.
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "action": ("action packed", "explosions"),
    "adventure": ("adventures",),
    "animation": ("animated", "cartoon", "cartoons", "anime"),
    "biography": ("biopic", "biopics", "true story"),
    "comedy": ("comedies", "funny", "rom-com", "romcom", "rom com", "laugh"),
    "crime": ("gangster", "gangsters", "heist", "mafia"),
    "documentary": ("documentaries", "docs", "docu"),
    "drama": ("dramas", "dramatic"),
    "family": ("kids", "kid", "children", "childrens", "children's", "family-friendly", "family friendly"),
    "fantasy": ("magic", "wizards", "dragons"),
    "history": ("historical", "period piece"),
    "horror": ("scary", "slasher", "spooky"),
    "music": ("music films", "concert"),
    "musical": ("musicals",),
    "mystery": ("mysteries", "whodunit", "whodunnit", "detective"),
    "romance": ("romantic", "rom-com", "romcom", "rom com", "love story", "love stories"),
    "sci-fi": ("science fiction", "scifi", "sci fi", "science-fiction", "sf", "space"),
    "sport": ("sports", "sporty"),
    "thriller": ("thrillers", "suspense", "suspenseful"),
    "war": ("war films", "war movies", "wwii", "military"),
    "western": ("westerns", "cowboy", "cowboys"),
}

SUMMARY_VALUE_WIDTH = 60  # attribute_summary shortens longer values

Scalar = str | int | float | bool


class Attributes(Mapping[str, Scalar]):
    """An item's free-form attributes: an immutable, hashable, ordered name -> scalar mapping.

    Names are non-empty text; values are text, numbers (finite) or true/false. Equality
    ignores order (like a dict); iteration keeps the order the file gave.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Scalar] | Iterable[tuple[str, Scalar]] = ()):
        values = dict(data)
        for name, value in values.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"attribute names must be non-empty text, got {name!r}")
            if not isinstance(value, (str, int, float)):  # bool is an int
                raise TypeError(f"attribute {name!r} must be text, a number or true/false, got {value!r}")
        object.__setattr__(self, "_data", values)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Attributes are immutable")

    def __getitem__(self, name: str) -> Scalar:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._data.items())))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Attributes):
            return self._data == other._data
        return self._data == other if isinstance(other, Mapping) else NotImplemented

    def __repr__(self) -> str:
        return f"Attributes({self._data!r})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, Scalar]]]:  # pickle, copy, dataclasses.asdict
        return Attributes, (dict(self._data),)


NO_ATTRIBUTES = Attributes()
_MINOR_WORDS = frozenset("a an and as at but by for in nor of on or the to with".split())


def readable_title(title: str) -> str:
    """A title typed in capitals ("SCENTED CANDLE SET OF 3") as people write it ("Scented Candle
    Set of 3"): words capitalized, short joining words lowercase but the first, words without a
    vowel kept as they are (USB, TV, XL) and words with digits too (2M). Other titles unchanged."""
    if not any(c.isalpha() for c in title) or any(c.islower() for c in title):
        return title
    words = title.split(" ")
    return " ".join(_readable_word(word, first=position == 0) for position, word in enumerate(words))


def _readable_word(word: str, first: bool) -> str:
    letters = re.sub(r"[^A-Za-z]", "", word)
    if not letters or any(c.isdigit() for c in word) or not re.search(r"[AEIOUY]", letters):
        return word
    if not first and word.lower() in _MINOR_WORDS:
        return word.lower()
    return word[:1] + word[1:].lower()


@dataclass(frozen=True)
class Item:
    """One recommendable thing; only ``id``, ``title`` and ``categories`` are required.

    ``attributes`` may be given as any mapping; it is stored as :class:`Attributes`. It
    takes part in equality (and hashing) but not in ``embedding_text``/``content_hash``.
    """

    id: str
    title: str
    description: str
    categories: tuple[str, ...]
    year: int | None = None
    url: str | None = None
    image: str | None = None
    price: float | None = None
    available: bool = True  # out-of-stock items are never recommended
    attributes: Attributes = NO_ATTRIBUTES  # shown on cards; never embedded

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, Attributes):
            object.__setattr__(self, "attributes", Attributes(self.attributes or {}))

    @property
    def label(self) -> str:
        """How the item is named to people: its title in readable case, with its year."""
        title = readable_title(self.title)
        return f"{title} ({self.year})" if self.year else title

    def attribute_summary(self, limit: int = 3, names: Iterable[str] | None = None) -> str:
        """A short line for a chat card: ``"authors: J.K. Rowling · language_code: eng"``.

        Shows the first ``limit`` attributes in file order, or those of ``names`` the item
        has (in that order); true/false reads yes/no, whole floats lose their ".0", and
        values longer than SUMMARY_VALUE_WIDTH characters are shortened with "…".
        An item without (matching) attributes gives "".
        """
        chosen = [n for n in names if n in self.attributes] if names is not None else list(self.attributes)
        return " · ".join(f"{name}: {_shown(self.attributes[name])}" for name in chosen[: max(limit, 0)])

    @property
    def embedding_text(self) -> str:
        """What the encoder sees: title, genres and description together."""
        return f"{self.title}. {', '.join(self.categories)}. {self.description}".strip()

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embedding_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Catalog:
    path: Path
    items: tuple[Item, ...]
    by_id: dict[str, Item] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {item.id: item for item in self.items})

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.by_id

    @property
    def fingerprint(self) -> str:
        """Changes whenever any item's embedded content or the item set changes.

        It decides whether a saved index still fits, so it leaves out what is not embedded
        (price, availability, attributes...): a running engine reloads on the file's stamp
        and serves such changes without re-embedding or rebuilding the index.
        """
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(f"{item.id}\t{item.content_hash}\n".encode())
        return digest.hexdigest()[:16]

    def category_counts(self) -> Counter[str]:
        return Counter(self._category_counts)

    @cached_property
    def _category_counts(self) -> Counter[str]:
        return Counter(cat for item in self.items for cat in item.categories)

    @property
    def categories(self) -> list[str]:
        """Categories, most common first (ties alphabetical)."""
        return list(self._ordered_categories)

    @cached_property
    def _ordered_categories(self) -> tuple[str, ...]:
        counts = self._category_counts
        return tuple(sorted(counts, key=lambda c: (-counts[c], c)))

    def category_phrases(self) -> Mapping[str, list[str]]:
        """Every phrase that names categories (name, plural, synonyms) -> canonical names."""
        return self._category_phrases

    @cached_property
    def _category_phrases(self) -> dict[str, list[str]]:
        phrases: dict[str, list[str]] = {}
        for category in self._ordered_categories:
            key = category.lower()
            for phrase in (key, key + "s", *CATEGORY_SYNONYMS.get(key, ())):
                names = phrases.setdefault(phrase, [])
                if category not in names:
                    names.append(category)
        return phrases

    @cached_property
    def _phrase_pattern(self) -> re.Pattern[str]:
        """Any category phrase as a whole word, longest first: one pass over a message, whatever
        the number of categories (goodbooks has 5,841)."""
        return _whole_words(self._category_phrases)

    @cached_property
    def _name_pattern(self) -> re.Pattern[str]:
        forms = set()
        for name in (c.lower() for c in self._ordered_categories):
            forms.update([name, name + "s", name + "es"] + ([name[:-1] + "ies"] if name.endswith("y") else []))
        return _whole_words(forms)

    def find_categories(self, text: str) -> list[str]:
        """Categories named in free text, in the order they appear, without repeats."""
        found: dict[str, None] = {}
        for match in self._phrase_pattern.finditer(text.lower()):
            found.update(dict.fromkeys(self._category_phrases[match.group(1)]))
        return list(found)

    def without_category_names(self, text: str) -> str:
        """The text (lowercased) without the categories' names and their plurals ("mysteries")."""
        return self._name_pattern.sub(" ", text.lower())

    @property
    def has_prices(self) -> bool:
        return any(item.price is not None for item in self.items)

    @property
    def has_years(self) -> bool:
        return any(item.year is not None for item in self.items)

    def in_category(self, category: str) -> list[Item]:
        return [item for item in self.items if category in item.categories]


def _whole_words(phrases: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


def _shown(value: Scalar) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text if len(text) <= SUMMARY_VALUE_WIDTH else text[: SUMMARY_VALUE_WIDTH - 1].rstrip() + "…"

