"""The one door to the personalization engine.

Rasa actions, the HTTP API and the CLI all call this class and nothing below it:
recommend, record feedback, read or reset a profile, explain, export, erase.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.activity import active_hours, decay
from bot.analytics import Analytics, analytics
from bot.catalog import Catalog, CatalogError, Item, load_configured_catalog
from bot.config import Settings
from bot.constraints import Constraints, parse_constraints
from bot.conversations import ConversationStore
from bot.encoder import Encoder
from bot.evaluation.abtest import Report, compare, tally
from bot.experiments import OUTCOMES, Experiment, Experiments, Variant, load_experiments
from bot.handoff import Handoff, HandoffDesk
from bot.hybrid import HybridRanker
from bot.index import ItemIndex
from bot.indexing import load_or_build_index
from bot.matching import TitleMatch, TitleMatcher, match_interest
from bot.outbox import Outbox, QueuedEvent
from bot.popularity import Popularity
from bot.privacy import Privacy
from bot.profiles import Profile
from bot.questionnaire import Questionnaire
from bot.recommender import Recommender, Request
from bot.results import HandoffBrief, Picks, ProfileSummary, UnknownItem
from bot.segments import Segments
from bot.segments import build as build_segments
from bot.store import Store
from bot.trained_model import load as load_signals
from bot.vocabulary import (
    BOT_EVENTS,
    POPULARITY_WEIGHTS,
    TASTE_WEIGHTS,
    EventType,
    HandoffReason,
    PreferenceKind,
    Recorded,
    StoreUnavailable,
    utcnow,
)

log = logging.getLogger(__name__)


BRIEF_TURNS = 30  # conversation turns an agent sees
BRIEF_EVENTS = 10  # recent recommendations, and recent feedback
# Popularity aggregates every user's events (a full scan of the events table): read again at
# most this often. This process's own feedback counts at once; other processes' (the web app's
# site events, the CLI) within this time.
POPULARITY_MAX_AGE_S = 30.0


@dataclass(frozen=True)
class CatalogVersion:
    """Everything derived from one version of the catalog; replaced whole, never changed."""

    catalog: Catalog
    index: ItemIndex
    recommender: Recommender
    matcher: TitleMatcher
    stamp: tuple[int, ...] = ()


def _stamp(settings: Settings) -> tuple[int, ...]:
    """Changes when the catalog, its mapping or the trained signals are rewritten."""
    return _files_stamp([settings.catalog_path, settings.catalog_mapping, settings.signals_path])


def _files_stamp(paths: Iterable[Path | None]) -> tuple[int, ...]:
    stats = [path.stat() for path in paths if path is not None and path.exists()]
    return tuple(value for st in stats for value in (st.st_ino, st.st_mtime_ns, st.st_size))


def _anonymous(sender_id: str) -> Profile:
    """The profile of a user who has not consented, or who could not be read: nothing known."""
    return Profile(sender_id=sender_id, known=False, onboarded=False)


def _ranked_as(variant: Variant, profile: Profile, request: Request) -> tuple[Profile, Request]:
    """The profile and request an experiment's variant ranks with."""
    if variant.diversity is not None:
        request = replace(request, diversity=variant.diversity)
    if variant.segment_prior is not None:
        request = replace(request, segment_prior=variant.segment_prior)
    if not variant.personalized:
        request = replace(request, exclude=request.exclude | profile.excluded_items())
        profile = profile.without_taste()
    return profile, request


def _signals(settings: Settings, catalog: Catalog, index: ItemIndex) -> HybridRanker | None:
    signals = load_signals(catalog, index, settings.signals_path)
    if signals is None:
        log.info("no trained signals at %s (run `make train-recs`); content only", settings.signals_path)
    return signals


class Engine:
    def __init__(
        self,
        catalog: Catalog,
        index: ItemIndex,
        encoder: Encoder,
        store: Store,
        signals: HybridRanker | None = None,
        settings: Settings | None = None,
        questionnaire: Questionnaire | None = None,
        conversations: ConversationStore | None = None,
        outbox: Outbox | None = None,
        segments: Segments | None = None,
        experiments: Experiments | None = None,
    ):
        self.store = store
        self.experiments = experiments or Experiments()
        self.segments = segments  # None until `bot segments build`
        self._segments_stamp = _files_stamp([settings.segments_path]) if settings else ()
        self.outbox = outbox  # None: events are refused (StoreUnavailable) while the database is down
        self._popularity = Popularity()  # the last one read; kept while the database is down
        self._popularity_read_at: float | None = None  # monotonic seconds; None: read it again
        self._popularity_lock = threading.Lock()
        self._popularity_rereading = False  # a background read is under way
        self.privacy = Privacy(store, conversations)
        self.handoffs = HandoffDesk(store)
        self.encoder = encoder
        self.settings = settings
        self.questionnaire = questionnaire or Questionnaire()
        self._version = self._derive(catalog, index, signals, _stamp(settings) if settings else ())

    def _derive(self, catalog, index, signals, stamp) -> CatalogVersion:
        return CatalogVersion(
            catalog, index,
            Recommender(catalog, index, signals=signals, encoder=self.encoder, item_noun=self.questionnaire.items),
            TitleMatcher(catalog, index, self.encoder), stamp,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Engine:
        settings = settings or Settings.from_env()
        catalog = load_configured_catalog(settings)
        encoder = Encoder(settings.embedding_cache_path)
        index = load_or_build_index(settings, catalog, encoder)
        return cls(catalog, index, encoder, Store(settings.database_url),
                   _signals(settings, catalog, index), settings,
                   Questionnaire.from_yaml(settings.questionnaire_path),
                   ConversationStore(settings.tracker_url), Outbox(settings.outbox_dir),
                   Segments.load(settings.segments_path, index.dimension), load_experiments(settings.experiments_path))

    @property
    def catalog(self) -> Catalog:
        return self._version.catalog

    @property
    def index(self) -> ItemIndex:
        return self._version.index

    @property
    def recommender(self) -> Recommender:
        return self._version.recommender

    @property
    def matcher(self) -> TitleMatcher:
        return self._version.matcher

    def reload_if_changed(self) -> bool:
        """Pick up a changed catalog or retrained signals without a restart.

        The new version is built completely (only new or changed items are embedded)
        and then swapped in with one assignment, so a request in flight finishes on the
        version it started with. A catalog that fails validation is logged and ignored.
        """
        if self.settings is None:
            return False
        self._reload_segments_if_changed()
        stamp = _stamp(self.settings)
        if stamp == self._version.stamp:
            return False
        try:
            catalog = load_configured_catalog(self.settings)
            index = load_or_build_index(self.settings, catalog, self.encoder)
        except CatalogError as error:
            log.error("keeping the current catalog; the changed one is invalid: %s", error)
            self._version = replace(self._version, stamp=stamp)
            return False
        self._version = self._derive(catalog, index, _signals(self.settings, catalog, index), stamp)
        log.info("now serving %d items from %s", len(catalog), self.settings.catalog_path)
        return True

    def _reload_segments_if_changed(self) -> None:
        """Segments rebuilt by `bot segments build` in another process take effect here."""
        stamp = _files_stamp([self.settings.segments_path])
        if stamp != self._segments_stamp:
            self.segments = Segments.load(self.settings.segments_path, self.index.dimension)
            self._segments_stamp = stamp

    # --- reading -----------------------------------------------------------------

    def profile(self, sender_id: str) -> Profile:
        """What personalizes this user's picks: nothing without their consent."""
        return self._consented_profile(sender_id)[1]

    def _consented_profile(self, sender_id: str) -> tuple[bool, Profile]:
        """Whether the user consents, and then their profile (else an empty one), in one read."""
        consent, stored = Profile.load_with_consent(self.store, sender_id)
        return (True, stored) if consent is True else (False, _anonymous(sender_id))

    def summary(self, sender_id: str) -> ProfileSummary:
        """Everything stored that shapes the picks, in words (the stored data, consent or not)."""
        self._try_flush_outbox()
        consent, profile = Profile.load_with_consent(self.store, sender_id)  # one read for both
        feedback = profile.latest_feedback()
        catalog = self.catalog

        def labels(ids: list[str]) -> list[str]:
            return [catalog.by_id[i].label for i in ids if i in catalog]

        now = utcnow()
        learned = self._learned_categories(profile, now)  # from feedback only, not the questionnaire
        return ProfileSummary(
            known=profile.known,
            onboarded=profile.onboarded,
            consent=consent,
            categories=list(profile.categories) + list(profile.interests),
            avoid_categories=list(profile.avoid_categories),
            loved=labels(list(profile.loved_items)),
            liked=labels([i for i, e in feedback.items() if e.type in (EventType.LIKE, EventType.PURCHASE)]),
            disliked=labels([i for i, e in feedback.items() if e.type in (EventType.DISLIKE, EventType.NOT_INTERESTED)]),
            learned_categories=[c for c, _ in learned.most_common(3)],
            # What the user did, not what the bot showed (a proactive message's picks would
            # otherwise make its own hour look like a habit).
            active_hours_utc=active_hours((e.at for e in profile.events if e.type not in BOT_EVENTS), now),
            segment=self._segment_of(profile, now),
            **self._experiment_of(sender_id, consent is True, now),
        )

    def _experiment_of(self, sender_id: str, consents: bool, now: datetime) -> dict[str, str | None]:
        """The running experiment and the user's variant in it: only users who consent take part."""
        assigned = self.experiments.variant(sender_id, now) if consents else None
        return {"experiment": assigned[0].name, "variant": assigned[1].name} if assigned else {}

    def _learned_categories(self, profile: Profile, now: datetime) -> Counter[str]:
        """Categories of the items the user's positive feedback was about, weighted and decayed."""
        learned: Counter[str] = Counter()
        for item_id, event in profile.latest_feedback().items():
            weight = TASTE_WEIGHTS[event.type] * decay(event.at, now)
            if weight > 0 and item_id in self.catalog:
                learned.update({c: weight for c in self.catalog.by_id[item_id].categories})
        return learned

    def _segment_of(self, profile: Profile, now: datetime) -> str | None:
        """The label of the segment nearest the user's taste; None without segments or taste."""
        taste = self.recommender.query_vector(profile, Request(), now) if self.segments else None
        return None if taste is None else self.segments.nearest(taste).label

    def build_segments(self, k: int | None = None) -> Segments:
        """Cluster every consenting user's taste (``bot segments build``), save the segments
        beside the index and use them from now on. Raises SegmentsUnavailable with too few users."""
        now = utcnow()
        tastes, leanings = {}, {}
        for sender_id in self.store.consenting_senders():
            profile = Profile.load(self.store, sender_id)
            taste = self.recommender.query_vector(profile, Request(), now)
            if taste is not None:
                tastes[sender_id] = taste
                leanings[sender_id] = self._learned_categories(profile, now) + Counter(profile.categories)
        segments = build_segments(tastes, leanings, k, now)
        if self.settings is not None:
            segments.save(self.settings.segments_path)
            self._segments_stamp = _files_stamp([self.settings.segments_path])
        self.segments = segments
        return segments

    def experiment_report(self, name: str) -> Report:
        """How the experiment's variants do so far (``bot experiments report``); KeyError if
        no experiment has that name."""
        experiment = self.experiments.named(name)
        events = self.store.feedback_log([EventType.IMPRESSION, *OUTCOMES], experiment.start, experiment.end)
        return compare(experiment, tally(events))

    def analytics(self, days: int = 30, now: datetime | None = None) -> Analytics:
        """The analytics page's numbers over the last ``days`` (bot/analytics.py)."""
        until = now or utcnow()
        since = until - timedelta(days=days)
        events = self.store.feedback_log([EventType.IMPRESSION, *OUTCOMES], since, until)
        conversations = self.privacy.conversations.users_per_day(since, until) if self.privacy.conversations else {}

        segment_of = None
        if self.segments:
            profiles = Profile.load_tastes(self.store, (sender for sender, *_ in events))
            segment_of = {sender: self._segment_of(profile, until) for sender, profile in profiles.items()}.get
        return analytics(events, conversations, since, until, segment_of, self.experiments.running(until))

    def item(self, item_id: str) -> Item:
        try:
            return self.catalog.by_id[item_id]
        except KeyError:
            raise UnknownItem(item_id) from None

    def understand(self, text: str) -> Constraints:
        """What a request's words ask of the picks beyond taste: price, period, availability."""
        return parse_constraints(text)

    def current_segments(self) -> Segments | None:
        """The users' segments as last built (``bot segments build``); None before."""
        return self.segments

    def defined_experiments(self) -> list[Experiment]:
        """Every experiment in the experiments file, running or not."""
        return list(self.experiments.experiments)

    def running_experiment(self, now: datetime | None = None) -> Experiment | None:
        return self.experiments.running(now or utcnow())

    def match_categories(self, text: str) -> list[str]:
        return self.catalog.find_categories(text)

    def match_titles(self, text: str, limit: int = 2) -> tuple[list[TitleMatch], list[str]]:
        return self.matcher.match_many(text, limit=limit)

    def match_interest(self, text: str) -> str | None:
        """A free-text taste that is no category but matches catalog items, else None."""
        return match_interest(text, self.index, self.encoder)

    # --- recommending ------------------------------------------------------------

    def recommend(
        self,
        sender_id: str,
        n: int = 5,
        category: str | None = None,
        like_item: str | None = None,
        constraints: Constraints = Constraints(),
        channel: str = "unknown",
        now: datetime | None = None,
        exclude: Iterable[str] = (),
    ) -> Picks:
        """Personalized picks (popular ones without consent), never those in ``exclude``;
        with consent, what is shown is logged as impressions (not repeated soon). With the
        database unavailable: the popular picks, marked ``profile_unavailable``."""
        version = self._version  # one catalog version for the whole request
        if like_item is not None and like_item not in version.catalog:
            raise UnknownItem(like_item)
        request = Request(n=n, category=category, seed_item=like_item, constraints=constraints,
                          exclude=frozenset(exclude))
        self._try_flush_outbox()
        try:
            personal, profile = self._consented_profile(sender_id)
            self._refresh_popularity()
        except StoreUnavailable as error:
            log.warning("%s; recommending without the user's profile", error)
            return Picks(version.recommender.recommend(_anonymous(sender_id), request, popularity=self._popularity, now=now),
                         profile_unavailable=True)
        if personal and (assigned := self.experiments.variant(sender_id, now or utcnow())):
            profile, request = _ranked_as(assigned[1], profile, request)
        recommendations = version.recommender.recommend(profile, request, popularity=self._popularity, now=now)
        if recommendations and personal:
            self._record(sender_id, [(EventType.IMPRESSION, r.item.id, category) for r in recommendations],
                         channel, now)
        return Picks(recommendations)

    def explain(self, sender_id: str, item_id: str) -> list[str]:
        """Why an item fits this user now, from the same components that rank it."""
        version = self._version
        if item_id not in version.catalog:
            raise UnknownItem(item_id)
        self._refresh_popularity()
        profile, request = self._ranked_view(sender_id)
        return version.recommender.explain(profile, item_id, popularity=self._popularity, request=request)

    def _ranked_view(self, sender_id: str) -> tuple[Profile, Request]:
        """The profile and plain request the user's picks are ranked with: their experiment
        variant's view of them."""
        personal, profile = self._consented_profile(sender_id)
        assigned = self.experiments.variant(sender_id, utcnow()) if personal else None
        return _ranked_as(assigned[1], profile, Request()) if assigned else (profile, Request())

    def _refresh_popularity(self) -> None:
        """Popularity for this request. The first read (and the one after an erasure, which must
        not count the erased feedback) is made here and raises StoreUnavailable if it cannot be;
        one that is merely old is read again in the background while requests go on with it:
        the aggregate scans every event, too long for one request."""
        with self._popularity_lock:
            read_at = self._popularity_read_at
            if read_at is None:
                started = time.monotonic()
                self._popularity = Popularity(self.store.item_popularity())
                self._popularity_read_at = started
                return
            if time.monotonic() - read_at < POPULARITY_MAX_AGE_S or self._popularity_rereading:
                return
            self._popularity_rereading = True
        threading.Thread(target=self._reread_popularity, name="popularity", daemon=True).start()

    def _reread_popularity(self) -> None:
        started = time.monotonic()
        try:
            counts = self.store.item_popularity()
        except StoreUnavailable as error:
            log.warning("%s; popularity is read again later", error)
            counts = None
        with self._popularity_lock:
            if counts is not None and self._popularity_read_at is not None:  # not forgotten meanwhile
                self._popularity = Popularity(counts)
                self._popularity_read_at = started
            self._popularity_rereading = False

    def _forget_popularity(self) -> None:
        """Events were deleted or stored behind the cache's back: read it again on next use."""
        self._popularity_read_at = None

    # --- writing -----------------------------------------------------------------

    def record_event(
        self,
        sender_id: str,
        type: EventType | str,
        item_id: str | None = None,
        category: str | None = None,
        channel: str = "unknown",
        at: datetime | None = None,
    ) -> Recorded:
        """Store one interaction, which shapes the very next recommendation. Without the
        user's consent nothing is stored; with the database unavailable it is queued."""
        if item_id is not None:
            self.item(item_id)
        self._try_flush_outbox()
        return self._record(sender_id, [(EventType(type), item_id, category)], channel, at)

    def _record(self, sender_id: str, events: list[tuple[EventType, str | None, str | None]],
                channel: str, at: datetime | None) -> Recorded:
        """Consent is checked in the transaction that stores the events, so a withdrawal
        that commits first wins and one that commits later deletes them."""
        at = at or utcnow()
        try:
            stored = self.store.add_events(sender_id, events, channel=channel, at=at, if_consented=True)
            if stored:
                self._count_popularity(events)
        except StoreUnavailable:
            if self.outbox is None:
                raise
            for kind, item_id, category in events:
                self.outbox.put(QueuedEvent(sender_id, str(kind), item_id, category, channel, at))
            log.warning("database unavailable: %d events queued in %s", len(events), self.outbox.directory)
            return Recorded.QUEUED
        return Recorded.STORED if stored else Recorded.NO_CONSENT

    def _count_popularity(self, events: list[tuple[EventType, str | None, str | None]]) -> None:
        """Add stored feedback to the cached popularity: the sum the store's aggregate would give."""
        changes: Counter[str] = Counter()
        for kind, item_id, _ in events:
            if item_id is not None and kind in POPULARITY_WEIGHTS:
                changes[item_id] += POPULARITY_WEIGHTS[kind]
        if changes:  # impressions count for nothing: the cached ranking stays
            self._popularity.add(changes)

    def flush_outbox(self) -> int:
        """Store the events queued while the database was unavailable (each only if its user
        consents now); the number written. Raises StoreUnavailable if it still is."""
        if self.outbox is None or not self.outbox.pending():
            return 0
        stored = self.outbox.drain(self._store_queued)
        if stored:
            self._forget_popularity()
        return stored

    def _try_flush_outbox(self) -> None:
        """Before a request: store what was queued, if the database takes writes again
        (if not, the request itself finds out whether it can read)."""
        with suppress(StoreUnavailable):
            self.flush_outbox()

    def _store_queued(self, queued: QueuedEvent) -> None:
        """One queued event; one the database refuses (not: cannot be reached) is logged and
        dropped, so that it cannot block the queue behind it."""
        try:
            self.store.add_events(queued.sender_id, [(EventType(queued.type), queued.item_id, queued.category)],
                                  channel=queued.channel, at=queued.at, if_consented=True)
        except SQLAlchemyError as error:
            log.error("dropped a queued %s event the database refused: %s", queued.type, error)

    def save_preferences(
        self,
        sender_id: str,
        categories: list[str],
        loved_items: list[str],
        avoid_categories: list[str],
    ) -> bool:
        """Store questionnaire answers (only with consent: else False); stated tastes that
        are no category become interests."""
        for item_id in loved_items:
            self.item(item_id)
        known = self.catalog.category_counts()
        return self.store.set_preferences(
            sender_id,
            {
                PreferenceKind.CATEGORY: [c for c in categories if c in known],
                PreferenceKind.INTEREST: [c for c in categories if c not in known],
                PreferenceKind.ITEM: loved_items,
                PreferenceKind.AVOID_CATEGORY: avoid_categories,
            },
            if_consented=True,
        )

    # --- consent and privacy -------------------------------------------------------

    def consent(self, sender_id: str) -> bool | None:
        """The user's newest consent decision to be remembered; None if never asked."""
        decisions = self.store.consents(sender_id)
        return decisions[-1].granted if decisions else None

    def set_consent(self, sender_id: str, granted: bool, channel: str = "unknown") -> None:
        self.store.set_consent(sender_id, granted, channel)
        if not granted:  # the user's events are deleted: they stop counting for others too
            self._forget_popularity()

    def personalizes(self, sender_id: str) -> bool:
        """Only users who said yes are remembered and get personalized picks."""
        return self.consent(sender_id) is True

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about the user (both databases) with the profile in words."""
        self._try_flush_outbox()
        data = self.privacy.export(sender_id)
        if data is not None:
            data["profile"] = asdict(self.summary(sender_id))
        return data

    def export_link(self, sender_id: str) -> str | None:
        """A one-time, expiring download address of the user's export (the web app serves it);
        None when nothing is stored about the user (no link, and no row created for one)."""
        if self.privacy.export(sender_id) is None:
            return None
        base = self.settings.public_url if self.settings else Settings.from_env({}).public_url
        return f"{base}/export/{self.privacy.create_export_token(sender_id)}"

    def redeem_export_token(self, token: str) -> dict[str, Any] | None:
        """One download per token, within its lifetime; the user's export or None."""
        sender_id = self.privacy.redeem_export_token(token)
        return None if sender_id is None else self.export(sender_id)

    def erase(self, sender_id: str) -> dict[str, int]:
        """Forget the user completely: engine rows, conversation, in-memory interest vectors."""
        interests = self.store.preferences(sender_id)[PreferenceKind.INTEREST]
        erased = self.privacy.erase(sender_id)
        self.recommender.forget_interests(interests)
        self._forget_popularity()
        return erased

    # --- human handoff -----------------------------------------------------------

    @property
    def handoff_available(self) -> bool:
        """Whether any support agent can sign in to take conversations (BOT_AGENT_TOKENS)."""
        return bool(self.settings and self.settings.agent_tokens)

    def request_handoff(self, sender_id: str, channel: str, reason: HandoffReason) -> tuple[Handoff, bool]:
        """Put the conversation in the agents' queue (once); True if it was queued now."""
        return self.handoffs.request(sender_id, channel, reason)

    def open_handoff_of(self, sender_id: str) -> Handoff | None:
        """The user's waiting or active handoff, if any."""
        return self.handoffs.open_for(sender_id)

    def handoff_brief(self, handoff_id: int, turns: int = BRIEF_TURNS) -> HandoffBrief | None:
        """What an agent reads first: the user's tastes, what they were shown and how they
        reacted, and the conversation's last turns (everything said during the handoff too)."""
        handoff = self.handoffs.get(handoff_id)
        if handoff is None:
            return None
        catalog = self.catalog

        def described(event) -> dict[str, Any]:
            item = catalog.by_id.get(event.item_id) if event.item_id else None
            return {"type": str(event.type), "item_id": event.item_id,
                    "title": item.label if item else None, "at": event.created_at.isoformat()}

        sender_id = handoff.sender_id
        shown = self.store.events(sender_id, types=[EventType.IMPRESSION], limit=BRIEF_EVENTS)
        reactions = self.store.events(sender_id, types=[t for t in EventType if t not in BOT_EVENTS],
                                      limit=BRIEF_EVENTS)
        conversation = self.privacy.conversations.history(sender_id) if self.privacy.conversations else []
        return HandoffBrief(handoff, self.summary(sender_id), [described(e) for e in shown],
                            [described(e) for e in reactions], conversation[-turns:])

    def purge(self, older_than_days: int | None = None) -> dict[str, int]:
        """Delete events and conversation turns older than the retention period."""
        days = older_than_days or (self.settings.retention_days if self.settings else 365)
        purged = self.privacy.purge(timedelta(days=days))
        self._forget_popularity()
        return purged
