"""Writing a protocol run to ``evaluation.json``, ``evaluation.md`` and four PNG plots.

Everything is written from the one result dict of :func:`bot.evaluation.runner.run_protocol`,
so the Markdown and the JSON always show the same run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.evaluation.runner import ENGINE_SEARCH, SUMMARY_KEYS, VARIANTS
from bot.evaluation.split import MIN_INTERACTIONS
from bot.hybrid import DIVERSITY_DEPTH, DIVERSITY_POOL

JSON_KEYS = (
    "protocol", "test_users", "full_history", "cold_start", "long_tail", "user_groups",
    "category_exposure", "sweep", "settings", "validation", "tuning", "seconds",
)
ENGINE = "engine"
HEADERS = {
    "hr@10": "HR@10",
    "ndcg@10": "NDCG@10",
    "coverage@10": "Coverage@10",
    "mean_pop_rank@10": "Mean pop. rank@10",
    "long_tail@10": "Long-tail@10",
    "ild@10": "ILD@10",
}
TITLES = {"full_history": "Full history", "cold_start": "Cold start (2 titles + 3 genres)"}
PLOTS = {
    "hr": "evaluation_hr.png", "ndcg": "evaluation_ndcg.png", "coverage": "evaluation_coverage.png",
    "sweep": "evaluation_sweep.png",
}
SWEEP_KEYS = ("ndcg@10", "coverage@10", "long_tail@10", "ild@10")  # the full-history panels of the sweep plot
TOP_CATEGORIES = 10
GROUP_KEYS = ("ndcg@10", "hr@10")


def json_payload(results: dict[str, Any]) -> dict[str, Any]:
    """Exactly the keys of ``evaluation.json``, in order."""
    return {key: results[key] for key in JSON_KEYS}


def metrics_table(
    rows: Mapping[str, Mapping[str, float]], columns: Mapping[str, str], first: str = "model",
    bold: bool = True,
) -> str:
    """A Markdown table: one row per entry of ``rows``, ``columns`` maps value keys to headers.

    With ``bold`` the highest value of each column is bold (when there are two rows or more).
    """
    best = {key: max((values[key] for values in rows.values()), default=None) for key in columns}
    lines = [f"| {first} | " + " | ".join(columns.values()) + " |", "|---|" + "---:|" * len(columns)]
    for name, values in rows.items():
        cells = []
        for key in columns:
            text = _number(key, values[key])
            cells.append(f"**{text}**" if bold and len(rows) > 1 and values[key] == best[key] else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def results_table(results: dict[str, Any], variant: str, bold: bool = True) -> str:
    """A Markdown table of one variant; the best value of each column in bold.

    Higher is better in every column: for the mean popularity rank and the long-tail share
    a higher value means longer-tail recommendations.
    """
    return metrics_table(results[variant], {key: HEADERS[key] for key in SUMMARY_KEYS}, bold=bold)


def _number(key: str, value: float) -> str:
    return f"{value:.1f}" if key == "mean_pop_rank@10" else f"{value:.4f}"


def best_baseline(models: Mapping[str, Mapping[str, Any]], key: str) -> str | None:
    """The model other than the engine with the highest ``key`` (first on ties), if any."""
    baselines = [name for name in models if name != ENGINE]
    return max(baselines, key=lambda name: models[name][key], default=None)


def engine_ratios(results: dict[str, Any]) -> list[tuple[str, str, float, str, float, float | None]]:
    """(variant, metric, engine value, best baseline, its value, engine / baseline) rows."""
    rows = []
    for variant in VARIANTS:
        models = results[variant]
        if ENGINE not in models:
            continue
        for key in SUMMARY_KEYS:
            name = best_baseline(models, key)
            if name is None:
                break
            value = models[name][key]
            ratio = models[ENGINE][key] / value if value else None
            rows.append((variant, key, models[ENGINE][key], name, value, ratio))
    return rows


def long_tail_text(results: dict[str, Any]) -> str:
    """The definition of the long tail, with the numbers of this run."""
    tail = results["long_tail"]
    catalog_tail = 1 - tail["head_items"] / tail["items"]
    return (
        f"The **short head** is the smallest set of most-interacted items that holds "
        f"{tail['head_share']:.0%} of the train interactions (items tied with the last one "
        f"included): here the {tail['head_items']:,} items with at least "
        f"{tail['head_min_interactions']} interactions, holding {tail['head_interaction_share']:.1%} "
        f"of them. Every other item is **long tail** ({catalog_tail:.1%} of the catalog, "
        f"{1 - tail['head_interaction_share']:.1%} of the interactions). Long-tail@10 is the share "
        "of all top-10 slots filled by long-tail items; together with the mean popularity rank "
        "it measures popularity bias."
    )


def exposure_table(results: dict[str, Any], variant: str = "full_history") -> str:
    """Top categories by train share: catalog, train and slot shares of the engine and best baseline."""
    exposure = results["category_exposure"]
    shown = [ENGINE] if ENGINE in results[variant] else []
    baseline = best_baseline(results[variant], "ndcg@10")
    shown += [baseline] if baseline else []
    categories = list(exposure["train"])[:TOP_CATEGORIES]
    rows = {
        category: {
            "catalog": exposure["catalog"][category], "train": exposure["train"][category],
            **{name: exposure[variant][name].get(category, 0.0) for name in shown},
        }
        for category in categories
    }
    columns = {"catalog": "catalog", "train": "train interactions", **{name: f"{name} slots" for name in shown}}
    return metrics_table(rows, columns, first="category", bold=False)


def group_sizes(results: dict[str, Any]) -> dict[str, int]:
    """Test users per group (every model and variant has the same groups)."""
    models = results["user_groups"]["full_history"]
    first = next(iter(models.values()), {})
    return {label: values["users"] for label, values in first.items()}


def group_table(results: dict[str, Any], variant: str) -> str:
    """NDCG@10 and HR@10 of every model per user group (train history length)."""
    groups = results["user_groups"][variant]
    labels = list(group_sizes(results))
    columns = {f"{label} {key}": f"{HEADERS[key]} {label}" for label in labels for key in GROUP_KEYS}
    rows = {
        name: {f"{label} {key}": values[label][key] for label in labels for key in GROUP_KEYS}
        for name, values in groups.items()
    }
    return metrics_table(rows, columns)


def group_ratio_text(results: dict[str, Any], variant: str) -> str:
    """One line: the engine's NDCG@10 over the best baseline's, per user group."""
    groups = results["user_groups"][variant]
    baseline = best_baseline(results[variant], "ndcg@10")
    if ENGINE not in groups or baseline is None:
        return ""
    parts = []
    for label, values in groups[ENGINE].items():
        value = groups[baseline][label]["ndcg@10"]
        parts.append(f"{label}: {values['ndcg@10'] / value:.2f}×" if value else f"{label}: —")
    return f"Engine NDCG@10 / {baseline} NDCG@10 per group — " + ", ".join(parts) + "."


def sweep_lines(rows: list[dict[str, Any]]) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """Each swept control's (weight, row) points: the rows that differ from the first row in it alone."""
    reference = rows[0]["params"] if rows else {}
    lines = {}
    for control in reference:
        points = [
            (row["params"][control], row) for row in rows
            if all(row["params"][other] == reference[other] for other in reference if other != control)
        ]
        if len(points) > 1:
            lines[control] = sorted(points, key=lambda point: point[0])
    return lines


def markdown(results: dict[str, Any], data_label: str | None = None,
             others: Mapping[str, dict[str, Any]] | None = None) -> str:
    """The whole ``evaluation.md`` text: one list of lines per section, joined in report order."""
    parts = intro_lines(results, data_label)
    for variant, title in TITLES.items():
        parts += [f"## {title}", "", results_table(results, variant), ""]
    parts += ratio_section(results)
    parts += fairness_sections(results)
    parts += plots_section()
    parts += settings_section(results)
    parts += tuning_section(results)
    parts += validation_section(results)
    parts += other_data_sets_section(others or {})
    return "\n".join(parts)


def intro_lines(results: dict[str, Any], data_label: str | None = None) -> list[str]:
    """The title, where the run came from, and how the protocol and the metrics are defined."""
    n = results["test_users"]
    return [
        "# Offline evaluation",
        "",
        "Written by `bot eval` from the same run as `evaluation.json` "
        f"(protocol `{results['protocol']}`, {n:,} test users, {results['seconds']:.0f} s"
        + (f", data: {data_label}" if data_label else "") + ").",
        "",
        "Protocol (`shared/README.md`): every user with at least 5 interactions is a test user; "
        "their last interaction by time is the test item and the second-to-last the validation "
        "item. Models are fitted on all other interactions, every setting of a model's grid (the "
        "engine's: a coordinate search, below) is scored by NDCG@10 on the validation items, and "
        "the best setting is refitted with the "
        "validation items back in and scored on the test items. Candidates are all items except "
        "the user's own history. The **cold-start** variant ranks the same test items but gives "
        "the model only the user's 2 highest-rated train items (ties: latest) and their 3 most "
        "frequent train categories (genres of a movie; type and grapes of a wine).",
        "",
        "HR@10 is the share of test users whose held-out item is in the top 10 (= Recall@10); "
        "NDCG@10 gives 1/log2(rank+1) for a hit. Ties in score count half a rank. Coverage@10 is "
        "the share of the catalog that appears in any top-10 list; the mean popularity rank is "
        "the average popularity rank (1 = most interacted in the fitted log) of all recommended "
        "items — higher means longer-tail recommendations. Long-tail@10 is the share of top-10 "
        "slots given to long-tail items (below). ILD@10 (intra-list diversity) is the mean "
        "pairwise Jaccard distance between the category sets of a top-10 list's items, averaged "
        "over users (0: all the same categories). Bold: the highest value of a column.",
        "",
    ]


def ratio_section(results: dict[str, Any]) -> list[str]:
    """The engine against the best baseline per metric; no lines when the engine did not run."""
    ratios = engine_ratios(results)
    if not ratios:
        return []
    parts = [
        "## Engine vs. the best baseline",
        "",
        "| variant | metric | engine | best baseline | baseline value | engine / baseline |",
        "|---|---|---:|---|---:|---:|",
    ]
    for variant, key, engine_value, name, value, ratio in ratios:
        shown = "—" if ratio is None else f"{ratio:.2f}×"
        parts.append(
            f"| {variant} | {HEADERS[key]} | {_number(key, engine_value)} | {name} | "
            f"{_number(key, value)} | {shown} |"
        )
    return [*parts, ""]


def plots_section() -> list[str]:
    """Links to the HR, NDCG and coverage plots (the sweep plot sits with the sweep)."""
    return [
        "## Plots",
        "",
        f"![HR@K for K = 1..50]({PLOTS['hr']})",
        "",
        f"![NDCG@K for K = 1..50]({PLOTS['ndcg']})",
        "",
        f"![Catalog coverage@10]({PLOTS['coverage']})",
        "",
    ]


def settings_section(results: dict[str, Any]) -> list[str]:
    """Each model's parameters as run, so a reader can reproduce the numbers."""
    parts = ["## Settings", "", "Each model ran with these parameters (chosen on the validation items):", ""]
    for name, params in results["settings"].items():
        text = ", ".join(f"{key}={value}" for key, value in params.items()) or "no parameters"
        parts.append(f"- **{name}**: {text}")
    return [*parts, ""]


def tuning_section(results: dict[str, Any]) -> list[str]:
    """The models tuned by coordinate search: where the search started, what it chose, and
    the validation objective of both (before / after)."""
    tuning = results.get("tuning") or {}
    if not tuning:
        return []
    parts = [
        "## Tuning on this data set",
        "",
        "The engine's weights and windows are searched on this data set's validation items "
        "(coordinate search from the shipped defaults, which were chosen on MovieTweetings: each "
        "parameter in turn tries its values with the others fixed, two passes). The objective "
        "blends validation NDCG@10 with full histories and with the questionnaire's view of the "
        "same validation users (2 titles + 3 categories), since one setting serves both; the test "
        "items are never looked at. The search is held to a coverage floor per variant: the "
        "validation coverage@10 of the baseline with the best validation NDCG@10. If its best "
        "setting falls below one, every combination of "
        f"{_coverage_axes_text(ENGINE_SEARCH.coverage_axes)} is tried from there (each also at its "
        "chosen value); of the settings within "
        f"{ENGINE_SEARCH.coverage_cost:.0%} of the best objective, those the search tried on its way included, "
        "the most accurate that meets the floors is chosen, else the one with the least shortfall, and from it "
        f"up to {ENGINE_SEARCH.rounds} more passes over every parameter step wherever the shortfall "
        f"shrinks within that {ENGINE_SEARCH.coverage_cost:.0%}. Still short, every combination of "
        f"{_coverage_axes_text(ENGINE_SEARCH.slot_axes)} (the last places of each ten filled from a "
        "ranking that weighs the trend less) is tried from there, and the same choice made within "
        f"{ENGINE_SEARCH.coverage_cost + ENGINE_SEARCH.slot_cost:.1%} of the best objective.",
        "",
        "| model | search | objective | start | chosen |",
        "|---|---|---|---:|---:|",
    ]
    for name, tuned in tuning.items():
        parts.append(f"| {name} | {tuned['method']} | {tuned['objective']} | "
                     f"{tuned['start_validation']:.4f} | {tuned['chosen_validation']:.4f} |")
    for name, tuned in tuning.items():
        changed = {key: value for key, value in tuned["chosen"].items() if tuned["start"].get(key) != value}
        text = ", ".join(f"{key}: {tuned['start'].get(key)} → {value}" for key, value in changed.items())
        parts += ["", f"Chosen for **{name}** (changed from the defaults): {text or 'nothing'}."]
        if floors := tuned.get("coverage_floors"):
            parts += ["", f"Validation coverage@10 floors of **{name}**: "
                      + ", ".join(f"{variant} {floor:.4f}" for variant, floor in floors.items()) + "."]
    return [*parts, ""]


def _coverage_axes_text(axes: Sequence[tuple[str, Sequence[Any]]]) -> str:
    """The coverage phase's grid in words: "novelty 2, 3 × trend 0.5, 1"."""
    return " × ".join(f"{name} {', '.join(f'{value:g}' for value in values)}" for name, values in axes)


def _setting_name(key: str, start: Mapping[str, Any] | None) -> str:
    """A setting as the parameters that differ from the search's start (all of them for a grid)."""
    if start is None:
        return key
    pairs = [pair.split("=", 1) for pair in key.split(", ")]
    changed = [f"{name}={value}" for name, value in pairs if str(start.get(name)) != value]
    return ", ".join(changed) or "start (defaults)"


def validation_section(results: dict[str, Any]) -> list[str]:
    """Every grid setting's validation NDCG@10; the chosen one (first of the best) in bold."""
    parts = ["## Validation grid", "", "NDCG@10 on the validation items (for a coordinate search: its objective, "
             "and the setting as what differs from its start); the chosen setting in bold.", ""]
    parts += ["| model | setting | validation NDCG@10 |", "|---|---|---:|"]
    for name, grid in results["validation"].items():
        chosen = max(grid.values()) if grid else None
        first = next((key for key, value in grid.items() if value == chosen), None)
        start = (results.get("tuning") or {}).get(name, {}).get("start")
        for key, value in grid.items():
            cell = f"**{value:.4f}**" if key == first else f"{value:.4f}"
            parts.append(f"| {name} | {_setting_name(key, start)} | {cell} |")
    return [*parts, ""]


def other_data_sets_section(others: Mapping[str, dict[str, Any]]) -> list[str]:
    """The main tables of the other data sets' runs (``evaluation-*/evaluation.json`` beside this
    report), each tuned on its own validation items, with a link to its whole report."""
    if not others:
        return []
    parts = ["## Other data sets", "",
             "The same protocol, models and search on every other data set with interactions, each "
             "tuned on its own validation items (written by `make eval`; the whole report of each is "
             "linked).", ""]
    for folder, results in others.items():
        parts += [f"### {results['protocol']} ({results['test_users']:,} test users)", "",
                  f"Whole report: [{folder}/evaluation.md]({folder}/evaluation.md).", ""]
        for variant, title in TITLES.items():
            parts += [f"#### {title}", "", results_table(results, variant), ""]
        ratios = [row for row in engine_ratios(results) if row[1] in ("hr@10", "ndcg@10", "coverage@10")]
        if ratios:
            parts += ["| variant | metric | engine | best baseline | baseline value | engine / baseline |",
                      "|---|---|---:|---|---:|---:|"]
            parts += [f"| {variant} | {HEADERS[key]} | {_number(key, mine)} | {name} | {_number(key, value)} | "
                      + ("—" if ratio is None else f"{ratio:.2f}×") + " |"
                      for variant, key, mine, name, value, ratio in ratios]
            parts.append("")
        if ENGINE in results["settings"]:
            text = ", ".join(f"{key}={value}" for key, value in results["settings"][ENGINE].items())
            parts += [f"Engine setting chosen on this data set's validation items: {text}.", ""]
    return parts


def fairness_sections(results: dict[str, Any]) -> list[str]:
    """The Markdown lines on popularity bias, category exposure, user groups and the sweep."""
    parts = ["## Popularity bias", "", long_tail_text(results), ""]
    if results["category_exposure"]["full_history"]:
        parts += [
            "## Category exposure",
            "",
            "Share of all top-10 slots (full history) whose movie has the genre, beside the "
            "genre's share of the catalog and of the train interactions, for the engine and the "
            "baseline with the best NDCG@10; the genres with the most train interactions. A movie "
            "with several genres counts for each, so a column adds up to more than 1. Every "
            "model's full list, in both variants, is in `evaluation.json`.",
            "",
            exposure_table(results),
            "",
        ]
    sizes = ", ".join(f"{label}: {users:,} users" for label, users in group_sizes(results).items())
    parts += [
        "## Quality per user group",
        "",
        "Test users grouped by the number of their train interactions (at least "
        f"{MIN_INTERACTIONS - 1} for every test user) — {sizes}. The cold-start variant keeps "
        "these groups, although it shows each user only 2 titles.",
        "",
    ]
    for variant, title in TITLES.items():
        parts += [f"### {title}", "", group_table(results, variant), "", group_ratio_text(results, variant), ""]
    if ENGINE in results["sweep"]:
        rows = results["sweep"][ENGINE]
        columns = {key: HEADERS[key] for key in SUMMARY_KEYS}
        parts += [
            "## Controls of the engine",
            "",
            "The engine's chosen setting with one control set to each value at a time, the others "
            "as chosen, on the test items (shown here, never used to choose a setting). `diversity` "
            f"is the weight of maximal marginal relevance, which reorders the best {DIVERSITY_POOL} "
            f"items so the top {DIVERSITY_DEPTH} are less alike in embedding space; `novelty` "
            "subtracts its weight times the item's log popularity before the user's moment (scaled "
            "to at most 1) times how far from the mainstream the user's own likes are (1 - their "
            "mean popularity), which lifts long-tail items for users who choose them; it is "
            "searched with the weights. `segment` is the prior for new users: users are clustered on "
            "their taste (as by `bot segments build`), a user's segment is the one nearest their "
            "titles and stated genres, and the weight times what that segment's users liked before "
            "the user's moment (log counts, scaled to at most 1) is added, fading as the user's own "
            "history grows (times 2 / (2 + history length)).",
            "",
            "### Full history",
            "",
            metrics_table({row["setting"]: row for row in rows}, columns, first="setting"),
            "",
            "### Cold start (2 titles + 3 genres)",
            "",
            metrics_table({row["setting"]: row["cold_start"] for row in rows}, columns, first="setting"),
            "",
            f"![Sweep of the controls]({PLOTS['sweep']})",
            "",
        ]
    return parts


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, imported late (only plots need it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """The HR@K and NDCG@K curves (one line per model, both variants) and a coverage bar chart."""
    plt = pyplot()

    written = []
    curves = results.get("curves", {})
    for metric, label in (("hr", "HR@K"), ("ndcg", "NDCG@K")):
        figure, axes = plt.subplots(1, len(TITLES), figsize=(12, 4.5), sharey=True)
        for axis, (variant, title) in zip(axes, TITLES.items()):
            for name, values in curves.get(variant, {}).items():
                ks = range(1, len(values[metric]) + 1)
                axis.plot(ks, values[metric], label=name, linewidth=2.2 if name == ENGINE else 1.4)
            axis.set_title(title)
            axis.set_xlabel("K")
            axis.grid(alpha=0.3)
        axes[0].set_ylabel(label)
        axes[-1].legend(loc="lower right", fontsize="small")
        figure.suptitle(f"{label} over {results['test_users']:,} test users")
        figure.tight_layout()
        path = out_dir / PLOTS[metric]
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    names = list(results["full_history"])
    figure, axis = plt.subplots(figsize=(max(6, 1.2 * len(names) + 2), 4.5))
    width = 0.38
    for offset, (variant, title) in zip((-width / 2, width / 2), TITLES.items()):
        values = [results[variant].get(name, {}).get("coverage@10", 0.0) for name in names]
        bars = axis.bar([i + offset for i in range(len(names))], values, width, label=title)
        axis.bar_label(bars, fmt="%.3f", fontsize="x-small")
    axis.set_xticks(range(len(names)), names, rotation=20)
    axis.set_ylabel("share of catalog in any top-10 list")
    axis.set_title("Catalog coverage@10")
    axis.legend(fontsize="small")
    figure.tight_layout()
    path = out_dir / PLOTS["coverage"]
    figure.savefig(path, dpi=110)
    plt.close(figure)
    written.append(path)
    if ENGINE in results["sweep"]:
        written.append(plot_sweep(results["sweep"][ENGINE], out_dir / PLOTS["sweep"]))
    return written


def plot_sweep(rows: list[dict[str, Any]], path: Path) -> Path:
    """One panel per metric of ``SWEEP_KEYS`` (full history) and the cold-start NDCG@10 against
    the control's weight, a line per control."""
    plt = pyplot()

    panels = [(HEADERS[key], lambda row, key=key: row[key]) for key in SWEEP_KEYS]
    panels.append((f"{HEADERS['ndcg@10']}, cold start", lambda row: row["cold_start"]["ndcg@10"]))
    figure, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.6))
    for axis, (title, value) in zip(axes, panels):
        for control, points in sweep_lines(rows).items():
            axis.plot([weight for weight, _ in points], [value(row) for _, row in points], marker="o", label=control)
        axis.set_title(title)
        axis.set_xlabel("control weight")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    figure.suptitle("Engine: controls that are off by default, test items")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_report(results: dict[str, Any], out_dir: str | Path, data_label: str | None = None) -> list[Path]:
    """Write ``evaluation.json``, ``evaluation.md`` and the plots into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "evaluation.json"
    json_path.write_text(json.dumps(json_payload(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plots = plot(results, out_dir)
    md_path = out_dir / "evaluation.md"
    others = {path.parent.name: json.loads(path.read_text(encoding="utf-8"))
              for path in sorted(out_dir.glob("evaluation-*/evaluation.json"))}
    md_path.write_text(markdown(results, data_label, others), encoding="utf-8")
    return [json_path, md_path, *plots]
