"""Evaluating, tuning and reporting on a toy split; the `bot eval` command end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.evaluation.baselines import Popularity
from bot.evaluation.report import JSON_KEYS, write_report
from bot.evaluation.runner import evaluate, params_key, run_protocol, tune
from bot.evaluation.split import make_split
from bot.ranking import Ranker


class FixedScores(Ranker):
    """The same scores for everyone: ``order`` 'asc' prefers high item rows, 'desc' low ones."""

    name = "fixed"

    def __init__(self, order: str = "asc"):
        self.order = order
        self.fitted_on = None

    def fit(self, log):
        self.fitted_on = log
        self.n_items = log.n_items
        return self

    def score(self, histories, now):
        row = np.arange(self.n_items, dtype=float)
        return np.tile(row if self.order == "asc" else -row, (len(histories), 1))

    def settings(self):
        return {"order": self.order}


@pytest.fixture
def toy_split(make_log):
    # 8 items; three test users (5+ interactions), one user with too few
    rows = [
        (0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 6, 4), (0, 7, 5),  # validation 6, test 7
        (1, 3, 1), (1, 4, 2), (1, 5, 3), (1, 7, 4), (1, 1, 5),  # validation 7, test 1
        (2, 0, 1), (2, 2, 2), (2, 4, 3), (2, 5, 6), (2, 6, 7), (2, 3, 8),  # validation 6, test 3
        (3, 7, 1), (3, 6, 2),
    ]
    genres = [("Drama",)] * 4 + [("Comedy",)] * 4
    return make_split(make_log(rows, n_items=8), genres)


def test_evaluate_ranks_the_held_out_item_among_candidates(toy_split):
    result = evaluate(FixedScores("asc"), toy_split, "test", k_max=8)
    # candidates in order 7, 6, ..., 0 minus each user's train items
    # user 0: history {0,1,2,6} -> candidates 7,5,4,3 -> item 7 rank 1
    # user 1: history {3,4,5,7} -> candidates 6,2,1,0 -> item 1 rank 3
    # user 2: history {0,2,4,5,6} -> candidates 7,3,1 -> item 3 rank 2
    assert result.ranks.tolist() == [1.0, 3.0, 2.0]
    assert result.metrics["hr@1"] == pytest.approx(1 / 3)
    assert result.metrics["hr@3"] == pytest.approx(1.0)
    assert result.metrics["ndcg@10"] == pytest.approx((1 + 0.5 + 1 / np.log2(3)) / 3)
    assert result.top[:, :3].tolist() == [[7, 5, 4], [6, 2, 1], [7, 3, 1]]
    assert result.metrics["coverage@10"] == pytest.approx(8 / 8)
    assert len(result.curves["hr"]) == 8
    # cold start: only the 2 top-rated (all ratings equal: the latest) train items are excluded
    cold = evaluate(FixedScores("asc"), toy_split, "cold_start", k_max=8)
    assert [h.items.tolist() for h in toy_split.cold_start.histories] == [[2, 6], [5, 7], [5, 6]]
    assert cold.ranks.tolist() == [1.0, 5.0, 3.0]


def test_evaluate_fits_on_the_phase_log_and_checks_the_score_shape(toy_split):
    model = FixedScores()
    evaluate(model, toy_split, "validation")
    assert model.fitted_on is toy_split.validation.log

    class Broken(FixedScores):
        def score(self, histories, now):
            return super().score(histories, now)[:, :3]

    with pytest.raises(ValueError, match="shape"):
        evaluate(Broken(), toy_split, "test")


def test_evaluate_counts_mean_popularity_rank_in_the_fitted_log(toy_split):
    result = evaluate(Popularity(), toy_split, "test")
    counts = np.bincount(toy_split.test.log.items, minlength=8)
    pop_rank = 1 + np.array([(counts > c).sum() for c in counts])
    shown = result.top[result.top >= 0]  # fewer than 10 candidates: padded with -1
    assert len(shown) < result.top.size
    assert result.metrics["mean_pop_rank@10"] == pytest.approx(pop_rank[shown].mean())
    # fitted counts: item 6 has 3, items 1 and 3 one, the rest 2 (15 in all); the short
    # head reaches 12 at the fifth item with 2, so ties take in every item with 2: the
    # long tail is items 1 and 3. Lists: [3, 4, 5, 7], [0, 1, 2, 6], [1, 3, 7] -> 4 of 11 slots
    assert result.top[:, :4].tolist() == [[4, 5, 7, 3], [6, 0, 2, 1], [7, 1, 3, -1]]
    assert result.metrics["long_tail@10"] == pytest.approx(4 / 11)
    # items 0-3 are Drama, 4-7 Comedy: half the pairs differ in the first two lists, 2 of 3 in the last
    assert result.metrics["ild@10"] == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)


def test_tune_picks_the_best_validation_ndcg(toy_split):
    def factory(params):
        return FixedScores(**params)

    best, scores = tune("fixed", factory, [{"order": "desc"}, {"order": "asc"}], toy_split)
    desc = evaluate(FixedScores("desc"), toy_split, "validation").metrics["ndcg@10"]
    asc = evaluate(FixedScores("asc"), toy_split, "validation").metrics["ndcg@10"]
    assert scores == {"order=desc": pytest.approx(desc, abs=1e-6), "order=asc": pytest.approx(asc, abs=1e-6)}
    assert asc != desc
    assert best == ({"order": "asc"} if asc > desc else {"order": "desc"})
    assert params_key({}) == "default"


def test_run_protocol_and_report_write_the_documented_files(toy_split, tmp_path):
    models = [
        ("popularity", lambda p: Popularity(), [{}]),
        ("engine", lambda p: FixedScores(**p), [{"order": "desc"}, {"order": "asc"}]),
    ]
    sweeps = {"engine": [{"order": "asc"}, {"order": "desc"}], "absent": [{"order": "asc"}]}
    results = run_protocol(models, toy_split, progress=False, protocol="toy-leave-last-out", sweeps=sweeps)
    written = write_report(results, tmp_path)
    plots = ("evaluation_hr.png", "evaluation_ndcg.png", "evaluation_coverage.png", "evaluation_sweep.png")
    assert {path.name for path in written} == {"evaluation.json", "evaluation.md", *plots}
    payload = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    assert tuple(payload) == JSON_KEYS
    assert payload["protocol"] == "toy-leave-last-out" and payload["test_users"] == 3
    for variant in ("full_history", "cold_start"):
        assert set(payload[variant]) == {"popularity", "engine"}
        assert set(payload[variant]["engine"]) == {
            "hr@10", "ndcg@10", "coverage@10", "mean_pop_rank@10", "long_tail@10", "ild@10",
        }
        # toy history lengths 4, 4, 5: every user is in the lightest group
        groups = payload["user_groups"][variant]["engine"]
        assert [groups[label]["users"] for label in ("<=5", "6-20", ">20")] == [3, 0, 0]
        assert groups["<=5"]["ndcg@10"] == payload[variant]["engine"]["ndcg@10"]
        assert set(payload["category_exposure"][variant]["popularity"]) == {"Drama", "Comedy"}
    assert payload["category_exposure"]["catalog"] == {"Comedy": 0.5, "Drama": 0.5}
    assert payload["long_tail"]["items"] == 8
    assert [row["setting"] for row in payload["sweep"]["engine"]] == ["order=asc", "order=desc"]
    assert [row["cold_start"]["ndcg@10"] for row in payload["sweep"]["engine"]] == [
        pytest.approx(evaluate(FixedScores(order), toy_split, "cold_start").metrics["ndcg@10"], abs=1e-6)
        for order in ("asc", "desc")
    ]
    assert set(payload["sweep"]) == {"engine"}  # sweeps of models not run are ignored
    assert set(payload["validation"]["engine"]) == {"order=desc", "order=asc"}
    assert payload["settings"]["engine"]["order"] in ("asc", "desc")
    text = (tmp_path / "evaluation.md").read_text(encoding="utf-8")
    assert "## Engine vs. the best baseline" in text and "**" in text
    for section in ("## Popularity bias", "## Category exposure", "## Quality per user group",
                    "## Controls of the engine"):
        assert section in text
    controls = text.split("## Controls of the engine")[1].split("\n## ")[0]
    assert controls.count("\n| order=asc |") == 2  # the sweep with full histories and in the cold start
    for name in plots:
        assert f"]({name})" in text
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    hr10 = payload["full_history"]["popularity"]["hr@10"]
    assert f"{hr10:.4f}" in text  # the Markdown shows the JSON's numbers


def test_bot_eval_on_another_data_set_with_a_mapped_catalog(tmp_path, monkeypatch, state_dir):
    from bot.cli import app

    catalog = tmp_path / "books.csv"
    catalog.write_text("book_id,name,shelf\n" + "".join(
        f"b{i},Book {i},{'Fantasy' if i % 2 else 'Drama'}\n" for i in range(8)
    ), encoding="utf-8")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(
        'fields:\n  id: book_id\n  title: name\n  description: "{name}, a {shelf} book."\n'
        "  categories: shelf\n", encoding="utf-8",
    )
    events = tmp_path / "events.csv"
    lines = ["reader,book,at"]
    for user in range(6):
        for step in range(6):
            lines.append(f"r{user},b{(user + step * 3) % 8},{1000 * step + user}")
    lines.append("r0,unknown-book,5")
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("BOT_STATE_DIR", str(state_dir))  # shared embedding cache, not the project's
    out = tmp_path / "docs"
    result = CliRunner().invoke(app, [
        "eval", "--interactions", str(events), "--catalog", str(catalog),
        "--catalog-mapping", str(mapping), "--user-col", "reader", "--item-col", "book",
        "--time-col", "at", "--models", "popularity,recent_popularity,engine", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "dropped 1 interactions" in result.output
    assert "| recent_popularity |" in result.output and "| engine |" in result.output
    payload = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert payload["test_users"] == 6
    assert set(payload["full_history"]) == {"popularity", "recent_popularity", "engine"}
    assert payload["protocol"] == "events-leave-last-out"


def test_bot_eval_rejects_unknown_models_and_half_a_data_set(tmp_path):
    from bot.cli import app

    result = CliRunner().invoke(app, ["eval", "--models", "popularity,magic"])
    assert result.exit_code == 2 and "unknown model 'magic'" in result.output
    result = CliRunner().invoke(app, ["eval", "--interactions", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "go together" in result.output
