"""`bot nlu-eval` (bot/evaluation/nlu/): each metric on hand-made cases with a fake parser and a
fake engine, the report and the command; the real engine on the demo catalog; scripts/rasa-parse
for real (marked rasa)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PROJECT_ROOT
from bot.constraints import parse_constraints
from bot.evaluation import nlu
from bot.evaluation.nlu import Example, NluEvalError, RequestCase
from bot.intent_model import Phrase, fit
from bot.wish import Wish


def parsed(*intents: str) -> list[dict]:
    return [{"intent": intent, "confidence": 0.9, "intent_ranking": [], "entities": [], "ms": 20.0}
            for intent in intents]


# --- off-topic, support, in-domain ------------------------------------------------------


def test_off_topic_false_accepts_are_the_share_read_as_a_task_intent():
    examples = [Example("boil eggs?", "cooking"), Example("fix my watch", "repairs"),
                Example("traffic on i-95", "travel", tricky=True), Example("weather tomorrow", "weather")]
    measured = nlu.off_topic_metrics(examples, parsed("request_recommendations", "out_of_scope", "show_profile",
                                                      "nlu_fallback"))
    assert measured["all"]["false_accept"]["rate"] == 0.5
    assert measured["all"]["false_accept"]["count"] == 2
    assert measured["all"]["declined"]["rate"] == 0.5
    assert measured["per_label"]["cooking"]["false_accept"]["rate"] == 1.0
    assert measured["per_label"]["repairs"]["false_accept"]["rate"] == 0.0
    assert measured["tricky"]["n"] == 1 and measured["tricky"]["false_accept"]["rate"] == 1.0
    assert measured["not_tricky"]["false_accept"]["count"] == 1
    assert measured["predicted"] == {"request_recommendations": 1, "out_of_scope": 1, "show_profile": 1,
                                     "nlu_fallback": 1}
    assert [a["text"] for a in measured["accepted"]] == ["boil eggs?", "traffic on i-95"]
    low, high = measured["all"]["false_accept"]["low"], measured["all"]["false_accept"]["high"]
    assert 0 < low < 0.5 < high < 1


def test_greet_or_help_is_no_false_accept_and_no_decline():
    measured = nlu.off_topic_metrics([Example("hey whats up", "chitchat")], parsed("greet"))
    assert measured["all"]["false_accept"]["rate"] == 0.0
    assert measured["all"]["declined"]["rate"] == 0.0


def test_support_handed_over_and_misread_rates_per_topic():
    examples = [Example("where is my refund", "refunds"), Example("talk to a person pls", "refunds"),
                Example("delete my account, you are useless", "account", tricky=True),
                Example("why was i charged twice", "payments"), Example("card declined", "payments")]
    measured = nlu.support_metrics(examples, parsed("support_request", "request_human", "erase_data", "why_this",
                                                    "out_of_scope"))
    assert measured["all"]["handed_over"]["rate"] == 0.4
    assert measured["all"]["misread"]["rate"] == 0.4
    assert measured["per_label"]["refunds"]["handed_over"]["rate"] == 1.0
    assert measured["per_label"]["payments"]["misread"]["rate"] == 0.5
    assert measured["tricky"]["misread"]["rate"] == 1.0
    assert measured["not_tricky"]["handed_over"]["rate"] == 0.5
    assert {m["intent"] for m in measured["misreads"]} == {"erase_data", "why_this"}


def test_in_domain_accuracy_and_confusion_matrix_with_fallback_counted_wrong():
    examples = [Example("gimme some movies", "request_recommendations"),
                Example("more stuff like that one", "more_like_this"),
                Example("recommend smth", "request_recommendations"),
                Example("hiya", "greet"), Example("what do u know about me", "show_profile")]
    measured = nlu.in_domain_metrics(examples, parsed("request_recommendations", "request_recommendations",
                                                      "nlu_fallback", "greet", "show_profile"))
    assert measured["accuracy"]["rate"] == 0.6
    assert measured["fallback"]["count"] == 1
    matrix = measured["confusion"]
    assert matrix["rows"][0] == "request_recommendations"  # the most frequent expected intent first
    assert matrix["columns"][-1] == "nlu_fallback"  # predicted only: after the expected ones
    row = dict(zip(matrix["columns"], matrix["counts"][0]))
    assert row == {"request_recommendations": 1, "greet": 0, "more_like_this": 0, "show_profile": 0,
                   "nlu_fallback": 1}
    assert measured["per_intent"]["request_recommendations"]["recall"] == 0.5
    assert measured["per_intent"]["request_recommendations"]["precision"] == 0.5
    assert measured["per_intent"]["more_like_this"]["confused_with"] == {"request_recommendations": 1}
    assert len(measured["errors"]) == 2


def test_in_domain_entities_hold_the_named_titles_and_categories():
    examples = [Example("loved the matrix and amelie", "inform", titles=("The Matrix", "Amélie")),
                Example("any good thrillers", "request_recommendations", categories=("Thriller",))]
    parses = parsed("inform", "request_recommendations")
    parses[0]["entities"] = [{"entity": "title", "value": "the matrix"}, {"entity": "category", "value": "amelie"}]
    parses[1]["entities"] = [{"entity": "category", "value": "thriller"}]
    measured = nlu.in_domain_metrics(examples, parses)
    assert measured["entities"]["title"]["rate"] == 0.5  # Amélie came as a category, not a title
    assert measured["entities"]["category"]["rate"] == 1.0


# --- the sets ---------------------------------------------------------------------------


def write_sets(directory: Path, requests: dict | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    sets = {
        "in_domain.yml": {"examples": [{"text": "recommend me a film", "intent": "request_recommendations"},
                                       {"text": "like star wars", "intent": "more_like_this", "titles": ["Star Wars"]}]},
        "off_topic.yml": {"examples": [{"text": "boil eggs", "domain": "cooking"},
                                       {"text": "gas station near me", "domain": "travel", "tricky": True}]},
        "support.yml": {"examples": [{"text": "refund my order", "topic": "refunds"}]},
        "requests_demo.yml": requests or {"catalog": "demo", "cases": [
            {"text": "like alpha, beta", "kind": "several_titles", "titles": ["a", "b"], "expected": ["c"]},
        ]},
    }
    for name, data in sets.items():
        (directory / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return directory


def test_sets_load_with_optional_fields_left_out_and_missing_files_listed(tmp_path):
    sets = nlu.load_sets(write_sets(tmp_path, {"catalog": "goodbooks", "cases": [{"text": "something with dragons"}]}))
    assert sets.counts() == {"in_domain": 2, "off_topic": 2, "support": 1, "requests_demo": 1}
    assert sets.missing == ["requests_goodbooks.yml", "requests_movietweetings.yml"]
    assert sets.in_domain[1].titles == ("Star Wars",) and sets.in_domain[0].titles == ()
    assert sets.off_topic[1].tricky and not sets.off_topic[0].tricky
    case = sets.requests["requests_demo"].cases[0]
    assert sets.requests["requests_demo"].catalog == "goodbooks"
    assert (case.kind, case.titles, case.expected, case.period) == ("unspecified", (), (), None)


def test_the_blind_development_sets_are_read_by_their_own_names(tmp_path):
    """data/nlu-dev's blind request sets are measured as they are named (no copying them to
    requests_demo.yml), and a folder without them (the held-out one) does not list them missing."""
    (tmp_path / "requests_blind_goodbooks.yml").write_text(
        "catalog: goodbooks\ncases:\n- {text: \"the hobbit\\nthe silmarillion\", kind: several_titles, titles: [7, 9]}\n",
        encoding="utf-8")
    sets = nlu.load_sets(tmp_path)
    assert sets.counts() == {"requests_blind_goodbooks": 1}
    assert sets.requests["requests_blind_goodbooks"].catalog == "goodbooks"
    assert "requests_blind_goodbooks.yml" not in sets.missing and "requests_blind_demo.yml" not in sets.missing

    development = nlu.load_sets(PROJECT_ROOT / "data/nlu-dev")
    assert development.missing == []
    assert {name: development.requests[name].catalog for name in ("requests_blind_demo", "requests_blind_goodbooks")} \
        == {"requests_blind_demo": "demo", "requests_blind_goodbooks": "goodbooks"}
    assert all(development.requests[name].cases for name in development.requests)


def test_book_ids_written_as_numbers_are_read_as_strings(tmp_path):
    (tmp_path / "requests_goodbooks.yml").write_text(
        "catalog: goodbooks\ncases:\n- {text: more like the hobbit, kind: single_title, titles: [7], expected: [18, 21],"
        " year_from: 1990, year_to: null}\n", encoding="utf-8")
    case = nlu.load_sets(tmp_path).requests["requests_goodbooks"].cases[0]
    assert case.titles == ("7",) and case.expected == ("18", "21") and case.period == (1990, None)


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("off_topic.yml", "examples:\n- {text: boil eggs}\n", "has no domain"),
    ("support.yml", "examples: [1, 2]\n", "list of mappings"),
    ("in_domain.yml", "examples:\n- {intent: greet}\n", "has no text"),
    ("requests_demo.yml", "catalog: shop\ncases: []\n", "demo, goodbooks or movietweetings"),
    ("requests_demo.yml", "catalog: demo\ncases:\n- {text: x, year_from: soon}\n", "no number"),
    ("in_domain.yml", "examples: [\n", "in_domain.yml"),
])
def test_a_malformed_set_is_refused_with_its_file_and_problem(tmp_path, name, text, problem):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(NluEvalError, match=problem):
        nlu.load_sets(tmp_path)


def test_no_sets_at_all_is_an_error(tmp_path):
    with pytest.raises(NluEvalError, match="no test sets"):
        nlu.load_sets(tmp_path)


# --- requests -------------------------------------------------------------------------


def test_request_extraction_and_recall_at_10_on_hand_made_cases():
    expected = [f"e{i}" for i in range(12)]
    several = nlu.score_case(
        RequestCase("alpha and beta", "several_titles", titles=("a", "b"), expected=tuple(expected)),
        {"titles": ["a", "x"], "categories": [], "period": None,
         "picks": ["e0", "e1", "e2", "e3", "e4", "p5", "p6", "p7", "p8", "p9", "e5"], "pick_categories": []},
    )
    assert several["recall"] == 0.5  # 5 of min(10, 12); the 11th pick does not count
    assert not several["all_titles_found"]
    resolved = nlu.score_case(
        RequestCase("gamma, delta", "several_titles", titles=("c", "d"), categories=("Drama",), expected=("z", "y")),
        {"titles": ["d", "c"], "categories": ["drama", "War"], "period": None, "picks": ["y"] + ["p"] * 9,
         "pick_categories": []},
    )
    assert resolved["recall"] == 0.5 and resolved["all_titles_found"]
    period = nlu.score_case(
        RequestCase("90s thrillers, no horror", "period", categories=("Thriller",), avoid_categories=("Horror",),
                    year_from=1990, year_to=1999),
        {"titles": [], "categories": ["Thriller", "Horror"], "period": [1990, 1999], "picks": ["p1", "p2", "p3", "p4"],
         "pick_categories": [["Thriller"], ["Horror", "Thriller"], ["Drama"], ["horror"]]},
    )
    assert period["recall"] is None and period["avoided_read_as_wanted"] and period["avoided_share"] == 0.5
    wrong_period = nlu.score_case(RequestCase("old stuff", "period", year_to=1980),
                                  {"titles": [], "categories": [], "period": [1980, 1989], "picks": [],
                                   "pick_categories": []})
    spurious = nlu.score_case(RequestCase("funny", "mood", categories=("Comedy",)),
                              {"titles": ["q"], "categories": [], "period": [2000, 2009], "picks": [],
                               "pick_categories": []})

    every = nlu.aggregate([several, resolved, period, wrong_period, spurious])
    assert every["titles"] == {"precision": 0.6, "recall": 0.75, "hits": 3, "found": 5, "expected": 4}
    assert every["several_titles_resolved"]["rate"] == 0.5
    assert every["categories"]["hits"] == 2 and every["categories"]["found"] == 4 and every["categories"]["expected"] == 3
    assert every["period"]["count"] == 1 and every["period"]["n"] == 2
    assert every["period_false"]["count"] == 1 and every["period_false"]["n"] == 3
    assert every["avoided_read_as_wanted"]["rate"] == 1.0 and every["avoided_share_of_picks"] == 0.5
    assert every["recall@10"] == 0.5 and every["recall_cases"] == 2


class FakeEngine:
    """Titles and categories found by substring, avoided after "no "; picks: ``picks`` for everyone."""

    def __init__(self, titles: dict[str, str], categories: list[str], picks: list[tuple[str, list[str]]],
                 prices: bool = False):
        self.titles, self.categories, self.picks = titles, categories, picks
        self.catalog = SimpleNamespace(has_prices=prices, has_years=True,
                                       by_id={i: SimpleNamespace(title=title.title()) for title, i in titles.items()})
        self.consented: list[str] = []
        self.asked: list[dict] = []
        self.closed = False

    def read_wish(self, text):
        lowered = text.lower()
        named = [c for c in self.categories if c.lower() in lowered]
        avoided = [c for c in named if f"no {c.lower()}" in lowered]
        return Wish(items=tuple(i for title, i in self.titles.items() if title in lowered),
                    categories=tuple(c for c in named if c not in avoided), avoid_categories=tuple(avoided),
                    topic="topic" if "topic" in lowered else "", constraints=parse_constraints(text))

    def set_consent(self, sender_id, granted, channel="unknown"):
        assert granted
        self.consented.append(sender_id)

    def recommend(self, sender_id, n=5, wish=Wish(), channel="unknown"):
        assert sender_id in self.consented  # a new user who said yes, before being recommended to
        self.asked.append({"wish": wish, "n": n})
        return [SimpleNamespace(item=SimpleNamespace(id=i, categories=tuple(c))) for i, c in self.picks[:n]]

    def close(self):
        self.closed = True


def test_a_request_is_handled_as_action_recommend_would():
    engine = FakeEngine({"alien": "alien-1979", "heat": "heat-1995"}, ["Horror", "Crime"],
                        [("x", ["Horror"]), ("heat-1995", ["Crime"])])
    handled = nlu.handle_request(engine, "u1", "crime like heat or alien from the 90s under 5 dollars, no horror")
    asked = engine.asked[0]
    assert asked["n"] == 10
    wish = asked["wish"]
    assert wish.categories == ("Crime",) and wish.avoid_categories == ("Horror",)
    assert wish.items == ("alien-1979", "heat-1995")
    assert (wish.constraints.year_from, wish.constraints.year_to) == (1990, 1999)
    assert not wish.constraints.uses_price  # movies have no prices: dropped, as the action does
    assert handled == {"titles": ["alien-1979", "heat-1995"], "categories": ["Crime"], "avoided": ["Horror"],
                       "topic": "", "period": [1990, 1999], "picks": ["x", "heat-1995"],
                       "pick_categories": [["Horror"], ["Crime"]]}
    nlu.handle_request(engine, "u2", "anything")
    assert engine.asked[1] == {"wish": Wish(), "n": 10}


def test_request_metrics_per_kind():
    engine = FakeEngine({"alien": "alien-1979"}, ["Horror"], [("aliens-1986", ["Horror"]), ("x", [])])
    cases = [RequestCase("more like alien", "single_title", titles=("alien-1979",), expected=("aliens-1986",)),
             RequestCase("scary please", "mood", categories=("Horror",), expected=("y", "z"))]
    measured = nlu.request_metrics(cases, engine, "requests_demo")
    assert measured["all"]["recall@10"] == 0.5
    assert measured["per_kind"]["single_title"]["recall@10"] == 1.0
    assert measured["per_kind"]["mood"]["categories"]["recall"] == 0.0
    assert len(engine.consented) == 2 and len(set(engine.consented)) == 2  # a new user per case


# --- the run and the report -----------------------------------------------------------


def fake_parser(texts):
    intents = {"recommend me a film": "request_recommendations", "like star wars": "nlu_fallback",
               "boil eggs": "request_recommendations", "gas station near me": "out_of_scope",
               "refund my order": "support_request"}
    return parsed(*(intents[text] for text in texts))


def test_run_writes_the_report_and_its_json(tmp_path, settings):
    settings = replace(settings, intent_model_path=tmp_path / "no-intent-model.npz")  # DIET's reading alone
    sets = write_sets(tmp_path / "sets")
    engines = []

    def engine_for(settings_, catalog, workdir):
        assert catalog == "demo" and workdir.parent.name.startswith("nlu-eval-")
        engines.append(FakeEngine({"alpha": "a", "beta": "b"}, [], [("c", []), ("d", [])]))
        return engines[-1]

    evaluation = nlu.run(settings, sets, out=tmp_path / "out", parser=fake_parser, engines=engine_for, say=lambda _: None)
    assert [path.name for path in evaluation.written] == ["nlu.json", "nlu.md"]
    assert engines[0].closed
    results = json.loads((tmp_path / "out/nlu.json").read_text())
    assert results["in_domain"]["accuracy"]["rate"] == 0.5
    assert results["off_topic"]["all"]["false_accept"]["rate"] == 0.5
    assert results["support"]["all"]["handed_over"]["rate"] == 1.0
    assert results["requests"]["requests_demo"]["all"]["recall@10"] == 1.0
    assert results["requests"]["requests_demo"]["all"]["several_titles_resolved"]["rate"] == 1.0
    assert results["sets"]["missing"] == ["requests_goodbooks.yml", "requests_movietweetings.yml"]
    assert results["rasa_model"] is None and results["parse_ms"] == {"median": 20.0, "p90": 20.0}
    assert results["seconds"] >= 0 and results["machine"] and results["date"]
    text = (tmp_path / "out/nlu.md").read_text()
    for heading in ("## Against the targets of issue 19", "## In-domain intents", "## Off-topic messages",
                    "## Support messages", "## Requests through the engine", "### requests_demo: per kind"):
        assert heading in text
    assert "| off-topic false accepts (a task intent) | 50.0% (" in text
    assert "not found: requests_goodbooks.yml" in text
    assert "off-topic false accepts (a task intent): 50.0%" in evaluation.summary()
    assert results["intent_model"] is False and "diet_alone" not in results


def test_with_an_intent_model_the_pipeline_reads_as_the_engine_does(tmp_path, settings, encoder):
    """The engine's reading replaces DIET's, as the Rasa server takes it, with the titles the
    engine reads on the demo catalog as entities; DIET's is reported beside it."""
    phrases = [Phrase(text, "request_recommendations") for text in (
        "recommend me a movie", "any film suggestions", "what should i watch", "give me some picks", "find me a film",
        "suggest something to watch")] + [Phrase(text, "out_of_scope") for text in (
            "boil an egg", "fry some eggs", "what's the weather", "find a petrol station", "nearest gas station",
            "how to cook pasta")]
    fit(phrases, encoder.encode([p.text for p in phrases])).save(tmp_path / "intents.npz")
    settings = replace(settings, intent_model_path=tmp_path / "intents.npz")
    sets = write_sets(tmp_path / "sets")
    catalogs = []

    def engine_for(settings_, catalog, workdir):
        catalogs.append(catalog)
        return FakeEngine({"star wars": "sw-1977"}, [], [])

    results = nlu.run(settings, sets, out=tmp_path / "out", parser=fake_parser, engines=engine_for,
                      say=lambda _: None).results
    assert results["intent_model"] is True
    assert catalogs == ["demo", "demo"]  # the messages' titles, then the request cases
    assert results["diet_alone"]["in_domain"]["entities"]["title"]["rate"] == 0.0  # no entity in DIET's parse
    assert results["in_domain"]["entities"]["title"]["rate"] == 1.0  # "Star Wars", read by the engine
    assert results["diet_alone"]["off_topic"]["all"]["false_accept"]["rate"] == 0.5  # "boil eggs": a request
    assert results["off_topic"]["all"]["false_accept"]["rate"] == 0.0
    assert results["in_domain"]["per_intent"]["request_recommendations"]["recall"] == 1.0
    assert "| off-topic false accepts (a task intent) | 0.0% (" in (tmp_path / "out/nlu.md").read_text()


def test_the_command_runs_the_measurement(tmp_path, monkeypatch):
    sets = write_sets(tmp_path / "sets")
    monkeypatch.setattr(nlu, "rasa_parser", lambda model: fake_parser)
    monkeypatch.setattr(nlu, "build_engine", lambda settings, catalog, workdir: FakeEngine({}, [], []))
    monkeypatch.setenv("BOT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BOT_INTENT_MODEL", str(tmp_path / "no-intent-model.npz"))
    result = CliRunner().invoke(app, ["nlu-eval", "--sets", str(sets), "--out", str(tmp_path / "out"),
                                      "--model", str(tmp_path / "model.tar.gz")])
    assert result.exit_code == 0, result.output
    assert "support messages handed over: 100.0%" in result.output
    assert json.loads((tmp_path / "out/nlu.json").read_text())["rasa_model"] == "model.tar.gz"
    missing = CliRunner().invoke(app, ["nlu-eval", "--sets", str(tmp_path / "nothing"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "no test sets" in missing.output


def test_real_engine_on_the_demo_catalog(engine):
    """The harness against the real engine's API: titles by id, the period, the picks."""
    case = RequestCase("I loved Heat and Alien, anything from the 90s?", "several_titles",
                       titles=("heat-1995", "alien-1979"), year_from=1990, year_to=1999, expected=("heat-1995",))
    scored = nlu.score_case(case, nlu.handle_request(engine, "nlu-eval-real", case.text))
    assert scored["all_titles_found"]
    assert scored["period_found"] == [1990, 1999]
    assert len(scored["found"]["picks"]) == 10
    assert all(engine.catalog.by_id[pick].year in range(1990, 2000) for pick in scored["found"]["picks"])


# --- Rasa for real ----------------------------------------------------------------------


@pytest.mark.rasa
def test_rasa_parse_answers_a_line_per_message(rasa_model):
    if not nlu.RASA_PYTHON.exists():
        pytest.skip("no Rasa environment (.venv-rasa)")
    declared = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["intents"]
    intents = {i if isinstance(i, str) else next(iter(i)) for i in declared} | {"nlu_fallback"}
    texts = ["hi there", "any good thrillers from the 90s?", "how long should i boil eggs"]
    results = nlu.rasa_parser(rasa_model)(texts)  # scripts/rasa-parse in .venv-rasa, as `bot nlu-eval` runs it
    assert [result["text"] for result in results] == texts
    for result in results:
        assert set(result) == {"text", "intent", "confidence", "intent_ranking", "entities", "ms"}
        assert result["intent"] in intents and 0 <= result["confidence"] <= 1
        assert 1 <= len(result["intent_ranking"]) <= 3
        assert all(set(entry) == {"name", "confidence"} for entry in result["intent_ranking"])
        assert all({"entity", "value", "start", "end"} <= set(entity) for entity in result["entities"])
    assert results[0]["intent"] == "greet"


def test_a_request_engine_keeps_its_state_apart_but_shares_the_embedding_cache(tmp_path):
    from bot.config import Settings
    from bot.evaluation.nlu.engines import catalog_settings

    bot_settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path / "var")})

    scratch = catalog_settings(bot_settings, "demo", tmp_path / "scratch")

    assert scratch.embedding_cache_path == tmp_path / "var" / "embeddings.npz"  # embedded once, for both
    assert scratch.state_dir == tmp_path / "scratch"
    assert scratch.database_url == f"sqlite:///{tmp_path / 'scratch' / 'bot.sqlite3'}"


def test_a_movietweetings_set_is_read_and_its_catalog_made_as_a_shop_would_import_movies_dat(tmp_path):
    import json

    from bot.catalog_files import load_catalog
    from bot.config import Settings
    from bot.evaluation.nlu.engines import catalog_settings

    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "requests_movietweetings.yml").write_text(
        'catalog: movietweetings\ncases:\n- {text: heat and alien, kind: several_titles, titles: ["0113277", "0078748"]}\n',
        encoding="utf-8")
    request_set = nlu.load_sets(tmp_path / "sets").requests["requests_movietweetings"]
    assert request_set.catalog == "movietweetings" and request_set.cases[0].titles == ("0113277", "0078748")
    shared = tmp_path / "shared"
    (shared / "movietweetings-100k").mkdir(parents=True)
    (shared / "movietweetings-100k" / "movies.dat").write_text(
        "0113277::Heat (1995)::Action|Crime|Drama\n0078748::Alien (1979)::Horror\n0000001::Carmencita (1894)::\n",
        encoding="utf-8")
    settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path / "var"), "BOT_SHARED_DATA": str(shared)})

    scratch = catalog_settings(settings, "movietweetings", tmp_path / "scratch")

    catalog = load_catalog(scratch.catalog_path)
    heat = catalog.by_id["0113277"]
    assert (heat.title, heat.year, heat.categories) == ("Heat", 1995, ("Action", "Crime", "Drama"))
    assert heat.description == "Action, crime and drama film from 1995."
    assert catalog.by_id["0000001"].categories == ()  # movies.dat gives it no genre
    assert [json.loads(line)["id"] for line in scratch.catalog_path.read_text().splitlines()] == [
        "0113277", "0078748", "0000001"]
    with pytest.raises(NluEvalError, match="MovieTweetings not found"):
        catalog_settings(Settings.from_env({"BOT_SHARED_DATA": str(tmp_path / "none")}), "movietweetings", tmp_path / "x")
