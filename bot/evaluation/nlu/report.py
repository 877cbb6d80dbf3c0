"""``nlu.md`` and ``nlu.json`` from one run's results: the JSON for comparing runs, the Markdown
for people, opening with the numbers issue 19 set targets for and saying how each was measured."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.evaluation.nlu.intents import ENTITY_MIN_SIMILARITY, FALLBACK_INTENT, TASK_INTENTS
from bot.evaluation.nlu.requests import K


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _rate_text(measured: Mapping[str, Any]) -> str:
    if measured["rate"] is None:
        return "–"
    return f"{_percent(measured['rate'])} ({_percent(measured['low'])}–{_percent(measured['high'])}; " \
           f"{measured['count']}/{measured['n']})"


def headline(results: Mapping[str, Any]) -> list[dict[str, str]]:
    """The numbers issue 19 sets targets for, those that were measured."""
    rows = []
    if "in_domain" in results:
        rows.append({"what": "in-domain intent accuracy", "value": _rate_text(results["in_domain"]["accuracy"]),
                     "target": "≥ 95%"})
    if "off_topic" in results:
        rows.append({"what": "off-topic false accepts (a task intent)",
                     "value": _rate_text(results["off_topic"]["all"]["false_accept"]), "target": "≤ 5%"})
    if "support" in results:
        rows += [{"what": "support messages handed over",
                  "value": _rate_text(results["support"]["all"]["handed_over"]), "target": "≥ 85%"},
                 {"what": "support messages misread as a task",
                  "value": _rate_text(results["support"]["all"]["misread"]), "target": "≤ 3%"}]
    for name, measured in results.get("requests", {}).items():
        every = measured["all"]
        rows += [{"what": f"{name}: several-title requests fully resolved",
                  "value": _rate_text(every["several_titles_resolved"]), "target": "≥ 95%"},
                 {"what": f"{name}: Recall@{K} of the expected items ({every['recall_cases']} cases)",
                  "value": _number(every[f"recall@{K}"]), "target": "5× the baseline (issue 19)"}]
    return rows


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], text_columns: Sequence[int] = (0,)) -> list[str]:
    """A Markdown table; numbers right-aligned, the ``text_columns`` left."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i in text_columns else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines + [""]


def _label_rows(grouped: Mapping[str, Any], measures: Sequence[str], first: str) -> list[str]:
    header = [first, "n", *(name.replace("_", " ") for name in measures)]
    rows = [[label, values["n"], *(_rate_text(values[m]) for m in measures)]
            for label, values in grouped["per_label"].items()]
    for subset in ("tricky", "not_tricky", "all"):
        if grouped[subset]["n"]:
            rows.append([f"**{subset.replace('_', ' ')}**", grouped[subset]["n"],
                         *(_rate_text(grouped[subset][m]) for m in measures)])
    return _table(header, rows)


def _distribution_line(predicted: Mapping[str, int]) -> str:
    total = sum(predicted.values()) or 1
    return ", ".join(f"{intent} {count} ({100 * count / total:.1f}%)" for intent, count in predicted.items())


def _confusion(matrix: Mapping[str, Any]) -> list[str]:
    columns = matrix["columns"]
    number = {column: i for i, column in enumerate(columns, 1)}
    header = ["expected \\ predicted", *(str(number[c]) for c in columns)]
    rows = [[f"{number[label]} {label}", *(count or "" for count in counts)]
            for label, counts in zip(matrix["rows"], matrix["counts"])]
    legend = ", ".join(f"{number[c]} {c}" for c in columns if c not in matrix["rows"])
    return _table(header, rows) + ([f"Columns that are no expected intent: {legend}.", ""] if legend else [])


def _request_table(groups: Mapping[str, Mapping[str, Any]], first: str) -> list[str]:
    header = [first, "n", "titles P", "titles R", "several titles resolved", "categories P", "categories R",
              "period", "period where none", "avoided found", "avoided read as wanted", "avoided share of picks",
              f"Recall@{K}"]
    rows = [[name, g["n"], _number(g["titles"]["precision"]), _number(g["titles"]["recall"]),
             _rate_text(g["several_titles_resolved"]), _number(g["categories"]["precision"]),
             _number(g["categories"]["recall"]), _rate_text(g["period"]), _rate_text(g["period_false"]),
             _rate_text(g["avoided_found"]) if "avoided_found" in g else "–",
             _rate_text(g["avoided_read_as_wanted"]), _number(g["avoided_share_of_picks"]),
             f"{_number(g[f'recall@{K}'])} ({g['recall_cases']})"]
            for name, g in groups.items()]
    return _table(header, rows)


def _compared(results: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> list[list[str]]:
    """The headline rows with DIET's reading alone (this run) and the baseline run beside them."""
    diet = {row["what"]: row["value"] for row in headline(results.get("diet_alone", {}))}
    before = {row["what"]: row["value"] for row in headline(baseline or {})}
    return [[r["what"], r["value"], diet.get(r["what"], "–"), before.get(r["what"], "–"), r["target"]]
            for r in headline(results)]


def markdown(results: Mapping[str, Any], baseline: Mapping[str, Any] | None = None) -> str:
    """``nlu.md``: how the sets were measured, the headline against the targets (beside DIET alone
    and the ``baseline`` run), then each set."""
    sets = results["sets"]
    counts = ", ".join(f"{name} {count}" for name, count in sets["counts"].items())
    model = f"Rasa model `{results['rasa_model']}`" if results.get("rasa_model") else "a given parser (no Rasa)"
    parts = [
        "# How the bot understands what people write (NLU evaluation)",
        "",
        f"Written by `bot nlu-eval` (`make nlu-eval`) on {results['date']} from the same run as "
        f"[nlu.json](nlu.json), which took {results['seconds']:.0f} s; {model}; sets in `{sets['directory']}` "
        f"({counts}). **Machine**: {results['machine']}.",
        "",
        "The sets were written before any tuning and are never trained on: messages as people type them "
        "(varied wording and length, typos, slang, several sentences). `in_domain` are requests to the bot "
        "labelled with the intent they should get; `off_topic` everyday questions from many domains the bot "
        "has nothing to do with; `support` customers' messages about payments, refunds, deliveries and "
        "accounts, which should reach a person; the `requests_*` sets are recommendation requests on the demo "
        "movie catalog, on goodbooks-10k and on MovieTweetings' movies with the titles, categories, period and "
        "items a good answer has. "
        "*Tricky* examples are built to look like another class (an off-topic question using movie words, a "
        "support message that names a bot feature). Intervals are 95% Wilson intervals.",
        "",
    ]
    if sets["missing"]:
        parts += [f"Not measured, the set files were not found: {', '.join(sets['missing'])}.", ""]
    reader = ("the engine's intent model (MiniLM), which the Rasa server asks before its own pipeline"
              if results.get("intent_model") else "DIET alone (no intent model trained)")
    when = f"the run of {baseline['date']}, [nlu-baseline.json](nlu-baseline.json)" if baseline else "none"
    parts += ["## Against the targets of issue 19", "",
              f"Intents read by {reader}. *DIET alone*: the same Rasa model's reading without it, in this run. "
              f"*Baseline*: the bot before issue 19's work ({when}).", "",
              *_table(["what", "value", "DIET alone", "baseline", "target"], _compared(results, baseline),
                      text_columns=(0, 4))]
    if results.get("parse_ms"):
        who, loading = ("Rasa parsed", ", loading the model included") if results.get("rasa_model") else ("The parser read", "")
        parts += [f"{who} {sum(v for k, v in sets['counts'].items() if not k.startswith('requests'))} messages "
                  f"in {results['parse_seconds']:.0f} s{loading}; a parse took "
                  f"{results['parse_ms']['median']} ms (median), {results['parse_ms']['p90']} ms (p90).", ""]
    timed = [f"{name}: engine built in {m['seconds']['engine_built']:.0f} s, {m['all']['n']} requests handled in "
             f"{m['seconds']['requests']:.0f} s" for name, m in results.get("requests", {}).items() if "seconds" in m]
    if timed:
        parts += ["Engine times (building it embeds the catalog when the embedding cache lacks it): "
                  + "; ".join(timed) + ".", ""]
    parts += _in_domain_part(results) + _off_topic_part(results) + _support_part(results) + _requests_part(results)
    return "\n".join(parts)


def _in_domain_part(results: Mapping[str, Any]) -> list[str]:
    if "in_domain" not in results:
        return []
    measured = results["in_domain"]
    rows = [[intent, v["n"], _number(v["recall"]), _number(v["precision"]),
             ", ".join(f"{k} {c}" for k, c in v["confused_with"].items())] for intent, v in measured["per_intent"].items()]
    entities = measured["entities"]
    return [
        "## In-domain intents", "",
        f"Accuracy: the share of messages whose intent after the pipeline's FallbackClassifier is the expected "
        f"one; `{FALLBACK_INTENT}` (below the confidence threshold) counts as wrong. Accuracy "
        f"{_rate_text(measured['accuracy'])}; {FALLBACK_INTENT} {_rate_text(measured['fallback'])}. Recall of an "
        "intent: its messages read as it; precision: the messages read as it that were it.", "",
        *_table(["intent", "n", "recall", "precision", "most often read as instead"], rows, text_columns=(0, 4)),
        "Confusion matrix (rows: expected intent, columns: predicted; the column numbers are the rows' numbers).", "",
        *_confusion(measured["confusion"]),
        f"Titles and categories read in the messages ({_entities_reader(results)}): of the titles the examples name, "
        f"{_rate_text(entities['title'])} are read; of the categories, {_rate_text(entities['category'])} (compared "
        f"without case and punctuation, fuzzy ratio ≥ {ENTITY_MIN_SIMILARITY:g}).", "",
    ]


def _entities_reader(results: Mapping[str, Any]) -> str:
    return ("the engine's reading on the demo catalog, as the actions read them" if results.get("intent_model")
            else "DIET's `title` and `category` entities")


def _off_topic_part(results: Mapping[str, Any]) -> list[str]:
    if "off_topic" not in results:
        return []
    measured = results["off_topic"]
    return [
        "## Off-topic messages", "",
        "A **false accept** is an off-topic message read as a task intent (" + ", ".join(sorted(TASK_INTENTS)) +
        "): the bot would act on it, e.g. answer with recommendations. **Declined**: read as out_of_scope or "
        f"{FALLBACK_INTENT}, what an honest \"I can't help with that\" needs. Other intents (greet, help, "
        "support_request, ...) are neither.", "",
        *_label_rows(measured, ["false_accept", "declined"], "domain"),
        "Intents the off-topic messages got: " + _distribution_line(measured["predicted"]) + ".", "",
    ]


def _support_part(results: Mapping[str, Any]) -> list[str]:
    if "support" not in results:
        return []
    measured = results["support"]
    return [
        "## Support messages", "",
        "**Handed over**: read as support_request or request_human, which reach a person. **Misread**: read as a "
        "task intent, which the bot would act on (a data erasure, recommendations, ...).", "",
        *_label_rows(measured, ["handed_over", "misread"], "topic"),
        "Intents the support messages got: " + _distribution_line(measured["predicted"]) + ".", "",
    ]


def _requests_part(results: Mapping[str, Any]) -> list[str]:
    if "requests" not in results:
        return []
    requests = results["requests"]
    parts = [
        "## Requests through the engine", "",
        "Each request goes to the engine (no Rasa), built on the set's catalog in a scratch folder, as "
        "`action_recommend` uses it: `Engine.read_wish(text)` reads the titles it surely names, the categories "
        "wanted and avoided, the topic words and the period, and `Engine.recommend(wish=...)` ranks for it. "
        "Title and category **precision** and **recall** are counted over all cases "
        "together (a title found in a request that names none lowers the precision). **Several titles "
        "resolved**: of the requests naming two titles or more, the share where all were found. **Period**: of "
        "the requests with a period, the share where the year range read is exactly the expected one; **period "
        "where none**: requests without one where a period was read. **Avoided found**: requests saying "
        "categories are not wanted where all were read as avoided. **Avoided read as wanted**: requests "
        "saying a category is not wanted where that category was read as the one asked for; **avoided share "
        "of picks**: of their top 10, the share in an avoided category. "
        f"**Recall@{K}**: a new user who consented asks; the top {K} are ranked for the wish, with the period "
        "and price the catalog has data for; recall = |top 10 ∩ "
        f"expected| / min({K}, |expected|), averaged over the cases with expected items (their number in "
        "brackets).", "",
        *_request_table({f"{name} ({m['catalog']})": m["all"] for name, m in requests.items()}, "set"),
    ]
    for name, measured in requests.items():
        parts += [f"### {name}: per kind of request", "", *_request_table(measured["per_kind"], "kind")]
    return parts


def write_report(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``nlu.json`` and ``nlu.md`` into ``out_dir``, compared with ``nlu-baseline.json`` there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "nlu.json", out_dir / "nlu.md"
    baseline_path = out_dir / "nlu-baseline.json"
    baseline = json.loads(baseline_path.read_text(encoding="utf-8")) if baseline_path.exists() else None
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results, baseline), encoding="utf-8")
    return [json_path, md_path]
