"""Replaying MovieTweetings through the engine to check the experiment pipeline end to end:
it must find a real difference between two rankings, and find none in an A/A test about as
often as its 5% level allows (`bot experiments simulate`).

The last ``days`` of the data are replayed in time order through a fresh engine on the
MovieTweetings catalog. Everything rated before a moment is in its store by then, as likes
(ratings of 6 and more) or dislikes, so popularity and tastes never see the future. Each
simulated user (at least MIN_RATINGS ratings, the last of them in the window) is shown N picks
through ``Engine.recommend`` at the time of their last rating, under the variant the
experiment's hash gives them; if the movie they rated then is among the picks, they click it
(the replay method: a user acts only on what the log shows they watched). The report is
``Engine.experiment_report``, as for live traffic.

The A/A experiment's two variants rank alike, so its users' outcomes do not depend on the
variant they were dealt: the same outcomes dealt out again under other experiment names are
repeated A/A runs, and the share of them that find a difference is the false-positive rate.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from tqdm import tqdm

from bot.catalog import Catalog, Item
from bot.config import IndexSettings
from bot.encoder import Encoder
from bot.engine import Engine
from bot.evaluation.data import EvalItem, RatedInteractionLog
from bot.experiments import OUTCOMES, Experiment, Experiments, Variant
from bot.index import ItemIndex
from bot.schema import Consent, Event, User
from bot.statistics import Report, compare, tally
from bot.store import Store
from bot.vocabulary import EventType

MIN_RATINGS = 5
LIKED_FROM = 6  # ratings 0-10: this and more is a like, less a dislike
PICKS = 10
AB = Experiment("replay-personalized", (Variant("popular", personalized=False), Variant("personalized")))
AA = Experiment("replay-a-a", (Variant("a"), Variant("a-again")))


@dataclass(frozen=True)
class Simulation:
    window: tuple[datetime, datetime]
    users: int  # simulated (recommended to) in each experiment
    ab: Report
    aa: Report
    aa_runs: int
    aa_false_positives: int

    @property
    def aa_false_positive_rate(self) -> float:
        return self.aa_false_positives / self.aa_runs


def simulate(log: RatedInteractionLog, items: Sequence[EvalItem], encoder: Encoder, days: int = 30,
             aa_runs: int = 1000, progress: bool = False) -> Simulation:
    """The A/B and A/A replays of the last ``days`` of ``log`` (see the module doc)."""
    catalog = Catalog(Path("movietweetings"), tuple(
        Item(item.id, item.title, "", tuple(item.categories), item.year) for item in items))
    vectors = encoder.encode([item.text for item in items], progress=progress)
    index = ItemIndex.build([item.id for item in items], vectors, "replay", IndexSettings())
    end = int(log.times.max()) + 1
    start = end - days * 86_400
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        ab_store, aa_store = (Store(f"sqlite:///{Path(scratch) / f'{experiment.name}.sqlite3'}")
                              for experiment in (AB, AA))
        ab, users = _replay(AB, log, catalog, index, encoder, start, ab_store, progress)
        aa, _ = _replay(AA, log, catalog, index, encoder, start, aa_store, progress)
        ab_report, aa_report = ab.experiment_report(AB.name), aa.experiment_report(AA.name)
        aa_counts = tally(aa_store.feedback_log([EventType.IMPRESSION, *OUTCOMES]))
    found = sum(compare(Experiment(f"{AA.name}-{run}", AA.variants), aa_counts).comparisons[0].significant
                for run in range(aa_runs))
    window = (datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
    return Simulation(window, users, ab_report, aa_report, aa_runs, found)


def _replay(experiment: Experiment, log: RatedInteractionLog, catalog: Catalog, index: ItemIndex,
            encoder: Encoder, start: int, store: Store, progress: bool) -> tuple[Engine, int]:
    """A fresh engine on the empty ``store`` that has lived through the log with the experiment
    running, and the number of users it recommended to. The history before the window is
    written straight into the store, in one transaction, not event by event through the engine."""
    engine = Engine(catalog, index, encoder, store, experiments=Experiments((experiment,)))
    last = _last_rating_of_each_user(log)
    counts = np.bincount(log.users, minlength=len(log.user_ids))
    before = log.times < start
    consenting = _store_history(store, log, np.flatnonzero(before))
    simulated = 0
    window = np.flatnonzero(~before)
    for row in tqdm(window[np.argsort(log.times[window], kind="stable")], desc=f"replay {experiment.name}",
                    disable=not progress, unit="rating"):
        user, item = log.user_ids[log.users[row]], log.item_ids[log.items[row]]
        at = datetime.fromtimestamp(int(log.times[row]), UTC)
        if user not in consenting:
            engine.set_consent(user, True, channel="replay")
            consenting.add(user)
        if last[log.users[row]] == row and counts[log.users[row]] >= MIN_RATINGS:
            picks = engine.recommend(user, n=PICKS, channel="replay", now=at)
            simulated += 1
            if item in {pick.item.id for pick in picks}:
                engine.record_event(user, EventType.CLICK, item, channel="replay", at=at)
        else:
            engine.record_event(user, _feedback(log.ratings[row]), item, channel="replay", at=at)
    return engine, simulated


def _store_history(store: Store, log: RatedInteractionLog, rows: np.ndarray) -> set[str]:
    """Every rating before the window, in one transaction, by users who consent; their ids."""
    senders = sorted({log.user_ids[user] for user in log.users[rows].tolist()})
    moment = datetime.fromtimestamp(int(log.times[rows].min()) if len(rows) else 0, UTC)
    events = [
        {"sender_id": log.user_ids[log.users[row]], "type": str(_feedback(log.ratings[row])),
         "item_id": log.item_ids[log.items[row]], "category": None, "channel": "replay",
         "created_at": datetime.fromtimestamp(int(log.times[row]), UTC)}
        for row in rows.tolist()
    ]
    with store.transaction() as session:
        for model, values in (
            (User, [{"sender_id": s, "created_at": moment} for s in senders]),
            (Consent, [{"sender_id": s, "granted": True, "channel": "replay", "created_at": moment} for s in senders]),
            (Event, events),
        ):
            if values:
                session.execute(insert(model), values)
    return set(senders)


def _feedback(rating: float) -> EventType:
    return EventType.LIKE if rating >= LIKED_FROM else EventType.DISLIKE


def _last_rating_of_each_user(log: RatedInteractionLog) -> np.ndarray:
    """Per user, the row of their latest rating (ties: the later row)."""
    order = np.lexsort((np.arange(len(log)), log.times, log.users))  # by user, then time
    ends = np.flatnonzero(np.append(log.users[order][1:] != log.users[order][:-1], True))
    last = np.full(len(log.user_ids), -1, dtype=np.int64)
    last[log.users[order][ends]] = order[ends]
    return last


def describe_simulation(simulation: Simulation) -> str:
    """The simulation's results as text (the A/B report, the A/A report and the A/A re-runs)."""
    start, end = (f"{moment:%Y-%m-%d}" for moment in simulation.window)
    return "\n".join([
        f"Replay of MovieTweetings {start} to {end}: {simulation.users:,} users shown {PICKS} picks each.",
        "", "A/B: " + simulation.ab.describe(), "", "A/A: " + simulation.aa.describe(), "",
        f"A/A dealt out again under {simulation.aa_runs:,} experiment names: a difference found in "
        f"{simulation.aa_false_positives:,} ({simulation.aa_false_positive_rate:.1%}); the test's level is "
        f"{simulation.aa.alpha:.0%}.",
    ])
