"""Rasa NLU lookup tables generated from the catalog."""

from __future__ import annotations

import yaml

from bot.nlu import lookup_tables_yaml


def lookup_tables(text: str) -> dict[str, list[str]]:
    data = yaml.safe_load(text)
    return {
        entry["lookup"]: [line.removeprefix("- ") for line in entry["examples"].splitlines()]
        for entry in data["nlu"]
    }


def test_lookup_tables_are_valid_rasa_nlu_yaml(catalog):
    data = yaml.safe_load(lookup_tables_yaml(catalog))

    assert data["version"] == "3.1"
    assert [entry["lookup"] for entry in data["nlu"]] == ["category", "title"]


def test_category_table_has_names_plurals_and_synonyms(catalog):
    categories = lookup_tables(lookup_tables_yaml(catalog))["category"]

    assert {"sci-fi", "thrillers", "science fiction", "comedies", "drama"} <= set(categories)
    assert categories == sorted(set(categories))


def test_title_table_has_every_catalog_title(catalog):
    titles = lookup_tables(lookup_tables_yaml(catalog))["title"]

    assert "The Matrix" in titles
    assert set(titles) == {item.title for item in catalog.items}


def test_output_is_deterministic(catalog):
    assert lookup_tables_yaml(catalog) == lookup_tables_yaml(catalog)
