"""Evaluating on another shared data set (X-Wines' files), tuning the engine per data set by
coordinate search on validation items, and the per-data-set report; small synthetic files only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.evaluation.data import InteractionDataError, is_xwines, load_xwines
from bot.evaluation.report import write_report
from bot.evaluation.runner import CoordinateSearch, evaluate, params_key, run_protocol, tune
from bot.evaluation.split import make_split
from bot.ranking import Ranker

# The columns of XWines_Slim_1K_wines.csv the loader reads (the real file has more).
WINES = """WineID,WineName,Type,Grapes,Harmonize,Body,Acidity,Country,RegionName,WineryName
1,Espumante Moscatel,Sparkling,['Muscat/Moscato'],"['Pork', 'Shellfish']",Medium-bodied,High,Brazil,Serra Gaúcha,Casa Perini
2,Reserva,Red,"['Cabernet Sauvignon', 'Merlot']",['Beef'],Full-bodied,Medium,Chile,Maipo Valley,Santa Rita
3,Blanc,White,['Chardonnay'],[],Light-bodied,High,France,Chablis,Domaine X
4,Rosé,Rosé,['Grenache'],['Salad'],Light-bodied,Medium,France,Provence,Domaine Y
5,Tinto,Red,['Tempranillo'],['Lamb'],Full-bodied,Medium,Spain,Rioja,Bodega Z
"""


def write_xwines(directory: Path, ratings: list[tuple[int, int, int, float, str]]) -> Path:
    """The two X-Wines files with ``(rating id, user, wine, rating, date)`` rows."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "XWines_Slim_1K_wines.csv").write_text(WINES, encoding="utf-8")
    lines = ["RatingID,UserID,WineID,Vintage,Rating,Date"]
    lines += [f"{rid},{user},{wine},2015,{rating},{date}" for rid, user, wine, rating, date in ratings]
    (directory / "XWines_Slim_150K_ratings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def ratings_for(users: int = 6) -> list[tuple[int, int, int, float, str]]:
    rows, rid = [], 0
    for user in range(users):
        for step in range(5):
            rid += 1
            rows.append((rid, 100 + user, 1 + (user + step) % 5, 1.0 + step % 5, f"2020-01-{1 + step:02d} 10:{user:02d}:00"))
    return rows


def test_xwines_wines_get_name_and_winery_type_and_grapes_and_a_description(tmp_path):
    directory = write_xwines(tmp_path / "xw", ratings_for())
    assert is_xwines(directory) and not is_xwines(tmp_path)
    log, items = load_xwines(directory)

    reserva = items[1]
    assert reserva.title == "Reserva - Santa Rita"
    assert reserva.categories == ("Red", "Cabernet Sauvignon", "Merlot")
    for words in ("Cabernet Sauvignon, Merlot", "Maipo Valley, Chile", "Full-bodied", "Medium acidity", "beef"):
        assert words in reserva.text
    assert "Pairs with" not in items[2].text  # no pairings listed, none said
    assert log.n_items == 5 and log.n_users == 6 and len(log) == 30
    assert sorted(set(log.ratings.tolist())) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_grapes_cell_that_is_no_list_is_reported_with_its_line(tmp_path):
    directory = write_xwines(tmp_path / "xw", ratings_for())
    wines = directory / "XWines_Slim_1K_wines.csv"
    wines.write_text(wines.read_text(encoding="utf-8").replace("['Chardonnay']", "['Chardonnay'"), encoding="utf-8")
    with pytest.raises(InteractionDataError, match=r"XWines_Slim_1K_wines.csv:4: field 'Grapes'"):
        load_xwines(directory)


def test_the_validation_cold_start_phase_is_the_questionnaire_of_the_validation_history(make_log):
    # user 0: items 0..5 by time; validation item 4, test item 5; ratings favour items 1 and 2
    rows = [(0, i, i + 1, r) for i, r in enumerate((1, 5, 5, 2, 3, 4))] + [(1, 0, 1), (1, 6, 2)]
    genres = [("A",), ("B",), ("B",), ("C",), ("C",), ("A",), ("A",)]
    split = make_split(make_log(rows, n_items=7), genres)
    cold = split.validation_cold_start

    assert cold.log is split.validation.log
    assert cold.targets.tolist() == split.validation.targets.tolist() == [4]
    assert cold.histories[0].items.tolist() == [1, 2]  # the two best-rated before the validation item
    assert cold.histories[0].categories == ("B", "A", "C")
    assert split.phase("validation_cold_start") is cold


class Threshold(Ranker):
    """Items at or above ``cut`` score 1; the best ``cut`` differs between full and cold histories."""

    name = "threshold"
    fits = 0

    def __init__(self, cut: int = 0, boost: float = 0.0):
        self.cut, self.boost = cut, boost

    def fit(self, log):
        Threshold.fits += 1
        self.n_items = log.n_items
        return self

    def with_params(self, **params):
        other = Threshold(params.get("cut", self.cut), params.get("boost", self.boost))
        other.n_items = self.n_items
        return other

    def score(self, histories, now):
        row = (np.arange(self.n_items) >= self.cut).astype(float) + self.boost * np.arange(self.n_items)
        return np.tile(row, (len(histories), 1))


@pytest.fixture
def toy_split(make_log):
    rows = [
        (0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 6, 4), (0, 7, 5),
        (1, 3, 1), (1, 4, 2), (1, 5, 3), (1, 7, 4), (1, 1, 5),
        (2, 0, 1), (2, 2, 2), (2, 4, 3), (2, 5, 6), (2, 6, 7), (2, 3, 8),
    ]
    return make_split(make_log(rows, n_items=8), [("Drama",)] * 4 + [("Comedy",)] * 4)


def test_coordinate_search_keeps_the_best_validation_setting_and_records_every_try(toy_split):
    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3, 6)), ("boost", (0.0, 1.0, -1.0))),
                              cold_start_share=0.0)
    best, scores = tune("threshold", lambda p: Threshold(**p), search, toy_split)

    grid = [{"cut": c, "boost": b} for c in (0, 3, 6) for b in (0.0, 1.0, -1.0)]
    values = {params_key(p): evaluate(Threshold(**p), toy_split, "validation").metrics["ndcg@10"] for p in grid}
    assert list(scores)[0] == "cut=0, boost=0.0"  # the start is scored first
    assert set(scores) <= set(values)
    assert scores[params_key(best)] == pytest.approx(max(scores.values()))
    assert scores[params_key(best)] == pytest.approx(max(values.values()), abs=1e-6)  # the axes are separable here


def test_the_cold_start_share_blends_in_the_questionnaire_view_of_validation_users(toy_split):
    params = {"cut": 3, "boost": 1.0}
    full = evaluate(Threshold(**params), toy_split, "validation").metrics["ndcg@10"]
    cold = evaluate(Threshold(**params), toy_split, "validation_cold_start").metrics["ndcg@10"]
    search = CoordinateSearch(start=params, axes=(), cold_start_share=0.25)
    _, scores = tune("threshold", lambda p: Threshold(**p), search, toy_split)
    assert scores == {"cut=3, boost=1.0": pytest.approx(0.75 * full + 0.25 * cold, abs=1e-6)}


def test_a_ranker_with_with_params_is_fitted_once_per_fit_setting(toy_split):
    Threshold.fits = 0
    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3)), ("boost", (0.0, 1.0))),
                              fit_params=("cut",))
    tune("threshold", lambda p: Threshold(**p), search, toy_split)
    assert Threshold.fits == 2  # one fit per value of the fit parameter, not one per setting


def test_the_report_states_the_tuning_and_lists_the_other_data_sets(toy_split, tmp_path):
    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3, 6)),), cold_start_share=0.0)
    models = [("engine", lambda p: Threshold(**p), search)]
    other = run_protocol(models, toy_split, progress=False, protocol="wines-leave-last-out")
    write_report(other, tmp_path / "evaluation-wines")
    results = run_protocol(models, toy_split, progress=False, protocol="films-leave-last-out")
    write_report(results, tmp_path)

    payload = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    tuning = payload["tuning"]["engine"]
    assert tuning["start"] == {"cut": 0, "boost": 0.0} and tuning["chosen"] == payload["settings"]["engine"]
    assert tuning["chosen_validation"] >= tuning["start_validation"]
    text = (tmp_path / "evaluation.md").read_text(encoding="utf-8")
    assert "## Tuning on this data set" in text
    others = text.split("## Other data sets")[1]
    assert "### wines-leave-last-out" in others and "(evaluation-wines/evaluation.md)" in others
    assert others.count("| engine |") == 2  # its full-history and cold-start tables


def test_xwines_as_a_shops_order_export_has_no_ratings_and_reads_back_as_one(tmp_path):
    import subprocess
    import sys

    from bot.evaluation.data import load_catalog_items, load_interactions

    directory = write_xwines(tmp_path / "xw", [(2, 100, 1, 1.0, "2020-01-02 10:00:00"), (1, 101, 2, 5.0, "2020-01-02 10:00:00"),
                                               (3, 100, 3, 4.0, "2020-01-01 09:00:00")])
    script = Path(__file__).resolve().parents[3] / "scripts/xwines-as-orders"
    done = subprocess.run([sys.executable, str(script), str(directory), str(tmp_path / "out")],
                          capture_output=True, text=True, check=True)
    orders, wines = (Path(line) for line in done.stdout.split())
    assert orders.read_text(encoding="utf-8").splitlines() == [
        "user,item,time", "100,3,2020-01-01T09:00:00", "101,2,2020-01-02T10:00:00", "100,1,2020-01-02T10:00:00"]
    items = load_catalog_items(wines)
    assert [item.id for item in items] == ["1", "2", "3", "4", "5"]
    assert items[1].categories == ("Red", "Cabernet Sauvignon", "Merlot") and "Maipo Valley" in items[1].embedding_text
    log = load_interactions(orders, [item.id for item in items])
    assert len(log.users) == 3 and len(set(log.ratings)) == 1  # no ratings: the latest orders are the seeds


def test_bot_eval_on_the_xwines_folder(tmp_path, monkeypatch, state_dir):
    from bot.cli import app

    directory = write_xwines(tmp_path / "xwines-slim", ratings_for())
    monkeypatch.setenv("BOT_STATE_DIR", str(state_dir))
    out = tmp_path / "docs"
    result = CliRunner().invoke(app, ["eval", "--data", str(directory), "--models", "popularity,itemknn",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert payload["protocol"] == "xwines-slim-leave-last-out" and payload["test_users"] == 6
    assert set(payload["category_exposure"]["catalog"]) >= {"Red", "Merlot", "Muscat/Moscato"}


def test_bot_tune_chooses_weights_on_the_event_log_keeps_them_and_refits(settings, catalog, monkeypatch):
    from bot import trained_model
    from bot.cli import app
    from bot.evaluation.data import RatedInteractionLog

    # Two tastes: users 0-9 like items 0-7 in order, users 10-19 items 8-15; every user's
    # next item is the one after their last, which only what is liked together predicts.
    ids = [item.id for item in catalog.items]
    users, items, times = [], [], []
    for user in range(20):
        for step in range(6):
            users.append(user)
            items.append((user + step) % 8 + (8 if user >= 10 else 0))
            times.append(1_700_000_000 + 3600 * (step * 20 + user))
    log = RatedInteractionLog(tuple(f"u{u}" for u in range(20)), tuple(ids), np.array(users, np.int32),
                              np.array(items, np.int32), np.array(times, np.int64), np.ones(len(users), np.float32))
    monkeypatch.setattr(trained_model, "interaction_log", lambda store, catalog: log)
    monkeypatch.setattr("bot.cli._settings", lambda: settings)
    from bot.evaluation import pipeline
    from bot.hybrid import DEFAULTS

    small = CoordinateSearch(start=dict(DEFAULTS), axes=(("itemitem", (0.0, 2.0)), ("trend", (1.0, 0.0))), rounds=1)
    monkeypatch.setattr(pipeline, "ENGINE_SEARCH", small)  # the real search takes a minute here

    result = CliRunner().invoke(app, ["tune"])

    assert result.exit_code == 0, result.output
    assert "before" in result.output and "after" in result.output and "3 settings tried" in result.output
    chosen = trained_model.tuned_params(settings.model_path)
    assert chosen and trained_model.tuned_path(settings.model_path).exists()
    model = trained_model.load(catalog, _index(settings, catalog), settings.model_path)
    assert model is not None and model.params["itemitem"] == chosen["itemitem"]


def _index(settings, catalog):
    from bot import indexing
    from bot.encoder import Encoder

    return indexing.load_or_build_index(settings, catalog, Encoder(settings.embedding_cache_path))


def test_a_search_below_the_coverage_floor_tries_the_coverage_axis_and_gives_up_little_accuracy(toy_split,
                                                                                                monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # validation (NDCG@10, coverage@10) per (cut, boost): the most accurate setting covers least
    table = {(0, 0.0): (0.5, 0.2), (3, 0.0): (0.6, 0.1), (3, 1.0): (0.597, 0.3), (3, 2.0): (0.595, 0.5),
             (3, 4.0): (0.5, 0.9), (0, 2.0): (0.4, 0.9)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[(ranker.cut, ranker.boost)]))))
    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3)), ("boost", (0.0, 1.0, 2.0, 4.0))),
                              cold_start_share=0.0, coverage_axes=(("boost", (0.0, 1.0, 2.0, 4.0)),),
                              coverage_cost=0.01)

    def chosen(floors):
        return tune("threshold", lambda p: Threshold(**p), search, toy_split, floors=floors)[0]

    assert chosen(None) == {"cut": 3, "boost": 0.0}
    assert chosen({"full_history": 0.05}) == {"cut": 3, "boost": 0.0}  # met: nothing changes
    assert chosen({"full_history": 0.25}) == {"cut": 3, "boost": 1.0}  # the most accurate that meets it
    assert chosen({"full_history": 0.45}) == {"cut": 3, "boost": 2.0}
    # only a sixth of the accuracy given away would meet it: the least shortfall within 1% instead
    # (the last pass tries the cut too: (0, 2.0) would meet it, at a third of the accuracy)
    assert chosen({"full_history": 0.8}) == {"cut": 3, "boost": 2.0}


def test_the_coverage_axes_are_tried_together_when_one_at_a_time_cannot_meet_the_floor(toy_split, monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # (NDCG@10, coverage@10) per (cut, boost): only moving both from the best (3, 0.0) meets 0.35 cheaply
    table = {(0, 0.0): (0.5, 0.3), (0, 1.0): (0.596, 0.4), (0, 2.0): (0.4, 0.9),
             (3, 0.0): (0.6, 0.1), (3, 1.0): (0.597, 0.2), (3, 2.0): (0.55, 0.5)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[(ranker.cut, ranker.boost)]))))
    axes = (("cut", (0, 3)), ("boost", (0.0, 1.0, 2.0)))

    def chosen(coverage_axes, floor=0.35):
        search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=axes, cold_start_share=0.0,
                                  coverage_axes=coverage_axes, coverage_cost=0.01)
        return tune("threshold", lambda p: Threshold(**p), search, toy_split, floors={"full_history": floor})[0]

    assert chosen((("cut", (0,)), ("boost", (1.0, 2.0)))) == {"cut": 0, "boost": 1.0}
    # each axis also keeps the best setting's value: one axis moved alone is still tried
    assert chosen((("cut", (0,)), ("boost", (1.0,))), floor=0.15) == {"cut": 3, "boost": 1.0}


def test_a_last_pass_over_every_axis_reaches_the_floor_the_coverage_axes_alone_cannot(toy_split, monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # (NDCG@10, coverage@10) per (cut, boost): the coverage axis (boost) alone stops at (3, 1.0),
    # short of 0.35; a step of the cut from there meets it within 1% of the best, a bigger boost does not
    table = {(0, 0.0): (0.5, 0.3), (0, 1.0): (0.596, 0.4), (0, 2.0): (0.4, 0.9),
             (3, 0.0): (0.6, 0.1), (3, 1.0): (0.597, 0.2), (3, 2.0): (0.55, 0.5)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[(ranker.cut, ranker.boost)]))))
    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3)), ("boost", (0.0, 1.0, 2.0))),
                              cold_start_share=0.0, coverage_axes=(("boost", (1.0, 2.0)),), coverage_cost=0.01)

    def chosen(floor):
        return tune("threshold", lambda p: Threshold(**p), search, toy_split, floors={"full_history": floor})[0]

    assert chosen(0.35) == {"cut": 0, "boost": 1.0}
    assert chosen(0.45) == {"cut": 0, "boost": 1.0}  # none meets it: the least shortfall within 1%
    assert chosen(0.15) == {"cut": 3, "boost": 1.0}  # the coverage axis met it: no last pass


class Knobs(Threshold):
    """Three switches the tests' tables are keyed by (the ranking itself is the threshold's)."""

    def __init__(self, a: int = 0, b: int = 0, c: int = 0):
        super().__init__()
        self.knobs = (a, b, c)

    def with_params(self, **params):
        other = Knobs(**params)
        other.n_items = self.n_items
        return other


def test_a_setting_the_accuracy_search_passed_that_meets_the_floor_wins_over_the_last_passes(toy_split,
                                                                                            monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # the search climbs a, b, c in turn to (1, 1, 1), past (1, 0, 0), which meets the floor within 1%;
    # from (1, 1, 1) every single step costs more than 1% or covers no more, so no pass gets there
    table = {(0, 0, 0): (0.5, 0.2), (1, 0, 0): (0.595, 0.5), (1, 1, 0): (0.598, 0.1), (1, 1, 1): (0.6, 0.1),
             (0, 1, 1): (0.4, 0.9), (1, 0, 1): (0.55, 0.9)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[ranker.knobs]))))
    search = CoordinateSearch(start={"a": 0, "b": 0, "c": 0}, axes=(("a", (0, 1)), ("b", (0, 1)), ("c", (0, 1))),
                              cold_start_share=0.0, coverage_cost=0.01)

    def chosen(floor):
        return tune("knobs", lambda p: Knobs(**p), search, toy_split, floors={"full_history": floor})[0]

    assert chosen(0.0) == {"a": 1, "b": 1, "c": 1}
    assert chosen(0.35) == {"a": 1, "b": 0, "c": 0}


def test_the_last_passes_go_on_while_a_step_on_one_axis_opens_one_on_an_axis_passed_by(toy_split, monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # the search climbs to (1, 1, 1); of what it tried, (1, 1, 2) falls least short within 1%. From
    # there the first pass finds no step on a, then one on b; only a second pass steps a and meets 0.35
    table = {(0, 0, 0): (0.5, 0.2), (1, 0, 0): (0.55, 0.1), (1, 1, 0): (0.58, 0.1), (1, 1, 1): (0.6, 0.1),
             (1, 1, 2): (0.597, 0.2), (0, 1, 1): (0.4, 0.9), (1, 0, 1): (0.5, 0.9), (0, 1, 2): (0.596, 0.2),
             (1, 0, 2): (0.596, 0.3), (0, 0, 2): (0.595, 0.5), (0, 0, 1): (0.4, 0.9)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[ranker.knobs]))))

    def chosen(rounds):
        search = CoordinateSearch(start={"a": 0, "b": 0, "c": 0}, axes=(("a", (0, 1)), ("b", (0, 1)), ("c", (0, 1, 2))),
                                  rounds=rounds, cold_start_share=0.0, coverage_cost=0.01)
        return tune("knobs", lambda p: Knobs(**p), search, toy_split, floors={"full_history": 0.35})[0]

    assert chosen(rounds=2) == {"a": 0, "b": 0, "c": 2}
    assert chosen(rounds=1) == {"a": 1, "b": 0, "c": 2}  # one pass: still short, the least shortfall


def test_the_engines_coverage_floor_is_that_of_the_baseline_most_accurate_on_validation(toy_split, tmp_path):
    from bot.evaluation.runner import fit, validation_summary

    def factory(params):
        return Threshold(**params)

    search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3)),))
    models = [("wide", factory, [{"cut": 0, "boost": 1.0}]), ("narrow", factory, [{"cut": 6}]), ("engine", factory, search)]
    results = run_protocol(models, toy_split, progress=False)

    summaries = {name: validation_summary(fit(factory(grid[0]), toy_split, "validation"), toy_split)
                 for name, _, grid in models[:2]}
    floors = results["tuning"]["engine"]["coverage_floors"]
    for variant, floor in floors.items():
        best = max(summaries.values(), key=lambda summary: summary[variant]["ndcg@10"])
        assert floor == pytest.approx(best[variant]["coverage@10"])
    assert set(floors) == {"full_history", "cold_start"}


def test_the_slot_axes_are_tried_last_within_their_own_further_cost(toy_split, monkeypatch):
    from types import SimpleNamespace

    from bot.evaluation import runner

    # (NDCG@10, coverage@10) per (cut, boost): the best (3, 0.0) covers too little; neither the
    # coverage axis (cut) nor a pass over every axis meets 0.4 within 1%; the slot axis (boost) does,
    # at 1.7% under the best
    table = {(0, 0.0): (0.5, 0.3), (3, 0.0): (0.6, 0.1), (3, 1.0): (0.59, 0.5), (0, 1.0): (0.4, 0.6)}
    monkeypatch.setattr(runner, "evaluate", lambda ranker, *args, **kwargs: SimpleNamespace(
        metrics=dict(zip(("ndcg@10", "coverage@10"), table[(ranker.cut, ranker.boost)]))))

    def chosen(slot_cost, floor=0.4):
        search = CoordinateSearch(start={"cut": 0, "boost": 0.0}, axes=(("cut", (0, 3)),), cold_start_share=0.0,
                                  coverage_axes=(("cut", (0,)),), coverage_cost=0.01,
                                  slot_axes=(("boost", (1.0,)),), slot_cost=slot_cost)
        return tune("threshold", lambda p: Threshold(**p), search, toy_split, floors={"full_history": floor})[0]

    assert chosen(0.01) == {"cut": 3, "boost": 1.0}
    assert chosen(0.0) == {"cut": 3, "boost": 0.0}  # not affordable: the least shortfall within 1%
    assert chosen(0.01, floor=0.05) == {"cut": 3, "boost": 0.0}  # met without them
