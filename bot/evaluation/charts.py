"""An experiment report as a PNG chart (`bot experiments report --chart`, `bot experiments
simulate --out`): matplotlib is the evaluation's dependency, not the running engine's, so the
chart stays here while the statistics live in bot/statistics.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.evaluation.report import pyplot
from bot.statistics import Report


def write_chart(report: Report, path: Path) -> Path:
    """Each variant's rate of every outcome with its 95% interval, as a PNG."""
    plt = pyplot()
    outcomes = list(report.variants[0].rates)
    width = 0.8 / len(report.variants)
    figure, axis = plt.subplots(figsize=(2 + 1.6 * len(outcomes), 4.2))
    for k, variant in enumerate(report.variants):
        rates = [variant.rates[o] for o in outcomes]
        positions = np.arange(len(outcomes)) + (k - (len(report.variants) - 1) / 2) * width
        axis.bar(positions, [r.value for r in rates], width,
                 yerr=[[r.value - r.low for r in rates], [r.high - r.value for r in rates]],
                 capsize=3, label=f"{variant.name} ({variant.users} users)")
    axis.set_xticks(np.arange(len(outcomes)), outcomes)
    axis.set_ylabel("items acted on / items shown")
    axis.set_title(f"{report.experiment}: rates with 95% intervals")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
