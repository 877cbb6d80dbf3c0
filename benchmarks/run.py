"""`make bench`: every benchmark, one after the other so that none disturbs another, and
docs/benchmarks.json and docs/benchmarks.md written from that one run.

A part that fails is reported as failed in both files, with its error, and the others still
run; the exit status is then 1. `--only PART ...` runs some parts into another folder
(`--out`), never over the committed docs, which always come from a whole run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bot.config import PROJECT_ROOT


@dataclass(frozen=True)
class Part:
    name: str
    module: str  # in benchmarks/
    function: str
    keys: tuple[str, ...]  # what it adds to benchmarks.json

    def run(self) -> dict[str, object]:
        result = getattr(importlib.import_module(self.module), self.function)()
        # Parts that fill one key return its content; the others return their keys.
        return {self.keys[0]: result} if len(self.keys) == 1 else {key: result[key] for key in self.keys}


PARTS = (
    Part("catalog", "bench_catalog", "main", ("embed", "import", "catalog")),
    Part("recommend", "bench_recommend", "run", ("recommend",)),
    Part("turn", "bench_turn", "run", ("turn",)),
    Part("ingest", "bench_ingest", "run", ("ingest",)),
    Part("history", "bench_history", "run", ("history",)),
    Part("load", "bench_load", "run", ("load", "memory_mb")),
)


@dataclass(frozen=True)
class Target:
    """A number the bot promises on this 2-core machine: at most ``limit`` (at least, for a rate)."""

    limit: float
    text: str  # how the report states it
    at_least: bool = False

    def check(self, results: dict, path: tuple[str, ...]) -> tuple[float | None, bool | None]:
        """The measured value and whether it meets the target (None: not measured)."""
        value: object = results
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None, None
            value = value[key]
        if not isinstance(value, int | float):
            return None, None
        return value, value >= self.limit if self.at_least else value <= self.limit


TARGETS = {
    ("recommend", "100000", "p99_ms"): Target(10, "≤ 10 ms"),
    ("recommend", "1000000", "p99_ms"): Target(25, "≤ 25 ms"),
    ("turn", "ratio_median"): Target(1.3, "≤ 1.3× plain"),
    ("load", "100", "error_rate"): Target(0, "0 errors"),
    ("ingest", "postgresql", "p99_ms"): Target(10, "≤ 10 ms"),
    ("history", "sqlite", "rows_per_s"): Target(50_000, "≥ 50,000 rows/s", at_least=True),
    ("history", "postgresql", "rows_per_s"): Target(50_000, "≥ 50,000 rows/s", at_least=True),
    ("history", "train", "train_seconds"): Target(120, "≤ 120 s"),
}


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "memory_gb": round(int((_proc_field("/proc/meminfo", "MemTotal") or "0 kB").split()[0]) / 1024**2, 1),
        "load_average_at_start": round(os.getloadavg()[0], 2),  # other work on the machine skews timings
        "python_engine": platform.python_version(),
        "python_rasa": _version([str(PROJECT_ROOT / ".venv-rasa/bin/python"), "--version"]),
        "locust": _version([str(PROJECT_ROOT / ".venv-bench/bin/locust"), "--version"]),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _proc_field(path: str, name: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:  # not Linux
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.split(":", 1)[0].strip() == name), None)


def _version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    # "Python 3.10.13"; "locust 2.47.0 from /path (Python 3.11.7)": the name and the version
    return " ".join((done.stdout or done.stderr).split()[:2]) if done.returncode == 0 else None


def run_parts(parts: list[Part], log: Callable[[str], None]) -> dict[str, object]:
    """Each part in turn; a failure is recorded under its keys and in ``parts``."""
    results: dict[str, object] = {"machine": machine(), "parts": {}}
    started = time.perf_counter()
    for part in parts:
        log(f"== {part.name}")
        load_average = round(os.getloadavg()[0], 2)  # what else ran: the parts before it, other work
        begun = time.perf_counter()
        try:
            results.update(part.run())
            status: dict[str, object] = {"ok": True}
        except (Exception, SystemExit) as error:  # reported, and the next part runs
            traceback.print_exc()
            message = f"{type(error).__name__}: {error}".strip()[:2000]
            results.update({key: {"failed": True, "error": message} for key in part.keys})
            status = {"ok": False, "error": message}
        status.update(seconds=round(time.perf_counter() - begun, 1), load_average_at_start=load_average)
        results["parts"][part.name] = status
        log(f"   {'done' if status['ok'] else 'FAILED'} in {status['seconds']:.0f} s")
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


# --- the report ---------------------------------------------------------------------------

def report(results: dict) -> str:
    m = results["machine"]
    minutes = results["total_seconds"] / 60
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`benchmarks/run.py`) from one run on {m['date']}, which took "
        f"{minutes:.0f} minutes; every part ran alone, one after the other. Times are medians (p50) "
        "and 99th percentiles (p99) of many requests. The same numbers, and more, are in "
        "[benchmarks.json](benchmarks.json).",
        "",
        f"**Machine**: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB of memory, {m['platform']}; "
        f"engine on Python {m['python_engine']}, Rasa on {m['python_rasa']}, load from {m['locust']}. "
        f"Load average when the run started: {m['load_average_at_start']} (other work on the machine "
        "slows every number here).",
        "",
    ]
    failed = {name: s for name, s in results["parts"].items() if not s["ok"]}
    if failed:
        lines += ["**Failed parts** (their numbers are missing below):", ""]
        lines += [f"- `{name}`: {_cell(status['error'])}" for name, status in failed.items()]
        lines.append("")
    lines += ["## Against the targets", "", "| what | result | target | met | bounded by |",
              "|---|---:|---|---|---|"]
    lines += _rendered(lambda: [_target_row(results, path, what, unit, bound)
                                for path, what, unit, bound in _target_rows(results)])
    for key, title, body in PART_SECTIONS:
        lines += ["", *_rendered(partial(_part_section, results, key, title, body))]
    lines += ["", *_rendered(lambda: _parts(results))]
    return "\n".join(lines) + "\n"


def _rendered(section: Callable[[], list[str]]) -> list[str]:
    """A section, or what kept it from being written: a run's report must never be lost to it."""
    try:
        return section()
    except (KeyError, TypeError, ValueError) as error:
        traceback.print_exc()
        return [f"(This section could not be written from benchmarks.json: {type(error).__name__}: {error}.)"]


def _target_rows(results: dict) -> list[tuple[tuple[str, ...], str, str, str]]:
    return [
        (("recommend", "100000", "p99_ms"), "recommendation p99, 100k items", "ms",
         _recommend_bound(results, "100000")),
        (("recommend", "1000000", "p99_ms"), "recommendation p99, 1M items", "ms",
         _recommend_bound(results, "1000000")),
        (("turn", "ratio_median"), "personalized turn ÷ plain turn (medians)", "×", _turn_bound(results)),
        (("load", "100", "error_rate"), "error rate, 100 concurrent users", "", _load_bound(results, "100")),
        (("ingest", "postgresql", "p99_ms"), "event ingest p99, PostgreSQL", "ms",
         _ingest_bound(results, "postgresql")),
        (("history", "sqlite", "rows_per_s"), "history import, SQLite", "rows/s", ""),
        (("history", "postgresql", "rows_per_s"), "history import, PostgreSQL", "rows/s", ""),
        (("history", "train", "train_seconds"), "train-recs on 1M imported events", "s", ""),
    ]


def _target_row(results: dict, path: tuple[str, ...], what: str, unit: str, bound: str) -> str:
    target = TARGETS[path]
    value, met = target.check(results, path)
    if value is None:
        return f"| {what} | failed | {target.text} | not measured | |"
    shown = f"{value:.2%}" if path[-1] == "error_rate" else f"{value:g}{unit}" if unit == "×" else f"{value:g} {unit}"
    return f"| {what} | {shown} | {target.text} | {'**met**' if met else '**not met**'} | {bound} |"


def _met(results: dict, *path: str) -> str:
    target = TARGETS.get(path)
    if target is None:
        return "no target"
    _, met = target.check(results, path)
    return f"{target.text}: {'met' if met else 'not met'}"


def _part_section(results: dict, key: str, title: str, body: Callable[[dict, dict], list[str]]) -> list[str]:
    """``## title`` over ``body(results, results[key])``, or the part's error instead: a part that
    failed or did not run has no numbers to show."""
    part = results.get(key)
    if isinstance(part, dict) and not part.get("failed"):
        return [f"## {title}", "", *body(results, part)]
    error = part.get("error", "not run") if isinstance(part, dict) else "not run"
    return [f"## {title}", "", f"Failed: {_cell(error)}"]


def _recommend(results: dict, recommend: dict) -> list[str]:
    lines = ["`benchmarks/bench_recommend.py`: `Engine.recommend` as a chat or site request runs it (consent and "
             "profile read from SQLite, the taste vector, the FAISS search, filters, the trained hybrid model, MMR "
             "diversity, reasons, impressions written back), for a mix of requests (70% \"recommend me something\", "
             "15% a category, 10% more like this, 5% users without consent). recall@10: the share of the exact top 10 "
             "that the index returns for the same taste vectors."
             + (f" Vectors: {recommend['vectors']}." if "vectors" in recommend else ""),
             "", "| catalog size | index | p50 | p99 | recall@10 | target | bounded by |",
             "|---:|---|---:|---:|---:|---|---|"]
    for size, row in recommend.items():
        if isinstance(row, dict) and "p99_ms" in row:
            lines.append(f"| {int(size):,} | {row.get('index', '')} | {row['p50_ms']:g} ms | {row['p99_ms']:g} ms | "
                         f"{row['recall@10']:.3f} | {_met(results, 'recommend', size, 'p99_ms')} | "
                         f"{_recommend_bound(results, size)} |")
    return lines


def _recommend_bound(results: dict, size: str) -> str:
    """The index's search against an exact scan of the same catalog, and where a request's
    time goes."""
    row = results.get("recommend", {}).get(size)
    if not isinstance(row, dict):
        return ""
    parts = []
    exact = row.get("kinds", {}).get("exact")
    if exact and row.get("auto_picks") != "exact":
        parts.append(f"an exact scan instead: p99 {exact['p99_ms']:g} ms")
    if row.get("phases_ms"):
        phases = row["phases_ms"]
        steps = ", ".join(f"{name} {ms:g}" for name, ms in phases.items() if name != "total")
        parts.append(f"median ms a request: {steps} (of {phases['total']:g})")
    return "; ".join(parts)


def _turn(results: dict, t: dict) -> list[str]:
    return ["`benchmarks/bench_turn.py`: one action server and one Rasa server (as `make run`), one onboarded user; "
            "plain turns (\"are you a bot?\": a reply from the domain) and personalized turns (\"recommend me "
            "something\": `action_recommend` on the action server) alternate over the REST channel. The action "
            "server is also timed alone with the same request Rasa sends it, and the engine's `recommend` inside it.",
            "", "| turn | median | p99 | target | bounded by |", "|---|---:|---:|---|---|",
            f"| plain | {t['plain_median_ms']:g} ms | {t['plain_p99_ms']:g} ms | no target | Rasa: NLU and "
            "policies (TensorFlow), the tracker store read and written |",
            f"| personalized | {t['personalized_median_ms']:g} ms | {t['personalized_p99_ms']:g} ms | no target | "
            f"the plain turn's work, plus the action server ({t['action_server_median_ms']:g} ms alone, of which "
            f"the engine's `recommend` {t['engine_recommend_median_ms']:g} ms) and Rasa calling it "
            f"({t['rasa_overhead_median_ms']:g} ms) |",
            f"| ratio | {t['ratio_median']:g}× | | {_met(results, 'turn', 'ratio_median')} | {_turn_bound(results)} |"]


def _turn_bound(results: dict) -> str:
    t = results.get("turn", {})
    if "ratio_bound_by_action_server" not in t:
        return ""
    return (f"the custom action: the action server's {t['action_server_median_ms']:g} ms and Rasa's "
            f"{t['rasa_overhead_median_ms']:g} ms around it (with no Rasa overhead the ratio would be "
            f"{t['ratio_bound_by_action_server']:g}×)")


def _load(results: dict, load: dict) -> list[str]:
    lines = [f"Locust (`benchmarks/locustfile.py`), headless, against `{load['command']}`: {load['setup']} "
             f"Each level ramps up, then is measured for {load['measured_s']} s; users read 2-5 s between "
             "messages and each conversation is a new user (greet, consent, category, a loved movie or "
             "skip, first picks, like, more like this, a genre, recommend me something).",
             "", "| users | requests/s | p50 | p99 | errors | target | bounded by |",
             "|---:|---:|---:|---:|---:|---|---|"]
    for users in (key for key in load if key.isdigit()):
        row = load[users]
        lines.append(f"| {users} | {row['rps']:g} | {row['p50_ms']:g} ms | {row['p99_ms']:g} ms | "
                     f"{row['error_rate']:.2%} ({row['failed_requests']} of {row['requests']}) | "
                     f"{_met(results, 'load', users, 'error_rate')} | {_load_bound(results, users)} |")
    return lines


def _load_bound(results: dict, users: str) -> str:
    """What the CPU went to during the level, and the commonest failure if any."""
    row = results.get("load", {}).get(users)
    if not isinstance(row, dict):
        return ""
    shares = ", ".join(f"{name} {share:.0%}" for name, share in row["cpu_share"].items())
    text = f"CPU {row['cpu_busy']:.0%} busy ({shares})"
    if row["failures"]:
        worst = max(row["failures"], key=row["failures"].get)
        text += f"; commonest error: {_cell(worst)} ({row['failures'][worst]}×)"
    return text


def _memory(results: dict, memory: dict) -> list[str]:
    torch = "actions" in memory.get("torch_loaded_in", [])
    bounds = {"rasa": "TensorFlow and the trained Rasa model (DIET, TED), Sanic",
              "actions": "the engine: the catalog, its FAISS index, NumPy; "
                         + ("PyTorch and MiniLM (loaded to embed a typed text)" if torch else
                            "PyTorch and MiniLM were not loaded (no message needed a text embedded)"),
              "web": "FastAPI and Uvicorn (no traffic in this test: the engine is built on the first API call)"}
    lines = ["Peak resident memory (RSS) of each server process during the load test.", "",
             "| process | peak RSS | processes | target | bounded by |", "|---|---:|---:|---|---|"]
    for name in ("rasa", "actions", "web"):
        if name in memory:
            lines.append(f"| {name} | {memory[name]:,.0f} MB | {memory['processes'][name]} | no target | "
                         f"{bounds[name]} |")
    return lines


def _ingest(results: dict, ingest: dict) -> list[str]:
    lines = [ingest["method"], "", "| path | p50 | p99 | events | target | bounded by |",
             "|---|---:|---:|---:|---|---|"]
    names = {"sqlite": "`record_event`, SQLite", "postgresql": "`record_event`, PostgreSQL",
             "api_postgresql": "`POST /api/events`, PostgreSQL"}
    for key, name in names.items():
        row = ingest[key]
        lines.append(f"| {name} | {row['p50_ms']:g} ms | {row['p99_ms']:g} ms | {row['events']:,} | "
                     f"{_met(results, 'ingest', key, 'p99_ms')} | {_ingest_bound(results, key)} |")
    return lines


def _ingest_bound(results: dict, key: str) -> str:
    row = results.get("ingest", {}).get(key)
    return row.get("bounded_by", "") if isinstance(row, dict) else ""


def _history(results: dict, h: dict) -> list[str]:
    lines = [h["method"], "", "| what | first import | the same file again | target |", "|---|---:|---:|---|"]
    for key, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        row = h[key]
        lines.append(f"| `bot history import`, {name} (runs: {', '.join(f'{r:,}' for r in row['runs'])}) | "
                     f"{row['rows_per_s']:,} rows/s | {row['again_rows_per_s']:,} rows/s | "
                     f"{_met(results, 'history', key, 'rows_per_s')} |")
    train = h["train"]
    lines.append(f"| `make train-recs` on {train['events']:,} imported events (imported in {train['import_seconds']:g} s) "
                 f"| {train['train_seconds']:g} s | | {_met(results, 'history', 'train', 'train_seconds')} |")
    return lines


def _catalog(results: dict, e: dict) -> list[str]:
    c, i = results["catalog"], results["import"]
    return [
        f"goodbooks-10k `books.csv` ({e['items']:,} items) through `data/catalog/mappings/goodbooks-10k.yml` "
        f"(`benchmarks/bench_catalog.py`); medians of {e['repeats']} repetitions where marked.", "",
        "| what | result | target | bounded by |", "|---|---:|---|---|",
        f"| `bot catalog import`, cold embedding cache (one run, {i['cold_s']:.0f} s) | "
        f"{i['cold_items_per_s']:,.0f} items/s | no target | MiniLM on the CPU |",
        f"| `bot catalog import` again, unchanged file (median of 3, {i['warm_s']:.1f} s) | "
        f"{i['warm_items_per_s']:,.0f} items/s | no target | process start-up and imports (torch, "
        "sentence-transformers), parsing |",
        f"| parse and validate the catalog (median) | {c['parse_items_per_s']:,.0f} items/s | no target | "
        "Python row parsing |",
        f"| embed, cold cache (one run) | {e['cold_items_per_s']:,.0f} items/s | no target | MiniLM on the CPU |",
        f"| embed, warm cache (median) | {e['cached_items_per_s']:,.0f} items/s | no target | "
        "loading the cache file, hashing texts |",
        f"| apply a 1% change ({c['update_1pct_items']} changed descriptions) to a running engine | "
        f"{c['update_1pct_s']:.2f} s | no target | loading MiniLM (about 3 s when not yet loaded), embedding "
        "the changed items, rebuilding the flat index |",
    ]


# Each part's section: what benchmarks.json holds it under, its title, what writes its body.
PART_SECTIONS = (
    ("recommend", "Recommendations", _recommend),
    ("turn", "A chat turn", _turn),
    ("load", "Concurrent chat users", _load),
    ("memory_mb", "Memory", _memory),
    ("ingest", "Event ingest", _ingest),
    ("history", "A shop's past: import and training", _history),
    ("embed", "Catalog import", _catalog),
)


def _parts(results: dict) -> list[str]:
    lines = ["## The run", "", "| part | time | load average at its start | result |", "|---|---:|---:|---|"]
    for name, status in results["parts"].items():
        lines.append(f"| {name} | {status['seconds']:.0f} s | {status['load_average_at_start']:g} | "
                     f"{'ok' if status['ok'] else 'failed: ' + _cell(status['error'])} |")
    return lines


def _cell(text: str, limit: int = 400) -> str:
    """Any text as one short Markdown table cell or line (errors carry logs, newlines, pipes);
    benchmarks.json has all of it."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + " …"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=[part.name for part in PARTS],
                        help="run only these parts (then --out is required)")
    parser.add_argument("--out", type=Path, help="where to write benchmarks.json and .md (default docs/)")
    args = parser.parse_args(argv)
    if args.only and args.out is None:
        parser.error("a partial run must not overwrite docs/: give --out")
    out = args.out or PROJECT_ROOT / "docs"
    parts = [part for part in PARTS if not args.only or part.name in args.only]
    results = run_parts(parts, lambda line: print(line, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "benchmarks.md").write_text(report(results), encoding="utf-8")
    print(f"wrote {out / 'benchmarks.json'} and {out / 'benchmarks.md'} in {results['total_seconds'] / 60:.1f} min")
    return 0 if all(status["ok"] for status in results["parts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
