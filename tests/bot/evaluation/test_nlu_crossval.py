"""`bot nlu cv`: nested cross-validation of the intent model's choices on training data alone."""

from __future__ import annotations

from bot.evaluation.nlu import crossval
from bot.intent_model import CHOSEN, FALLBACK, OUT_OF_SCOPE, SUPPORT, Choice, Phrase

YAML = """version: "3.1"
nlu:
- intent: greet
  examples: |
{greet}
- intent: export_data
  examples: |
{export}
- intent: out_of_scope
  examples: |
{other}
- intent: support_request
  examples: |
{support}
"""
GREET = ["hi", "hello", "hey there", "good morning", "hiya", "howdy", "hello bot", "yo", "hi again", "evening"]
EXPORT = ["export my data", "send me my data", "download my data", "a copy of my data please", "export my profile",
          "email me what you stored", "give me my data as a file", "i want my data", "data export please",
          "can i download what you have on me"]
OTHER = ["how long do i boil an egg", "what's the weather in paris", "book me a flight to rome", "call my mum",
         "is the pharmacy open on sunday", "how do i fix a flat tyre", "what is 15% of 80", "set an alarm for 7",
         "translate thank you into german", "how tall is mount everest", "my cat keeps sneezing", "who won last night"]
SUPPORT_TEXTS = ["my parcel never came", "i want a refund", "i was charged twice", "my order is late",
                 "the item arrived broken", "i can't log in to my account", "cancel my order please",
                 "where is my package", "my card was declined", "return this product"]


def _lines(texts):
    return "\n".join(f"    - {text}" for text in texts)


def test_score_counts_each_kind_of_phrase():
    phrases = [Phrase("a", "export_data"), Phrase("b", "export_data"), Phrase("c", "greet"),
               Phrase("d", OUT_OF_SCOPE), Phrase("e", OUT_OF_SCOPE), Phrase("f", SUPPORT), Phrase("g", SUPPORT),
               Phrase("h", SUPPORT), Phrase("i", SUPPORT)]
    read = ["export_data", FALLBACK, "greet", "export_data", OUT_OF_SCOPE, SUPPORT, "request_human", "erase_data",
            FALLBACK]
    row = crossval.score(phrases, read, CHOSEN)
    assert (row.in_domain, row.off_topic_as_task, row.support_handed_over, row.support_as_task) == \
        (2 / 3, 1 / 2, 2 / 4, 1 / 4)  # a person takes support_request and request_human alike
    assert row.counts == (3, 2, 4)


def test_run_reads_every_phrase_out_of_fold_and_prints_a_row_per_choice(tmp_path, state_dir):
    from bot.config import Settings

    (tmp_path / "nlu.yml").write_text(YAML.format(greet=_lines(GREET), export=_lines(EXPORT), other=_lines(OTHER),
                                                  support=_lines(SUPPORT_TEXTS)), encoding="utf-8")
    said = []
    choices = [Choice(regularization=16.0, ngram_scale=0.5, thresholds=False), CHOSEN]
    settings = Settings.from_env({"BOT_STATE_DIR": str(state_dir)})
    rows = crossval.run(settings, choices, n_folds=3, say=said.append, data=[tmp_path])
    assert [row.choice for row in rows] == choices and len(said) == 4  # a line before and after each
    assert rows[0].counts == (len(GREET) + len(EXPORT), len(OTHER), len(SUPPORT_TEXTS))
    assert rows[0].in_domain >= 0.8  # distinct intents, unseen wordings: most are read right
    assert rows[0].support_handed_over >= 0.6
    table = crossval.table(rows)
    assert table.count("\n| MiniLM") == 2 and "(chosen)" in table and "no thresholds" in table


def test_the_cv_command_prints_the_table(monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    seen = {}

    def fake_run(settings, choices, n_folds, say):
        seen.update(choices=choices, n_folds=n_folds)
        return [crossval.CvRow(CHOSEN, 0.95, 0.02, 0.9, 0.01, (100, 50, 20))]

    monkeypatch.setattr(crossval, "run", fake_run)
    result = CliRunner().invoke(app, ["nlu", "cv", "--chosen-only", "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert seen == {"choices": [CHOSEN], "n_folds": 3}
    assert "| 95.0% | 2.0% | 90.0% | 1.0% |" in result.output and "(chosen)" in result.output
