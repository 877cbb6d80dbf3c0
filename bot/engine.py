"""The one door to the personalization engine.

Rasa actions, the HTTP API and the CLI all call this class and nothing below it:
recommend, understand a request, record feedback, read or reset a profile, explain, export,
erase, hand a conversation to an agent. What concerns only the two databases (consent,
users' rights, the handoff queue) is :class:`bot.records.Records`, which the engine builds on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from bot.activity import active_hours
from bot.analytics import Analytics, analytics
from bot.catalog import Catalog, Item
from bot.config import Settings
from bot.conversations import ConversationStore
from bot.encoder import Encoder
from bot.experiments import OUTCOMES, Experiment, Experiments, Variant, load_experiments
from bot.handoff import Handoff
from bot.hybrid import HybridRanker
from bot.index import ItemIndex
from bot.intent_model import IntentModel, IntentReading, load_intent_model
from bot.matching import TitleMatch, match_interest
from bot.outbox import Outbox
from bot.popularity import LivePopularity
from bot.profiles import Profile, learned_categories
from bot.questionnaire import Questionnaire
from bot.recommender import Request
from bot.recording import EventRecorder
from bot.records import Records
from bot.results import HandoffBrief, Picks, ProfileSummary, UnknownItem
from bot.segments import Segments
from bot.segments import build as build_segments
from bot.serving import ServedCatalog, load_catalog_parts
from bot.statistics import Report, compare, tally
from bot.store import Store
from bot.vocabulary import (
    BOT_EVENTS,
    AccountLink,
    EventType,
    HandoffReason,
    Linked,
    PreferenceKind,
    Recorded,
    StoreUnavailable,
    utcnow,
)
from bot.wish import Wish
from bot.wish_reader import WishReader

log = logging.getLogger(__name__)

BRIEF_TURNS = 30  # conversation turns an agent sees
BRIEF_EVENTS = 10  # recent recommendations, and recent feedback


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


class Engine:
    """Built from its parts (tests inject a store) or :meth:`from_settings`. ``model`` is the
    trained hybrid model (None: content and popularity only); ``outbox`` None refuses events
    while the database is down (StoreUnavailable) instead of queueing them."""

    def __init__(
        self,
        catalog: Catalog,
        index: ItemIndex,
        encoder: Encoder,
        store: Store,
        model: HybridRanker | None = None,
        settings: Settings | None = None,
        questionnaire: Questionnaire | None = None,
        conversations: ConversationStore | None = None,
        outbox: Outbox | None = None,
        segments: Segments | None = None,
        experiments: Experiments | None = None,
        intents: IntentModel | None = None,
    ):
        self._store = store
        self._intents = intents
        self._records = Records(store, conversations)
        self._experiments = experiments or Experiments()
        self._popularity = LivePopularity(store)
        self._recorder = EventRecorder(store, self._popularity, outbox)
        self._encoder = encoder
        self._settings = settings
        self._questionnaire = questionnaire or Questionnaire()
        self._served = ServedCatalog(catalog, index, encoder, model, settings, self._questionnaire.items, segments)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Engine:
        settings = settings or Settings.from_env()
        encoder = Encoder(settings.embedding_cache_path)
        catalog, index, model = load_catalog_parts(settings, encoder)
        return cls(catalog, index, encoder, Store(settings.database_url), model, settings,
                   Questionnaire.from_yaml(settings.questionnaire_path),
                   ConversationStore(settings.tracker_url), Outbox(settings.outbox_dir),
                   Segments.load(settings.segments_path, index.dimension), load_experiments(settings.experiments_path),
                   load_intent_model(settings.intent_model_path))

    @property
    def catalog(self) -> Catalog:
        """The catalog served now (a reload replaces it)."""
        return self._served.version.catalog

    @property
    def questionnaire(self) -> Questionnaire:
        """The onboarding questions and the words for this catalog's items."""
        return self._questionnaire

    @property
    def settings(self) -> Settings | None:
        """The settings the engine was built with; None for one built from parts."""
        return self._settings

    def _settings_or_defaults(self) -> Settings:
        """The settings, or the defaults for an engine built from parts (tests)."""
        return self._settings or Settings.from_env({})

    def close(self) -> None:
        """Release the database connections (they open again on next use)."""
        self._records.close()

    def warm_up(self) -> None:
        """Load what a user's turn would otherwise load lazily (the embedding model that reads a
        typed title or taste), so that no user waits for it. Servers call this before they listen;
        they embed one short message at a time, on one thread each. Reading a first request also
        builds what reading needs once per catalog (its category phrases as one pattern)."""
        self._encoder.load(threads=1)
        self.read_wish("something like this")

    def reload_if_changed(self) -> bool:
        """Pick up a changed catalog or retrained model without a restart (True), and
        segments rebuilt by another process; a request in flight finishes on its version."""
        return self._served.reload_if_changed()

    # --- reading -----------------------------------------------------------------

    def profile(self, sender_id: str) -> Profile:
        """What personalizes this user's picks: nothing without their consent."""
        return self._consented_profile(sender_id)[1]

    def _consented_profile(self, sender_id: str) -> tuple[bool, Profile]:
        """Whether the user consents, and then their profile (else an empty one), in one read."""
        consent, stored = Profile.load_with_consent(self._store, sender_id)
        return (True, stored) if consent is True else (False, _anonymous(sender_id))

    def summary(self, sender_id: str) -> ProfileSummary:
        """Everything stored that shapes the picks, in words (the stored data, consent or not)."""
        self._recorder.try_flush()
        consent, profile = Profile.load_with_consent(self._store, sender_id)  # one read for both
        feedback = profile.latest_feedback()
        catalog = self.catalog

        def labels(ids: list[str]) -> list[str]:
            return [catalog.by_id[i].label for i in ids if i in catalog]

        now = utcnow()
        learned = learned_categories(profile, catalog, now)
        return ProfileSummary(
            known=profile.known,
            onboarded=profile.onboarded,
            consent=consent,
            categories=list(profile.categories) + list(profile.interests),
            avoid_categories=list(profile.avoid_categories) + list(profile.avoid_interests),
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
        assigned = self._experiments.variant(sender_id, now) if consents else None
        return {"experiment": assigned[0].name, "variant": assigned[1].name} if assigned else {}

    def _segment_of(self, profile: Profile, now: datetime) -> str | None:
        """The label of the segment nearest the user's taste; None without segments or taste."""
        segments = self._served.segments
        taste = self._served.version.recommender.query_vector(profile, Request(), now) if segments else None
        return None if taste is None else segments.nearest(taste).label

    def build_segments(self, k: int | None = None) -> Segments:
        """Cluster every consenting user's taste (``bot segments build``), save the segments
        beside the index and use them from now on. Raises SegmentsUnavailable with too few users."""
        now = utcnow()
        version = self._served.version
        recommender, catalog = version.recommender, version.catalog
        tastes, leanings = {}, {}
        for sender_id in self._store.consenting_senders():
            profile = Profile.load(self._store, sender_id)
            taste = recommender.query_vector(profile, Request(), now)
            if taste is not None:
                tastes[sender_id] = taste
                leanings[sender_id] = learned_categories(profile, catalog, now) + Counter(profile.categories)
        segments = build_segments(tastes, leanings, k, now)
        self._served.use_segments(segments)
        return segments

    def current_segments(self) -> Segments | None:
        """The users' segments as last built (``bot segments build``); None before."""
        return self._served.segments

    def experiment_report(self, name: str) -> Report:
        """How the experiment's variants do so far (``bot experiments report``); KeyError if
        no experiment has that name."""
        experiment = self._experiments.named(name)
        events = self._store.feedback_log([EventType.IMPRESSION, *OUTCOMES], experiment.start, experiment.end,
                                          live_only=True)
        return compare(experiment, tally(events))

    def defined_experiments(self) -> list[Experiment]:
        """Every experiment in the experiments file, running or not."""
        return list(self._experiments.experiments)

    def running_experiment(self, now: datetime | None = None) -> Experiment | None:
        return self._experiments.running(now or utcnow())

    def analytics(self, days: int = 30, now: datetime | None = None) -> Analytics:
        """The analytics page's numbers over the last ``days`` (bot/analytics.py)."""
        until = now or utcnow()
        since = until - timedelta(days=days)
        events = self._store.feedback_log([EventType.IMPRESSION, *OUTCOMES], since, until, live_only=True)
        conversations = self._records.conversations_per_day(since, until)
        segment_of = None
        if self._served.segments:
            profiles = Profile.load_tastes(self._store, (sender for sender, *_ in events))
            segment_of = {sender: self._segment_of(profile, until) for sender, profile in profiles.items()}.get
        return analytics(events, conversations, since, until, segment_of, self._experiments.running(until))

    def item(self, item_id: str) -> Item:
        """The catalog's item; UnknownItem if there is none with that id."""
        try:
            return self.catalog.by_id[item_id]
        except KeyError:
            raise UnknownItem(item_id) from None

    def read_wish(self, text: str) -> Wish:
        """What a typed request asks for: titles named, categories, topic, what to avoid, constraints."""
        version = self._served.version
        questionnaire = self.questionnaire
        return WishReader(version.catalog, version.matcher, (questionnaire.item, questionnaire.items)).read(text)

    def read_intent(self, text: str) -> IntentReading | None:
        """The intent of a typed message by its meaning (None without a trained intent model:
        then Rasa's own reading stands)."""
        if self._intents is None:
            return None
        return self._intents.read(text, self._encoder.encode_query(text))

    def match_categories(self, text: str) -> list[str]:
        """The catalog's categories named in the text."""
        return self.catalog.find_categories(text)

    def match_titles(self, text: str, limit: int = 2) -> tuple[list[TitleMatch], list[str]]:
        """Items the text names (by title, or described), and the parts that matched none."""
        return self._served.version.matcher.match_many(text, limit=limit)

    def match_interest(self, text: str) -> str | None:
        """A free-text taste that is no category but matches catalog items, else None."""
        return match_interest(text, self._served.version.index, self._encoder)

    # --- recommending ------------------------------------------------------------

    def recommend(
        self,
        sender_id: str,
        n: int = 5,
        category: str | None = None,
        like_item: str | None = None,
        wish: Wish = Wish(),
        channel: str = "unknown",
        now: datetime | None = None,
        exclude: Iterable[str] = (),
    ) -> Picks:
        """Personalized picks (popular ones without consent), never those in ``exclude``: of
        ``category`` and like ``like_item`` (a button's or the API's), and as a typed request's
        ``wish`` asks (:meth:`read_wish`). With consent, what is shown is logged as impressions
        (not repeated soon). With the database unavailable: the popular picks, marked
        ``profile_unavailable``."""
        version = self._served.version  # one catalog version for the whole request
        seeds = ((like_item,) if like_item else ()) + wish.items
        if unknown := [item_id for item_id in seeds if item_id not in version.catalog]:
            raise UnknownItem(unknown[0])
        request = Request(n=n, categories=(category,) if category else wish.categories, seed_items=seeds,
                          constraints=wish.constraints, topic=wish.topic, avoid_categories=wish.avoid_categories,
                          avoid_topics=wish.avoid_topics, exclude=frozenset(exclude))
        self._recorder.try_flush()
        try:
            personal, profile = self._consented_profile(sender_id)
            popularity = self._popularity.current()
        except StoreUnavailable as error:
            log.warning("%s; recommending without the user's profile", error)
            return Picks(version.recommender.recommend(_anonymous(sender_id), request,
                                                       popularity=self._popularity.last, now=now),
                         profile_unavailable=True)
        if personal and (assigned := self._experiments.variant(sender_id, now or utcnow())):
            profile, request = _ranked_as(assigned[1], profile, request)
        recommendations = version.recommender.recommend(profile, request, popularity=popularity, now=now)
        if recommendations and personal:
            self._recorder.record(sender_id, [(EventType.IMPRESSION, r.item.id, category) for r in recommendations],
                                  channel, now)
        return Picks(recommendations)

    def explain(self, sender_id: str, item_id: str) -> list[str]:
        """Why an item fits this user now, from the same components that rank it."""
        version = self._served.version
        if item_id not in version.catalog:
            raise UnknownItem(item_id)
        popularity = self._popularity.current()
        profile, request = self._ranked_view(sender_id)
        return version.recommender.explain(profile, item_id, popularity=popularity, request=request)

    def _ranked_view(self, sender_id: str) -> tuple[Profile, Request]:
        """The profile and plain request the user's picks are ranked with: their experiment
        variant's view of them."""
        personal, profile = self._consented_profile(sender_id)
        assigned = self._experiments.variant(sender_id, utcnow()) if personal else None
        return _ranked_as(assigned[1], profile, Request()) if assigned else (profile, Request())

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
        self._recorder.try_flush()
        return self._recorder.record(sender_id, [(EventType(type), item_id, category)], channel, at)

    def flush_outbox(self) -> int:
        """Store the events queued while the database was unavailable (each only if its user
        consents now); the number written. Raises StoreUnavailable if it still is."""
        return self._recorder.flush()

    def save_preferences(
        self,
        sender_id: str,
        categories: list[str],
        loved_items: list[str],
        avoid_categories: list[str],
    ) -> bool:
        """Store questionnaire answers (only with consent: else False); stated tastes and
        avoidances that are no category become (avoided) interests."""
        for item_id in loved_items:
            self.item(item_id)
        known = self.catalog.category_counts()
        return self._store.set_preferences(
            sender_id,
            {
                PreferenceKind.CATEGORY: [c for c in categories if c in known],
                PreferenceKind.INTEREST: [c for c in categories if c not in known],
                PreferenceKind.ITEM: loved_items,
                PreferenceKind.AVOID_CATEGORY: [c for c in avoid_categories if c in known],
                PreferenceKind.AVOID_INTEREST: [c for c in avoid_categories if c not in known],
            },
            if_consented=True,
        )

    def avoid(self, sender_id: str, wish: Wish) -> bool:
        """Keep what a wish said is never wanted ("i hate musicals", "never anything with glass")
        with the user's other preferences (only with consent: else False)."""
        known = self.catalog.category_counts()
        return self._store.add_preferences(sender_id, {
            PreferenceKind.AVOID_CATEGORY: [c for c in wish.avoid_categories if c in known],
            PreferenceKind.AVOID_INTEREST: list(wish.avoid_topics)})

    # --- consent and privacy -------------------------------------------------------

    def consent(self, sender_id: str) -> bool | None:
        """The user's newest consent decision to be remembered; None if never asked."""
        return self._records.consent(sender_id)

    def set_consent(self, sender_id: str, granted: bool, channel: str = "unknown") -> None:
        """Withdrawing deletes the user's events: they stop counting for others too."""
        self._records.set_consent(sender_id, granted, channel)
        if not granted:
            self._popularity.forget()

    def personalizes(self, sender_id: str) -> bool:
        """Only users who said yes are remembered and get personalized picks."""
        return self.consent(sender_id) is True

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about the user (both databases) with the profile in words."""
        self._recorder.try_flush()
        data = self._records.export(sender_id)
        if data is not None:
            data["profile"] = asdict(self.summary(sender_id))
        return data

    def export_link(self, sender_id: str) -> str | None:
        """A one-time, expiring download address of the user's export (the web app serves it);
        None when nothing is stored about the user (no link, and no row created for one)."""
        if self._records.export(sender_id) is None:
            return None
        return f"{self._settings_or_defaults().public_url}/export/{self._records.create_export_token(sender_id)}"

    def redeem_export_token(self, token: str) -> dict[str, Any] | None:
        """One download per token, within its lifetime; the user's export or None."""
        sender_id = self._records.redeem_export_token(token)
        return None if sender_id is None else self.export(sender_id)

    def erase(self, sender_id: str) -> dict[str, int]:
        """Forget the user completely: engine rows, conversation, in-memory interest vectors."""
        preferences = self._store.preferences(sender_id)
        interests = preferences[PreferenceKind.INTEREST] + preferences[PreferenceKind.AVOID_INTEREST]
        erased = self._records.erase(sender_id)
        self._served.version.recommender.forget_interests(interests)
        self._popularity.forget()
        return erased

    def link_anonymous(self, anonymous_id: str, sender_id: str) -> Linked:
        """A visitor who chatted anonymously signed in: their profile joins the user's."""
        return self._records.link_anonymous(anonymous_id, sender_id)

    def link_account(self, channel_sender_id: str, message: str, channel: str) -> AccountLink:
        """A Slack or Telegram user typed the code the shop's "link my account" page showed
        them (somewhere in ``message``): from now on that chat shares the shop user's profile."""
        return self._records.link_account(channel_sender_id, message, channel)

    def unlink_account(self, channel_sender_id: str, channel: str) -> bool:
        """"Unlink my account" in a linked Slack or Telegram chat: it is its own profile again;
        False if it was not linked."""
        return self._records.unlink_account(channel_sender_id, channel)

    def profile_id(self, sender_id: str, channel: str) -> str:
        """Whose profile a conversation reads and writes: the shop user's for a Slack or
        Telegram chat linked with a code, else the sender's own."""
        return self._records.profile_id(sender_id, channel)

    def purge(self, older_than_days: int | None = None) -> dict[str, int]:
        """Delete events and conversation turns older than the retention period."""
        days = older_than_days or self._settings_or_defaults().retention_days
        purged = self._records.purge(timedelta(days=days))
        self._popularity.forget()
        return purged

    # --- human handoff -----------------------------------------------------------

    @property
    def handoff_available(self) -> bool:
        """Whether any support agent can sign in to take conversations (BOT_AGENT_TOKENS)."""
        return bool(self._settings and self._settings.agent_tokens)

    @property
    def support_contact(self) -> str | None:
        """How customers reach support outside this chat (BOT_SUPPORT_CONTACT), if configured."""
        return self._settings.support_contact if self._settings else None

    def request_handoff(self, sender_id: str, channel: str, reason: HandoffReason) -> tuple[Handoff, bool]:
        """Put the conversation in the agents' queue (once); True if it was queued now."""
        return self._records.request_handoff(sender_id, channel, reason)

    def open_handoff_of(self, sender_id: str) -> Handoff | None:
        """The user's waiting or active handoff, if any."""
        return self._records.open_handoff_of(sender_id)

    def handoff_brief(self, handoff_id: int, turns: int = BRIEF_TURNS) -> HandoffBrief | None:
        """What an agent reads first: the user's tastes, what they were shown and how they
        reacted, and the conversation's last turns (everything said during the handoff too)."""
        handoff = self._records.handoff(handoff_id)
        if handoff is None:
            return None
        catalog = self.catalog

        def described(event) -> dict[str, Any]:
            item = catalog.by_id.get(event.item_id) if event.item_id else None
            return {"type": str(event.type), "item_id": event.item_id,
                    "title": item.label if item else None, "at": event.created_at.isoformat()}

        sender_id = handoff.sender_id
        shown = self._store.events(sender_id, types=[EventType.IMPRESSION], limit=BRIEF_EVENTS)
        reactions = self._store.events(sender_id, types=[t for t in EventType if t not in BOT_EVENTS],
                                       limit=BRIEF_EVENTS)
        conversation = self._records.conversation(sender_id)
        return HandoffBrief(handoff, self.summary(sender_id), [described(e) for e in shown],
                            [described(e) for e in reactions], conversation[-turns:])
