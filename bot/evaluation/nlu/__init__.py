"""How well the bot understands what people write, measured on held-out sets: `bot nlu-eval`.

The sets (``tests/data/nlu/``, written before any tuning and never trained on; ``sets``) have their
messages parsed by the trained Rasa model (``rasa``, a subprocess in Rasa's own environment; tests
pass another parser) and their request cases played through the engine (``requests``), built on
their catalog in a scratch folder (``engines``). Nothing of the running bot changes but the
embedding cache, which keeps the catalogs' embeddings for the next run.

Rasa's intents are those the Rasa server acts on: when an intent model is trained, the engine's
reading (``meaning``), with the titles and categories the engine reads on the demo catalog as its
entities; DIET's reading alone is reported beside it.

- ``in_domain.yml`` → intent accuracy and the confusion matrix (``nlu_fallback`` counts as wrong),
  and how often the ``title`` and ``category`` entities hold the titles and categories the
  example names (``intents``).
- ``off_topic.yml`` → the false-accept rate: the share read as a task intent (per domain, the
  tricky ones apart, every intent's share).
- ``support.yml`` → the share handed over to a person and the share misread as a task, per topic.
- ``requests_demo.yml`` / ``requests_goodbooks.yml`` / ``requests_movietweetings.yml`` (and, in
  ``data/nlu-dev/``, ``requests_blind_demo.yml`` / ``requests_blind_goodbooks.yml``) → title,
  category and period extraction by the engine and Recall@10 of ``expected`` for a new consenting
  user whose request is handled as ``action_recommend`` handles it.

``report`` writes ``nlu.md`` and ``nlu.json`` (the same run) into the output folder, by default
docs/; :func:`run` here does it all.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, Settings
from bot.evaluation.nlu.engines import EngineFactory, build_engine
from bot.evaluation.nlu.errors import NluEvalError
from bot.evaluation.nlu.intents import in_domain_metrics, off_topic_metrics, support_metrics
from bot.evaluation.nlu.meaning import read_entities, read_intents, with_readings
from bot.evaluation.nlu.rasa import RASA_PYTHON, Parser, newest_model, parse_ms, rasa_parser
from bot.evaluation.nlu.report import headline, write_report
from bot.evaluation.nlu.requests import (
    Say,
    aggregate,
    engine_on,
    handle_request,
    measure_requests,
    request_metrics,
    score_case,
)
from bot.evaluation.nlu.sets import DEFAULT_SETS, Example, RequestCase, load_sets

__all__ = [
    "RASA_PYTHON", "Example", "NluEvalError", "NluEvaluation", "RequestCase", "aggregate", "build_engine",
    "handle_request", "in_domain_metrics", "load_sets", "off_topic_metrics", "rasa_parser", "request_metrics",
    "run", "score_case", "support_metrics",
]


@dataclass(frozen=True)
class NluEvaluation:
    """One run: its results and the report files written from them."""

    results: dict[str, Any]  # as written to nlu.json
    written: list[Path]

    def summary(self) -> str:
        lines = [f"{row['what']}: {row['value']} (target {row['target']})" for row in headline(self.results)]
        if self.results["sets"]["missing"]:
            lines.append("not measured (set files not found): " + ", ".join(self.results["sets"]["missing"]))
        lines.append(f"{self.results['seconds']:.0f} s; wrote " + ", ".join(str(path) for path in self.written))
        return "\n".join(lines)


def run(settings: Settings, sets_dir: Path | None = None, model: Path | None = None, out: Path | None = None,
        parser: Parser | None = None, engines: EngineFactory | None = None, say: Say = print) -> NluEvaluation:
    """Measure the sets in ``sets_dir`` (default tests/data/nlu) and write nlu.md and nlu.json into
    ``out`` (default docs/). ``parser`` defaults to the Rasa model ``model`` (default: the newest),
    ``engines`` to :func:`build_engine`."""
    started = time.perf_counter()
    machine = describe_machine()
    sets_dir = sets_dir or DEFAULT_SETS
    sets = load_sets(sets_dir)
    model = model or newest_model()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine,
        "sets": {"directory": _shown_path(sets_dir), "counts": sets.counts(), "missing": sets.missing},
        "rasa_model": model.name if parser is None and model else None,
    }
    messages = [(name, getattr(sets, name)) for name in ("in_domain", "off_topic", "support")
                if getattr(sets, name) is not None]
    if messages:
        if parser is None and model is None:
            raise NluEvalError("no trained Rasa model in models/: run `make train`")
        texts = [example.text for _, examples in messages for example in examples]
        say(f"parsing {len(texts)} messages with Rasa ({results['rasa_model'] or 'the given parser'})")
        parse_started = time.perf_counter()
        parses = (parser or rasa_parser(model))(texts)
        results["parse_seconds"] = round(time.perf_counter() - parse_started, 1)
        say(f"parsed in {results['parse_seconds']:.0f} s")
        results["parse_ms"] = parse_ms(parses)
        readings = read_intents(settings, texts)
        results["intent_model"] = readings is not None
        if readings is not None:
            results["diet_alone"] = _measured(messages, parses)
            with engine_on(settings, "demo", engines or build_engine) as engine:
                entities = read_entities(engine, texts)
            parses = with_readings(parses, readings, entities)
        results |= _measured(messages, parses)
    if sets.requests:
        results["requests"] = measure_requests(settings, sets.requests, engines or build_engine, say)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return NluEvaluation(results, write_report(results, out or PROJECT_ROOT / "docs"))


def _measured(messages: list[tuple[str, Any]], parses: list[dict[str, Any]]) -> dict[str, Any]:
    """Each message set's metrics from its share of the parses (in the order of ``messages``)."""
    measured, position = {}, 0
    for name, examples in messages:
        chunk = parses[position:position + len(examples)]
        position += len(examples)
        measure = {"in_domain": in_domain_metrics, "off_topic": off_topic_metrics, "support": support_metrics}[name]
        measured[name] = measure(examples, chunk)
    return measured


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def describe_machine() -> str:
    """What the run was timed on, for the report: its parse and engine times depend on it."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory_text = f", {memory:.1f} GB of memory"
    except (ValueError, OSError, AttributeError):
        memory_text = ""
    load = f"; load average at the start {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{os.cpu_count()} CPUs ({cpu}){memory_text}, {platform.platform()}, "
            f"engine on Python {platform.python_version()}{load}")
