"""Writing a protocol run to ``evaluation.json``, ``evaluation.md`` and three PNG plots.

Everything is written from the one result dict of :func:`bot.evaluation.runner.run_protocol`,
so the Markdown and the JSON always show the same run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.evaluation.runner import SUMMARY_KEYS, VARIANTS

JSON_KEYS = ("protocol", "test_users", "full_history", "cold_start", "settings", "validation", "seconds")
ENGINE = "engine"
HEADERS = {
    "hr@10": "HR@10",
    "ndcg@10": "NDCG@10",
    "coverage@10": "Coverage@10",
    "mean_pop_rank@10": "Mean pop. rank@10",
}
TITLES = {"full_history": "Full history", "cold_start": "Cold start (2 titles + 3 genres)"}
PLOTS = {"hr": "evaluation_hr.png", "ndcg": "evaluation_ndcg.png", "coverage": "evaluation_coverage.png"}


def json_payload(results: dict[str, Any]) -> dict[str, Any]:
    """Exactly the keys of ``evaluation.json``, in order."""
    return {key: results[key] for key in JSON_KEYS}


def results_table(results: dict[str, Any], variant: str, bold: bool = True) -> str:
    """A Markdown table of one variant; the best value of each column in bold.

    Higher is better in every column: for the mean popularity rank a higher value means
    longer-tail recommendations.
    """
    rows = results[variant]
    best = {key: max((values[key] for values in rows.values()), default=None) for key in SUMMARY_KEYS}
    lines = [
        "| model | " + " | ".join(HEADERS[key] for key in SUMMARY_KEYS) + " |",
        "|---|" + "---:|" * len(SUMMARY_KEYS),
    ]
    for name, values in rows.items():
        cells = []
        for key in SUMMARY_KEYS:
            text = _number(key, values[key])
            cells.append(f"**{text}**" if bold and len(rows) > 1 and values[key] == best[key] else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(key: str, value: float) -> str:
    return f"{value:.1f}" if key == "mean_pop_rank@10" else f"{value:.4f}"


def engine_ratios(results: dict[str, Any]) -> list[tuple[str, str, float, str, float, float | None]]:
    """(variant, metric, engine value, best baseline, its value, engine / baseline) rows."""
    rows = []
    for variant in VARIANTS:
        models = results[variant]
        if ENGINE not in models:
            continue
        baselines = {name: values for name, values in models.items() if name != ENGINE}
        if not baselines:
            continue
        for key in SUMMARY_KEYS:
            name = max(baselines, key=lambda n: baselines[n][key])
            value = baselines[name][key]
            ratio = models[ENGINE][key] / value if value else None
            rows.append((variant, key, models[ENGINE][key], name, value, ratio))
    return rows


def markdown(results: dict[str, Any], data_label: str | None = None) -> str:
    """The whole ``evaluation.md`` text."""
    n = results["test_users"]
    parts = [
        "# Offline evaluation",
        "",
        "Written by `bot eval` from the same run as `evaluation.json` "
        f"(protocol `{results['protocol']}`, {n:,} test users, {results['seconds']:.0f} s"
        + (f", data: {data_label}" if data_label else "") + ").",
        "",
        "Protocol (`shared/README.md`): every user with at least 5 interactions is a test user; "
        "their last interaction by time is the test item and the second-to-last the validation "
        "item. Models are fitted on all other interactions, every setting of a model's grid is "
        "scored by NDCG@10 on the validation items, and the best setting is refitted with the "
        "validation items back in and scored on the test items. Candidates are all items except "
        "the user's own history. The **cold-start** variant ranks the same test items but gives "
        "the model only the user's 2 highest-rated train movies (ties: latest) and their 3 most "
        "frequent train genres.",
        "",
        "HR@10 is the share of test users whose held-out item is in the top 10 (= Recall@10); "
        "NDCG@10 gives 1/log2(rank+1) for a hit. Ties in score count half a rank. Coverage@10 is "
        "the share of the catalog that appears in any top-10 list; the mean popularity rank is "
        "the average popularity rank (1 = most interacted in the fitted log) of all recommended "
        "items — higher means longer-tail recommendations. Bold: the highest value of a column.",
        "",
    ]
    for variant, title in TITLES.items():
        parts += [f"## {title}", "", results_table(results, variant), ""]
    ratios = engine_ratios(results)
    if ratios:
        parts += [
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
        parts.append("")
    parts += [
        "## Plots",
        "",
        f"![HR@K for K = 1..50]({PLOTS['hr']})",
        "",
        f"![NDCG@K for K = 1..50]({PLOTS['ndcg']})",
        "",
        f"![Catalog coverage@10]({PLOTS['coverage']})",
        "",
        "## Settings",
        "",
        "Each model ran with these parameters (chosen on the validation items):",
        "",
    ]
    for name, params in results["settings"].items():
        text = ", ".join(f"{key}={value}" for key, value in params.items()) or "no parameters"
        parts.append(f"- **{name}**: {text}")
    parts += ["", "## Validation grid", "", "NDCG@10 on the validation items; the chosen setting in bold.", ""]
    parts += ["| model | setting | validation NDCG@10 |", "|---|---|---:|"]
    for name, grid in results["validation"].items():
        chosen = max(grid.values()) if grid else None
        first = next((key for key, value in grid.items() if value == chosen), None)
        for key, value in grid.items():
            cell = f"**{value:.4f}**" if key == first else f"{value:.4f}"
            parts.append(f"| {name} | {key} | {cell} |")
    parts.append("")
    return "\n".join(parts)


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """The HR@K and NDCG@K curves (one line per model, both variants) and a coverage bar chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    return written


def write_report(results: dict[str, Any], out_dir: str | Path, data_label: str | None = None) -> list[Path]:
    """Write ``evaluation.json``, ``evaluation.md`` and the plots into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "evaluation.json"
    json_path.write_text(json.dumps(json_payload(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plots = plot(results, out_dir)
    md_path = out_dir / "evaluation.md"
    md_path.write_text(markdown(results, data_label), encoding="utf-8")
    return [json_path, md_path, *plots]
