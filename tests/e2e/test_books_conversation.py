"""Switching catalogs is one setting: the whole bot on goodbooks-10k's 10,000 books.

The Rasa model is trained on the books' lookup tables (authors, titles), the action
server reads books.csv through the shipped column mapping and questionnaire, and
nothing in the code knows about books.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from live_servers import GOODBOOKS_LOOKUPS


@pytest.fixture(scope="module")
def books_services(
    goodbooks_env, goodbooks_index, state_dir, train_rasa, services_factory, tmp_path_factory, warm_up
) -> Iterator:
    books_state = tmp_path_factory.mktemp("books-state")
    # The session's embedding cache already holds every book (goodbooks_index); the
    # action server then builds its own index from it without re-encoding.
    shutil.copy(state_dir / "embeddings.npz", books_state / "embeddings.npz")
    model = warm_up.result("goodbooks_model", lambda: train_rasa(GOODBOOKS_LOOKUPS, goodbooks_env))
    yield from services_factory(model, books_state, goodbooks_env)


def test_onboarding_with_fantasy_recommends_books(books_services, goodbooks):
    user = "reader"
    greeting = books_services.say(user, "hello").texts
    assert greeting[0].startswith("Hi! I'm your book guide.")
    assert books_services.say(user, "sure").texts[-1].startswith("Which authors do you enjoy?")

    answer = books_services.say(user, "fantasy").texts
    assert answer[-1].startswith("Name one or two books you love")
    books_services.say(user, "skip")
    first = books_services.say(user, "nothing")
    assert first.texts[:2] == [
        "Thanks! I'll remember that you like fantasy.",
        "Here are some picks for you:",
    ]
    recommended = first.picks
    assert len(recommended) == 5 and all(item_id in goodbooks for item_id in recommended)
    cards = [text for text in first.texts if text.startswith("**")]
    assert sum("matches your interest in fantasy" in card for card in cards) >= 3
    assert all("\naverage_rating: " in card for card in cards)  # the catalog's own attributes


def test_an_author_named_in_chat_filters_the_books(books_services, goodbooks):
    reply = books_services.say("author-fan", "any good Stephen King?")
    assert reply.texts[0] == "Here are some Stephen King picks for you:"
    recommended = reply.picks
    assert len(recommended) == 5
    assert all("Stephen King" in goodbooks.by_id[i].categories for i in recommended)


def test_fixed_replies_speak_of_books(books_services):
    help_text = books_services.say("helpee", "help").texts[0]
    assert help_text.startswith("I recommend books and learn what you like")
    assert "{" not in help_text
