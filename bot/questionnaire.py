"""The onboarding questions and the words for "item", adaptable to any catalog.

Defaults speak about movies (the demo catalog); a YAML file (``BOT_QUESTIONNAIRE``)
overrides any of the fields for another catalog, e.g. books:

    item: book
    items: books
    title_examples: "The Hobbit and Dune"
    categories: [Fantasy, Science Fiction, Romance]

The category buttons default to the catalog's biggest categories.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from bot.catalog import Catalog, Item

BUTTONS = 6


class QuestionnaireError(ValueError):
    """The questionnaire file is malformed; the message names the file and key."""


@dataclass(frozen=True)
class Questionnaire:
    item: str = "movie"
    items: str = "movies"
    category_examples: str = "sci-fi and comedy"
    title_examples: str = "The Matrix and Amélie"
    avoid_example: str = "horror"
    greeting: str = (
        "Hi! I'm your {item} guide. A few quick questions so I can learn your taste; "
        "you can skip any of them."
    )
    ask_categories: str = (
        'Which kinds of {items} do you enjoy? Name a few (for example "{category_examples}") '
        "or pick one:"
    )
    ask_titles: str = 'Name one or two {items} you love (for example "{title_examples}"), or say "skip".'
    ask_avoid: str = (
        'Anything you\'d rather I never suggest? (for example "{avoid_example}") Or say "nothing".'
    )
    categories: tuple[str, ...] = ()  # buttons; empty: the catalog's biggest categories
    card_attributes: tuple[str, ...] = ()  # item attributes shown on cards; empty: the first two
    currency: str = ""  # written before prices on cards: "£", "$", "EUR "

    @classmethod
    def from_yaml(cls, path: Path | None) -> Questionnaire:
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise QuestionnaireError(f"{path}: cannot read the questionnaire ({error})") from error
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) - known:
            unknown = sorted(set(data) - known) if isinstance(data, dict) else ["(not a mapping)"]
            raise QuestionnaireError(f"{path}: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")
        lists = {"categories", "card_attributes"}
        return cls(**{k: tuple(str(v) for v in (v or ())) if k in lists else str(v) for k, v in data.items()})

    def text(self, template: str) -> str:
        """A template with {item}, {items} and the example fields filled in."""
        return template.format(**{f.name: getattr(self, f.name) for f in fields(self)})

    def category_buttons(self, catalog: Catalog) -> list[str]:
        chosen = [c for c in self.categories if c in catalog.category_counts()]
        return chosen or catalog.categories[:BUTTONS]

    def card_details(self, item: Item) -> str:
        """The item's price and the attributes worth a line on its card ("" if none)."""
        if self.card_attributes:
            attributes = item.attribute_summary(limit=len(self.card_attributes), names=self.card_attributes)
        else:
            attributes = item.attribute_summary(limit=2)
        price = f"{self.currency}{item.price:,.2f}" if item.price is not None else ""
        return " · ".join(part for part in (price, attributes) if part)

    def words(self, catalog: Catalog) -> dict[str, str]:
        """What the bot's fixed replies (help, out of scope) say about this catalog.

        Keys are Rasa slot names used as ``{catalog_items}`` etc. in domain.yml responses.
        """
        return {
            "catalog_items": self.items,
            "example_category": next(iter(self.category_buttons(catalog)), self.items),
            "example_title": catalog.items[0].title,
        }
