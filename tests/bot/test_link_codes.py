"""A Slack or Telegram user links their chat to the shop's profile with a one-time code
(bot/linking.py, Store.redeem_link_code, through the Records door): issued, used once, expired,
wrong, replaced, kept only as a hash, guessed at most LINK_CODE_MISSES times an hour; the chat's
profile is the shop user's from then on (until it is unlinked), and erasing it from the chat
erases the shop's profile.
On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from fake_conversations import Conversations
from sqlalchemy import select

from bot import linking
from bot.records import Records
from bot.schema import LinkAttempt, LinkCode
from bot.store import Store
from bot.vocabulary import LINK_CODE_MISS_WINDOW, LINK_CODE_MISSES, LINK_CODE_TTL, EventType, LinkOutcome, utcnow

USER = "shop-user-42"
OTHER = "shop-user-7"
SLACK = "U024BE7LH"
TELEGRAM = "931245876"


@pytest.fixture
def store(database_url) -> Store:
    store = Store(database_url)
    yield store
    store.engine.dispose()


@pytest.fixture
def conversations() -> Conversations:
    return Conversations(**{SLACK: [{"said": "link my account"}], USER: [{"said": "hi"}]})


@pytest.fixture
def records(store, conversations) -> Records:
    return Records(store, conversations)


def typed(code: str) -> str:
    return f"link my account {code}"


def wrong_code(right: str) -> str:
    """A code of the right shape that is not ``right``."""
    return next(c for c in (linking.new_code() for _ in range(10)) if c != right)


def attempts(store: Store) -> list[str]:
    with store.reading() as session:
        return list(session.scalars(select(LinkAttempt.alias)))


# --- reading a code -----------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["link my account ABCD-2345", "link ABCD2345", "my code is abcd-2345",
                                     "send ABCD-2345 please", "code: abcd 2345", "ABCD\u20102345", "abcd-2345."])
def test_a_code_is_found_whatever_its_case_and_dash(message):
    assert linking.find_code(message) == "ABCD2345"


@pytest.mark.parametrize("message", ["link my account", "link my telegram account", "link my accounts now",
                                     "my code is abcd", "ABCD-23456", "XABCD-2345", "link WXYZ-HJKM"])
def test_words_and_other_strings_are_no_code(message):
    assert linking.find_code(message) is None


def test_new_codes_are_typable_and_read_back():
    codes = {linking.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code), code
        assert any(char.isdigit() for char in code)
        assert linking.find_code(typed(code.lower())) == code.replace("-", "")
    assert linking.code_hash("abcd2345") == linking.code_hash("ABCD-2345") != linking.code_hash("ABCD-2346")


# --- issuing and redeeming ------------------------------------------------------------------------


def test_a_code_links_the_chat_once(records, store):
    issued = records.link_code(USER)
    assert timedelta(0) < issued.expires_at - utcnow() <= LINK_CODE_TTL

    linked = records.link_account(SLACK, typed(issued.code), "slack")

    assert linked.outcome is LinkOutcome.LINKED
    assert store.linked_ids(USER) == [SLACK]
    assert records.profile_id(SLACK, "slack") == USER
    again = records.link_account(TELEGRAM, typed(issued.code), "telegram")
    assert again.outcome is LinkOutcome.WRONG_CODE  # used up
    assert records.profile_id(TELEGRAM, "telegram") == TELEGRAM
    assert attempts(store) == [TELEGRAM]  # the link's own try does not count as a miss


def test_the_chats_data_joins_the_profile_under_the_consent_rules(records, store):
    store.set_consent(SLACK, True, channel="slack")
    store.add_event(SLACK, EventType.LIKE, "alien-1979", channel="slack")

    linked = records.link_account(SLACK, typed(records.link_code(USER).code), "slack")

    assert (linked.linked.events, linked.linked.consent) == (1, True)
    assert [e.item_id for e in store.events(USER)] == ["alien-1979"]
    assert store.events(SLACK) == [] and store.consents(SLACK) == []


def test_an_expired_code_changes_nothing(records, store):
    expired = linking.AccountLinks(store).issue(USER, now=utcnow() - LINK_CODE_TTL - timedelta(seconds=1))

    assert records.link_account(SLACK, typed(expired.code), "slack").outcome is LinkOutcome.WRONG_CODE
    assert store.linked_ids(USER) == [] and records.profile_id(SLACK, "slack") == SLACK


def test_a_wrong_code_changes_nothing(records, store):
    issued = records.link_code(USER)

    assert records.link_account(SLACK, typed(wrong_code(issued.code)), "slack").outcome is LinkOutcome.WRONG_CODE
    assert store.linked_ids(USER) == []
    assert records.link_account(SLACK, typed(issued.code), "slack").outcome is LinkOutcome.LINKED  # still valid


def test_a_new_code_replaces_the_users_last_one(records, store):
    first, second = records.link_code(USER), records.link_code(USER)
    other = records.link_code(OTHER)

    assert records.link_account(SLACK, typed(first.code), "slack").outcome is LinkOutcome.WRONG_CODE
    assert records.link_account(SLACK, typed(second.code), "slack").outcome is LinkOutcome.LINKED
    assert records.link_account(TELEGRAM, typed(other.code), "telegram").outcome is LinkOutcome.LINKED
    assert (records.profile_id(SLACK, "slack"), records.profile_id(TELEGRAM, "telegram")) == (USER, OTHER)


def test_only_a_hash_of_the_code_is_stored(records, store):
    issued = records.link_code(USER)

    with store.reading() as session:
        [row] = session.scalars(select(LinkCode)).all()
    assert (row.sender_id, row.code_hash) == (USER, linking.code_hash(issued.code))
    stored = " ".join(str(value) for value in (row.sender_id, row.code_hash, row.expires_at))
    for shown in (issued.code, issued.code.replace("-", ""), issued.code.lower()):
        assert shown not in stored


def test_a_message_without_a_code_is_no_guess(records, store):
    assert records.link_account(SLACK, "link my account", "slack").outcome is LinkOutcome.NO_CODE
    assert attempts(store) == []


def test_codes_link_slack_and_telegram_chats_only(records):
    code = records.link_code(USER).code
    for channel in ("socketio", "rest"):
        with pytest.raises(ValueError):
            records.link_account("web-0f8fad5b-d9cb-469f-a165-70867728950e", typed(code), channel)


# --- guessing ------------------------------------------------------------------------------------


def test_after_five_wrong_codes_in_an_hour_none_is_checked(records, store):
    issued = records.link_code(USER)
    links = linking.AccountLinks(store)
    start = utcnow()
    for minute in range(LINK_CODE_MISSES):
        missed = links.link(SLACK, typed(wrong_code(issued.code)), "slack", now=start + timedelta(minutes=minute))
        assert missed.outcome is LinkOutcome.WRONG_CODE

    refused = links.link(SLACK, typed(issued.code), "slack", now=start + timedelta(minutes=6))

    assert refused.outcome is LinkOutcome.TOO_MANY_TRIES  # the right code, unchecked
    assert store.linked_ids(USER) == []
    assert len(attempts(store)) == LINK_CODE_MISSES  # a refusal does not lengthen the wait
    other_chat = links.link(TELEGRAM, typed(issued.code), "telegram", now=start + timedelta(minutes=7))
    assert other_chat.outcome is LinkOutcome.LINKED  # the limit is the guessing chat's, not the user's


def test_the_limit_lifts_an_hour_after_the_misses(records, store):
    links = linking.AccountLinks(store)
    start = utcnow() - LINK_CODE_MISS_WINDOW - timedelta(minutes=5)
    for minute in range(LINK_CODE_MISSES):
        links.link(SLACK, typed("ZZZZ-2222"), "slack", now=start + timedelta(minutes=minute))
    issued = records.link_code(USER)

    assert records.link_account(SLACK, typed(issued.code), "slack").outcome is LinkOutcome.LINKED
    assert attempts(store) == []  # the old misses are gone


def test_tries_made_at_once_are_checked_within_the_limit_only(records, store):
    records.link_code(USER)
    outcomes: list[LinkOutcome] = []

    def guess(number: int) -> None:
        outcomes.append(records.link_account(SLACK, typed(f"ZZZZ-{2000 + number}"), "slack").outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(3 * LINK_CODE_MISSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 3 * LINK_CODE_MISSES
    assert set(outcomes) <= {LinkOutcome.WRONG_CODE, LinkOutcome.TOO_MANY_TRIES}
    assert outcomes.count(LinkOutcome.WRONG_CODE) == len(attempts(store)) <= LINK_CODE_MISSES


# --- one profile ---------------------------------------------------------------------------------


def test_the_profile_of_a_chat_is_looked_up_on_its_own_channel_only(records):
    records.link_account(SLACK, typed(records.link_code(USER).code), "slack")

    assert records.profile_id(SLACK, "slack") == USER
    assert records.profile_id(SLACK, "socketio") == SLACK  # the website's senders are never aliases
    assert records.profile_id(SLACK, "telegram") == SLACK
    assert records.profile_id(USER, "slack") == USER


def test_erasing_from_the_linked_chat_erases_the_shop_profile_and_its_chats(records, store, conversations):
    store.set_consent(USER, True, channel="site")
    store.add_event(USER, EventType.PURCHASE, "heat-1995", channel="site")
    records.link_account(SLACK, typed(records.link_code(USER).code), "slack")
    records.link_code(USER)  # a code not used yet
    records.link_account(SLACK, typed("ZZZZ-2222"), "slack")  # and a miss of the chat

    erased = records.erase(records.profile_id(SLACK, "slack"))

    assert erased == {"engine": 1, "conversation_events": 2}
    assert conversations.turns == {}
    assert store.export(USER) is None and store.linked_ids(USER) == []
    assert records.profile_id(SLACK, "slack") == SLACK
    with store.reading() as session:
        assert session.scalars(select(LinkCode)).all() == [] and session.scalars(select(LinkAttempt)).all() == []


def test_an_unlinked_chat_is_its_own_profile_again(records, store):
    store.set_consent(SLACK, True, channel="slack")
    store.add_event(SLACK, EventType.LIKE, "alien-1979", channel="slack")
    records.link_account(SLACK, typed(records.link_code(USER).code), "slack")

    assert records.unlink_account(SLACK, "telegram") is False  # not as a Telegram chat
    assert records.unlink_account(SLACK, "slack") is True

    assert records.profile_id(SLACK, "slack") == SLACK and store.linked_ids(USER) == []
    assert [e.item_id for e in store.events(USER)] == ["alien-1979"]  # what linking moved stays
    assert store.consents(SLACK) == []  # the chat starts afresh: not remembered until it consents
    assert records.unlink_account(SLACK, "slack") is False
