"""The request cases through the engine, with no Rasa: what the engine reads in each request
(titles, categories, period) and whether its top 10 for a new user holds the expected items
(Recall@10). The request is handled as ``action_recommend`` handles it, so the numbers are those
of the bot people talk to."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.evaluation.nlu.engines import EngineFactory, RequestEngine
from bot.evaluation.nlu.rates import rate
from bot.evaluation.nlu.sets import RequestCase, RequestSet

K = 10  # Recall@K of the expected items
TITLE_LIMIT = 5  # titles the engine may find in one request

Say = Callable[[str], None]


def handle_request(engine: RequestEngine, sender_id: str, text: str) -> dict[str, Any]:
    """What the engine makes of a request, as ``action_recommend`` uses it, for a new user who
    consented: its wish (``read_wish``: the titles it surely names, the categories wanted and
    avoided, the period) and the top K picks for it, without the constraints the catalog has no
    data for."""
    wish = engine.read_wish(text)
    asked = wish.constraints
    constraints, _ = asked.applicable(engine.catalog.has_prices, engine.catalog.has_years)
    engine.set_consent(sender_id, True, channel="nlu-eval")
    picks = engine.recommend(sender_id, n=K, wish=replace(wish, constraints=constraints), channel="nlu-eval")
    return {
        "titles": list(wish.items), "categories": list(wish.categories), "avoided": list(wish.avoid_categories),
        "topic": wish.topic, "period": [asked.year_from, asked.year_to] if asked.uses_year else None,
        "picks": [pick.item.id for pick in picks],
        "pick_categories": [list(pick.item.categories) for pick in picks],
    }


def _folded(values: Iterable[str]) -> set[str]:
    return {value.casefold() for value in values}


def score_case(case: RequestCase, handled: Mapping[str, Any]) -> dict[str, Any]:
    """One case's extraction counts and Recall@K."""
    expected_titles, found_titles = set(case.titles), set(handled["titles"])
    expected_categories, found_categories = _folded(case.categories), _folded(handled["categories"])
    avoided = _folded(case.avoid_categories)
    found_period = tuple(handled["period"]) if handled["period"] else None
    picks = handled["picks"][:K]
    return {
        "text": case.text, "kind": case.kind,
        "title_hits": len(expected_titles & found_titles), "titles_found": len(found_titles),
        "titles_expected": len(expected_titles),
        "all_titles_found": expected_titles <= found_titles,
        "category_hits": len(expected_categories & found_categories), "categories_found": len(found_categories),
        "categories_expected": len(expected_categories),
        "period_expected": list(case.period) if case.period else None,
        "period_found": list(found_period) if found_period else None,
        "avoids": bool(avoided),
        "avoided_read_as_wanted": bool(avoided & found_categories),
        "avoided_share": (sum(bool(_folded(c) & avoided) for c in handled["pick_categories"][:K]) / len(picks)
                          if avoided and picks else None),
        "recall": (len(set(picks) & set(case.expected)) / min(K, len(set(case.expected)))
                   if case.expected else None),
        "avoided_found": bool(avoided) and avoided <= _folded(handled.get("avoided", ())),
        "found": {"titles": handled["titles"], "categories": handled["categories"], "avoided": handled.get("avoided", []),
                  "topic": handled.get("topic", ""), "picks": picks},
    }


def _prf(hits: int, found: int, expected: int) -> dict[str, Any]:
    return {"precision": round(hits / found, 4) if found else None,
            "recall": round(hits / expected, 4) if expected else None,
            "hits": hits, "found": found, "expected": expected}


def aggregate(scored: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Micro precision and recall of titles and categories, several-title cases fully resolved,
    period accuracy, avoided categories, and the mean Recall@K, over some scored cases."""
    several = [s for s in scored if s["titles_expected"] >= 2]
    with_period = [s for s in scored if s["period_expected"]]
    without_period = [s for s in scored if not s["period_expected"]]
    with_avoid = [s for s in scored if s["avoids"]]
    avoid_shares = [s["avoided_share"] for s in with_avoid if s["avoided_share"] is not None]
    recalls = [s["recall"] for s in scored if s["recall"] is not None]
    return {
        "n": len(scored),
        "titles": _prf(*(sum(s[key] for s in scored) for key in ("title_hits", "titles_found", "titles_expected"))),
        "several_titles_resolved": rate(sum(s["all_titles_found"] for s in several), len(several)),
        "categories": _prf(*(sum(s[key] for s in scored)
                             for key in ("category_hits", "categories_found", "categories_expected"))),
        "period": rate(sum(s["period_found"] == s["period_expected"] for s in with_period), len(with_period)),
        "period_false": rate(sum(s["period_found"] is not None for s in without_period), len(without_period)),
        "avoided_read_as_wanted": rate(sum(s["avoided_read_as_wanted"] for s in with_avoid), len(with_avoid)),
        "avoided_found": rate(sum(s.get("avoided_found", False) for s in with_avoid), len(with_avoid)),
        "avoided_share_of_picks": round(statistics.fmean(avoid_shares), 4) if avoid_shares else None,
        f"recall@{K}": round(statistics.fmean(recalls), 4) if recalls else None,
        "recall_cases": len(recalls),
    }


def request_metrics(cases: Sequence[RequestCase], engine: RequestEngine, name: str) -> dict[str, Any]:
    """Every case of a set through ``engine``: all cases' aggregate, per kind, and each case."""
    scored = [score_case(case, handle_request(engine, f"nlu-eval-{name}-{number}", case.text))
              for number, case in enumerate(cases, 1)]
    kinds = sorted({s["kind"] for s in scored})
    return {"all": aggregate(scored), "per_kind": {kind: aggregate([s for s in scored if s["kind"] == kind])
                                                  for kind in kinds}, "cases": scored}


def measure_requests(settings: Settings, request_sets: Mapping[str, RequestSet], engines: EngineFactory,
                     say: Say) -> dict[str, Any]:
    """Every request set through an engine built on its catalog in a scratch folder, timed."""
    measured = {}
    for name, request_set in request_sets.items():
        say(f"{name}: {len(request_set.cases)} requests through the engine on the {request_set.catalog} catalog")
        started = time.perf_counter()
        with engine_on(settings, request_set.catalog, engines) as engine:
            built = time.perf_counter() - started
            measured[name] = {"catalog": request_set.catalog} | request_metrics(request_set.cases, engine, name)
        measured[name]["seconds"] = {"engine_built": round(built, 1),
                                     "requests": round(time.perf_counter() - started - built, 1)}
        say(f"{name}: engine built in {built:.0f} s, requests handled in {measured[name]['seconds']['requests']:.0f} s")
    return measured


@contextmanager
def engine_on(settings: Settings, catalog: str, engines: EngineFactory) -> Iterator[RequestEngine]:
    """An engine built on ``catalog`` in a scratch folder, closed and its folder removed after use."""
    scratch = Path(tempfile.mkdtemp(prefix="nlu-eval-"))
    try:
        engine = engines(settings, catalog, scratch / catalog)
        try:
            yield engine
        finally:
            close = getattr(engine, "close", None)
            if close is not None:
                close()
    finally:
        _remove(scratch)


def _remove(scratch: Path) -> None:
    """Delete the scratch folder; the engine's SQLite checkpoint thread may still touch a database
    there for a moment (bot/checkpoints.py), so a second try follows a pause."""
    shutil.rmtree(scratch, ignore_errors=True)
    if scratch.exists():
        time.sleep(2)
        shutil.rmtree(scratch, ignore_errors=True)
