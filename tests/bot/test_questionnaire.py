"""The onboarding wording and category choices come from a YAML file when given."""

from __future__ import annotations

import pytest

from bot.questionnaire import Questionnaire, QuestionnaireError


def test_defaults_speak_about_movies(catalog):
    questionnaire = Questionnaire.from_yaml(None)
    assert questionnaire.text(questionnaire.ask_titles).startswith("Name one or two movies you love")
    assert questionnaire.category_buttons(catalog) == catalog.categories[:6]


def test_a_file_overrides_words_and_buttons(tmp_path, catalog):
    path = tmp_path / "q.yml"
    path.write_text("item: book\nitems: books\ncategories: [Western, Horror]\n", encoding="utf-8")
    questionnaire = Questionnaire.from_yaml(path)
    assert questionnaire.text(questionnaire.greeting).startswith("Hi! I'm your book guide.")
    assert questionnaire.category_buttons(catalog) == ["Western", "Horror"]


@pytest.mark.parametrize("content", ["itme: book\n", "- a list\n"])
def test_an_unknown_key_is_named(tmp_path, content):
    path = tmp_path / "q.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="unknown key"):
        Questionnaire.from_yaml(path)


def test_fixed_replies_get_the_catalogs_words(tmp_path, catalog):
    path = tmp_path / "q.yml"
    path.write_text("items: books\ncategories: [Western]\n", encoding="utf-8")
    assert Questionnaire.from_yaml(path).words(catalog) == {
        "catalog_items": "books",
        "example_category": "Western",
        "example_title": catalog.items[0].title,
    }


def test_cards_show_the_chosen_attributes(tmp_path, catalog):
    from dataclasses import replace

    item = replace(catalog.items[0], attributes={"studio": "Lucasfilm", "rating": 8.6, "runtime": 121})
    assert Questionnaire().card_details(item) == "studio: Lucasfilm · rating: 8.6"
    path = tmp_path / "q.yml"
    path.write_text("card_attributes: [runtime, missing]\n", encoding="utf-8")
    assert Questionnaire.from_yaml(path).card_details(item) == "runtime: 121"
    assert Questionnaire().card_details(catalog.items[1]) == ""


def test_cards_show_the_price_first_with_the_catalogs_currency(tmp_path, catalog):
    from dataclasses import replace

    item = replace(catalog.items[0], price=1234.5, attributes={"colour": "red"})
    assert Questionnaire().card_details(item) == "1,234.50 · colour: red"
    path = tmp_path / "q.yml"
    path.write_text("currency: '£'\n", encoding="utf-8")
    assert Questionnaire.from_yaml(path).card_details(replace(item, attributes={})) == "£1,234.50"
