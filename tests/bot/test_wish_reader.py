"""Reading a typed request into a wish (bot/wish_reader.py) on the demo catalog: titles (several,
with years, with commas and colons), categories, topic words, what is not wanted, constraints."""

from __future__ import annotations

import pytest

from bot.constraints import Constraints
from bot.wish import Wish


@pytest.fixture
def read(engine):
    return engine.read_wish


def test_a_plain_ask_says_nothing_about_the_items(read):
    wish = read("could you recommend me something please?")
    assert not wish.steers and wish == Wish()


@pytest.mark.parametrize(("text", "items"), [
    ("Heat (1995) and Alien (1979)", ("heat-1995", "alien-1979")),
    ("i loved memento, heat and the good, the bad and the ugly",
     ("memento-2000", "heat-1995", "the-good-the-bad-and-the-ugly-1966")),
    ("anything like The Matrix or Aliens?", ("the-matrix-1999", "aliens-1986")),
])
def test_every_title_named_is_read(read, text, items):
    assert read(text).items == items


def test_a_title_the_catalog_lacks_is_no_category_but_a_topic(read):
    wish = read("Like Avengers: Infinity War")
    assert wish.items == () and "War" not in wish.categories
    assert "avengers" in wish.topic


def test_categories_and_the_words_around_them(read):
    wish = read("I really like murder mysteries and old westerns")
    assert wish.categories == ("Mystery", "Western")
    assert "murder" in wish.topic and "mysteries" not in wish.topic


@pytest.mark.parametrize(("text", "categories"), [("I love Crime Dramas", ("Crime", "Drama")),
                                                  ("any Sci-Fi Horror?", ("Sci-Fi", "Horror"))])
def test_capitalized_category_names_are_categories(read, text, categories):
    assert read(text).categories == categories


def test_a_synonym_keeps_its_meaning_as_the_topic(read):
    wish = read("anything with dragons?")
    assert wish.categories == ("Fantasy",) and wish.topic == "dragons"


@pytest.mark.parametrize(("text", "categories", "topics", "lasting"), [
    ("a comedy, no musicals please", ("Musical",), (), False),
    ("something funny but not stupid", (), ("stupid",), False),
    ("nothing too scary tonight", ("Horror",), ("scary",), False),
    ("i hate musicals", ("Musical",), (), True),
    ("never anything with gore", (), ("gore",), True),
    ("anything but horror", ("Horror",), (), False),
    ("I'm sick of dramas", ("Drama",), (), False),
    ("bored of action movies, something else", ("Action",), (), False),
])
def test_what_is_not_wanted(read, text, categories, topics, lasting):
    wish = read(text)
    assert wish.avoid_categories == categories
    assert wish.avoid_topics == topics
    assert wish.lasting is lasting
    assert not set(categories) & set(wish.categories)


@pytest.mark.parametrize("text", ["i'm not sure, surprise me", "no idea, anything good", "not bothered, you pick"])
def test_unsure_is_no_exclusion(read, text):
    wish = read(text)
    assert not wish.avoid_categories and not wish.avoid_topics


def test_constraints_are_read_and_leave_no_words_behind(read):
    wish = read("comedies from the 80s under 10 dollars")
    assert wish.categories == ("Comedy",)
    assert wish.constraints == Constraints(max_price=10.0, year_from=1980, year_to=1989)
    assert wish.topic == ""


@pytest.mark.parametrize("text", ["I'm a big fan of Heat, what else would I like?",
                                  "huge fans of Alien here, what should we watch?",
                                  "something like Memento that makes me think",
                                  "a movie that will make me think", "I watched Heat, what should I be watching next?",
                                  "what's popular right now?", "top rated sci-fi"])
def test_the_words_of_a_request_about_the_user_are_no_topic(read, text):
    # a topic is matched against the items' words: "big fan" brought The Fan and Big, "makes" Made
    assert read(text).topic == ""


@pytest.mark.parametrize(("text", "topic"), [("a movie for my 8 year old", "children"),
                                             ("something for a 15-year-old", "teenagers"),
                                             ("a gift for my 40 year old husband", "gift husband")])
def test_an_age_says_who_it_is_for(read, text, topic):
    # "old" was the topic of "for my 8 year old": old things, not children's
    assert read(text).topic == topic


@pytest.mark.parametrize("text", ["a space movie i haven't seen", "something about space I have not watched yet"])
def test_what_is_not_seen_yet_is_wanted_new_not_avoided(read, text):
    # "haven't seen" says new to the user: it avoided Sci-Fi and space, the very thing asked for
    wish = read(text)
    assert wish.categories == ("Sci-Fi",) and "space" in wish.topic.split()
    assert not wish.avoid_categories and not wish.avoid_topics


@pytest.mark.parametrize(("text", "items"), [("Heat, but Memento I didn't like", ("heat-1995",)),
                                             ("Alien and Aliens, Memento I don't like", ("alien-1979", "aliens-1986")),
                                             ("Heat and Alien. Memento I haven't seen", ("heat-1995", "alien-1979"))])
def test_a_title_then_i_did_not_like_or_see_it_is_no_seed(read, text, items):
    wish = read(text)
    assert wish.items == items
    assert wish.avoid_topics == (("memento",) if "like" in text else ())


def test_the_words_change_the_picks(engine, remember):
    remember("wisher")
    plain = [p.item.id for p in engine.recommend("wisher", n=5, wish=engine.read_wish("recommend me something"))]
    travel = engine.recommend("wisher", n=5, wish=engine.read_wish("something about time travel"))
    assert [p.item.id for p in travel] != plain
    assert "back-to-the-future-1985" in [p.item.id for p in travel]
    assert any(p.on_topic and "about time travel, as you asked" in p.reasons for p in travel)


def test_several_titles_steer_together(engine, remember):
    remember("seeded")
    picks = engine.recommend("seeded", n=10, wish=engine.read_wish("like Alien and Heat"))
    ids = [p.item.id for p in picks]
    assert "alien-1979" not in ids and "heat-1995" not in ids
    kinds = [set(p.item.categories) for p in picks]
    assert any({"Horror", "Sci-Fi"} & k for k in kinds) and any({"Crime"} & k for k in kinds)


@pytest.mark.parametrize(("text", "items"), [
    ("no country for old men and fargo", ("no-country-for-old-men-2007", "fargo-1996")),
    ("Don't Look Now, Rebecca and Psycho", ("dont-look-now-1973", "rebecca-1940", "psycho-1960")),
    ("something like fargo, no big lebowski", ("fargo-1996",)),
])
def test_a_title_that_begins_like_a_negation_is_wanted(read, text, items):
    assert read(text).items == items


@pytest.mark.parametrize(("text", "items", "constraints"), [
    ("mad max and mad max 2", ("mad-max-1979", "mad-max-2-the-road-warrior-1981"), Constraints()),
    ("Mad Max 2, anything under 10 dollars", ("mad-max-2-the-road-warrior-1981",), Constraints(max_price=10.0)),
])
def test_a_title_that_reads_like_a_constraint_stays_a_title(read, text, items, constraints):
    wish = read(text)
    assert wish.items == items
    assert wish.constraints == constraints


@pytest.mark.parametrize(("text", "items"), [
    ("Good evening! I'm looking for a film for tonight. I really enjoyed Heat and also Alien, got anything similar?",
     ("heat-1995", "alien-1979")),
    ("hi :) my son adores Coco - and Up. what else would he like?", ("coco-2017", "up-2009")),
    ("films i like:\n1. Alien\n2. Aliens\n3. Heat", ("alien-1979", "aliens-1986", "heat-1995")),
])
def test_titles_in_a_chatty_opening_message(read, text, items):
    assert read(text).items == items


@pytest.mark.parametrize("text", ["hey, what's up? can you help me find a big movie for the kids",
                                  "I'd like a movie about space and the moon, something epic"])
def test_chat_words_that_are_titles_name_nothing(read, text):
    assert read(text).items == ()
