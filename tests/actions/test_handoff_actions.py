"""Handing over to a person: "talk to a human", support requests and the second fallback in
a row. Exact events and messages, as returned to Rasa."""

from __future__ import annotations

import dataclasses

import pytest
from dispatched import message

from actions.handoff import ALREADY_QUEUED, ActionFallback, ActionHandoff
from bot.records import Records
from bot.vocabulary import HandoffStatus

PAUSED = {"event": "pause", "timestamp": None}


def response(name):
    return {**message(None), "response": name, "template": name}  # rasa_sdk sets both


@pytest.fixture
def with_agents(engine_with, settings):
    """Support agents can sign in (BOT_AGENT_TOKENS is set)."""
    return engine_with(settings=dataclasses.replace(settings, agent_tokens={"anna": "a" * 16}))


@pytest.fixture
def queue(store) -> Records:
    """The agents' queue, as their console reads it."""
    return Records(store)


def on_channel(tracker, name):
    tracker.latest_message = dict(tracker.latest_message)
    for event in tracker.events:
        if event.get("event") == "user":
            event["input_channel"] = name
    return tracker


def test_asking_for_a_human_queues_the_conversation_and_pauses_the_bot(run, tracker, with_agents, queue):
    events, messages = run(ActionHandoff(), tracker("handoff_request"))

    assert events == [PAUSED]
    assert messages == [response("utter_handoff")]
    [queued] = queue.open_handoffs()
    assert (queued.sender_id, queued.channel, queued.reason, queued.status) == (
        "alice", "socketio", "asked for a person", HandoffStatus.WAITING)


def test_a_support_request_is_queued_with_its_reason(run, tracker, with_agents, queue):
    request = tracker("handoff_request")
    request.latest_message["intent"] = {"name": "support_request", "confidence": 0.9}

    run(ActionHandoff(), request)

    assert [h.reason for h in queue.open_handoffs()] == ["support request"]


def test_asking_again_while_queued_does_not_queue_twice(run, tracker, with_agents, queue):
    run(ActionHandoff(), tracker("handoff_request"))
    events, messages = run(ActionHandoff(), tracker("handoff_request"))

    assert events == [PAUSED]
    assert messages == [message(ALREADY_QUEUED)]
    assert len(queue.open_handoffs()) == 1


def test_asking_mid_questionnaire_ends_the_form_first(run, tracker, with_agents):
    form = on_channel(tracker("form_consent"), "socketio")
    form.latest_message["intent"] = {"name": "request_human", "confidence": 0.95}

    events, _ = run(ActionHandoff(), form)

    assert events == [{"event": "active_loop", "timestamp": None, "name": None},
                      {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None}, PAUSED]


def test_without_agents_the_bot_says_so_and_keeps_answering(run, tracker, queue):
    events, messages = run(ActionHandoff(), tracker("handoff_request"))

    assert events == []
    assert messages == [response("utter_handoff_unavailable")]
    assert queue.open_handoffs() == []


def test_on_a_channel_that_cannot_receive_an_agents_reply_nobody_is_queued(run, tracker, with_agents, queue):
    events, messages = run(ActionHandoff(), on_channel(tracker("handoff_request"), "rest"))

    assert events == []
    assert messages == [response("utter_handoff_unreachable")]
    assert queue.open_handoffs() == []


def test_the_first_misunderstanding_gets_the_usual_help(run, tracker, with_agents, queue):
    once = tracker("fallback_twice")
    once.events = once.events[:4]  # only the first unclear message

    events, messages = run(ActionFallback(), once)

    assert (events, messages) == ([], [response("utter_default")])
    assert queue.open_handoffs() == []


def test_the_second_misunderstanding_in_a_row_hands_over(run, tracker, with_agents, queue):
    events, messages = run(ActionFallback(), tracker("fallback_twice"))

    assert events == [PAUSED]
    assert messages == [message("Sorry, I still don't understand. Let me find a person to help you."),
                        response("utter_handoff")]
    assert [h.reason for h in queue.open_handoffs()] == ["the bot did not understand twice"]


def test_two_misunderstandings_with_a_clear_message_between_are_not_a_row(run, tracker, with_agents):
    interrupted = tracker("fallback_twice")
    clear = dict(interrupted.events[3], text="recommend something",
                 parse_data={"intent": {"name": "request_recommendations", "confidence": 0.99}})
    interrupted.events.insert(-1, clear)

    assert run(ActionFallback(), interrupted) == ([], [response("utter_default")])


def test_without_agents_repeated_misunderstandings_keep_getting_help(run, tracker, action_engine):
    assert run(ActionFallback(), tracker("fallback_twice")) == ([], [response("utter_default")])


def test_a_new_session_during_a_handoff_stays_paused(run, tracker, with_agents):
    from actions.session import ActionSessionStart

    quiet, _ = run(ActionSessionStart(), tracker("handoff_request"))
    run(ActionHandoff(), tracker("handoff_request"))
    paused, _ = run(ActionSessionStart(), tracker("handoff_request"))

    assert PAUSED not in quiet
    assert paused[-2] == PAUSED and paused[-1]["name"] == "action_listen"
