"""The agent console's API (bot.web.agents): sign-in, queue, brief, replies and the return
to the bot, with Rasa's HTTP API played by an httpx mock that records every call."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fake_rasa import FakeRasa
from fastapi.testclient import TestClient

from bot.records import Records
from bot.vocabulary import HandoffReason, utcnow
from bot.web.agents import RASA_API_OFF, return_unanswered, sweep_unanswered
from bot.web.app import create_app
from bot.web.auth import BAD_AGENT_TOKEN, CONSOLE_DISABLED
from bot.web.rasa_api import RasaApi

ANNA, BEN = "anna-token-0123456789", "ben-token-0123456789"
AS_ANNA = {"Authorization": f"Bearer {ANNA}"}
AS_BEN = {"Authorization": f"Bearer {BEN}"}
RASA_TOKEN = "rasa-api-token"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def agent_settings(settings):
    return dataclasses.replace(settings, agent_tokens={"anna": ANNA, "ben": BEN}, rasa_token=RASA_TOKEN)


@pytest.fixture
def client(agent_settings, engine, rasa) -> TestClient:
    api = RasaApi("http://rasa.test", RASA_TOKEN, transport=httpx.MockTransport(rasa))
    return TestClient(create_app(agent_settings, engine_factory=lambda _: engine, rasa=api))


@pytest.fixture
def records(store) -> Records:
    """The engine's database, as the web app's agent queue and sweep read it."""
    return Records(store)


@pytest.fixture
def waiting(engine):
    handoff, _ = engine.request_handoff("web-user-1", "socketio", HandoffReason.ASKED)
    return handoff


def test_the_console_page_is_served_and_its_script_exists(client):
    page = client.get("/agent")
    assert page.status_code == 200 and "/static/agent.js" in page.text
    assert client.get("/static/agent.js").status_code == 200


def test_agents_sign_in_with_their_own_token_only(client):
    assert client.get("/api/agent/me", headers=AS_ANNA).json() == {"name": "anna"}
    assert client.get("/api/agent/me", headers=AS_BEN).json() == {"name": "ben"}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {ANNA}x"}):
        answer = client.get("/api/agent/handoffs", headers=headers)
        assert answer.status_code == 401 and answer.json()["detail"] == BAD_AGENT_TOKEN


def test_without_agents_configured_the_console_api_is_closed(settings, engine):
    closed = TestClient(create_app(settings, engine_factory=lambda _: engine))
    answer = closed.get("/api/agent/me", headers=AS_ANNA)
    assert answer.status_code == 503 and answer.json()["detail"] == CONSOLE_DISABLED


def test_the_queue_and_the_brief(client, engine, waiting):
    queue = client.get("/api/agent/handoffs", headers=AS_ANNA).json()
    assert [(h["id"], h["sender_id"], h["status"], h["reachable"]) for h in queue] == [
        (waiting.id, "web-user-1", "waiting", True)
    ]
    brief = client.get(f"/api/agent/handoffs/{waiting.id}", headers=AS_ANNA).json()
    assert brief["handoff"]["reason"] == "asked for a person"
    assert set(brief) == {"handoff", "profile", "recent_recommendations", "recent_feedback", "transcript"}
    assert client.get("/api/agent/handoffs/999", headers=AS_ANNA).status_code == 404


def test_a_reply_takes_the_conversation_and_goes_to_the_users_channel_through_rasa(client, rasa, waiting):
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/messages", json={"text": " Hi, Anna here! "},
                         headers=AS_ANNA)

    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["agent"]) == ("active", "anna")
    assert rasa.calls == [(
        "POST", "/conversations/web-user-1/tracker/events",
        {"token": RASA_TOKEN, "output_channel": "latest", "execute_side_effects": "true"},
        [{"event": "bot", "text": "anna (support): Hi, Anna here!", "metadata": {"agent": "anna"}}],
    )]


def test_another_agent_cannot_reply_to_or_return_a_taken_conversation(client, rasa, waiting):
    assert client.post(f"/api/agent/handoffs/{waiting.id}/take", headers=AS_ANNA).status_code == 200

    for path, body in (("messages", {"text": "hello"}), ("return", None), ("take", None)):
        answer = client.post(f"/api/agent/handoffs/{waiting.id}/{path}", json=body, headers=AS_BEN)
        assert answer.status_code == 409 and "anna" in answer.json()["detail"]
    assert rasa.calls == []


def test_returning_to_the_bot_resumes_it_in_rasa_then_closes_the_handoff(client, rasa, records, waiting):
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/return", headers=AS_ANNA)

    assert answer.status_code == 200 and answer.json()["status"] == "closed"
    assert [(path, body) for _, path, _, body in rasa.calls] == [
        ("/conversations/web-user-1/tracker/events",
         [{"event": "resume"}, {"event": "action", "name": "action_listen"}]),
        ("/conversations/web-user-1/trigger_intent", {"name": "handed_back"}),
    ]
    assert rasa.calls[1][2] == {"token": RASA_TOKEN, "output_channel": "latest"}
    assert records.open_handoffs() == []
    again = client.post(f"/api/agent/handoffs/{waiting.id}/return", headers=AS_ANNA)
    assert again.status_code == 409


def test_when_rasa_fails_the_agent_is_told_and_the_handoff_stays_open(client, rasa, records, waiting):
    rasa.status = 401
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/return", headers=AS_ANNA)

    assert answer.status_code == 502 and "BOT_RASA_TOKEN" in answer.json()["detail"]
    assert [h.id for h in records.open_handoffs()] == [waiting.id]


def test_unreachable_rasa_is_a_502_naming_the_address(agent_settings, engine, waiting):
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    api = RasaApi("http://rasa.test", RASA_TOKEN, transport=httpx.MockTransport(refuse))
    client = TestClient(create_app(agent_settings, engine_factory=lambda _: engine, rasa=api))
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/messages", json={"text": "hi"}, headers=AS_ANNA)
    assert answer.status_code == 502 and "http://rasa.test" in answer.json()["detail"]


def test_a_rest_channel_user_cannot_be_sent_replies(client, rasa, engine):
    handoff, _ = engine.request_handoff("api-user", "rest", HandoffReason.ASKED)
    answer = client.post(f"/api/agent/handoffs/{handoff.id}/messages", json={"text": "hi"}, headers=AS_ANNA)
    assert answer.status_code == 409 and "rest" in answer.json()["detail"]
    assert rasa.calls == []


@pytest.mark.parametrize("body", [{"text": "   "}, {"text": ""}, {}, {"text": "x" * 4001}, {"text": "hi", "x": 1}])
def test_empty_or_malformed_replies_are_refused(client, rasa, waiting, body):
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/messages", json=body, headers=AS_ANNA)
    assert answer.status_code == 422
    assert rasa.calls == []


def test_without_a_rasa_token_replies_cannot_be_sent(agent_settings, engine, waiting):
    client = TestClient(create_app(dataclasses.replace(agent_settings, rasa_token=None),
                                   engine_factory=lambda _: engine))
    answer = client.post(f"/api/agent/handoffs/{waiting.id}/messages", json={"text": "hi"}, headers=AS_ANNA)
    assert answer.status_code == 503 and answer.json()["detail"] == RASA_API_OFF


def test_sender_ids_are_escaped_in_rasa_paths(client, rasa, engine):
    handoff, _ = engine.request_handoff("team/42?x=1", "slack", HandoffReason.ASKED)
    client.post(f"/api/agent/handoffs/{handoff.id}/messages", json={"text": "hi"}, headers=AS_ANNA)
    assert rasa.calls[0][1] == "/conversations/team%2F42%3Fx%3D1/tracker/events"


def test_the_agent_endpoints_are_in_the_openapi_page(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/agent/handoffs", "/api/agent/handoffs/{handoff_id}/messages",
            "/api/agent/handoffs/{handoff_id}/return"} <= set(paths)


# --- nobody answered: back to the bot ----------------------------------------------------------


def test_users_no_agent_answered_in_time_go_back_to_the_bot(engine, records, rasa, waiting):
    api = RasaApi("http://rasa.test", RASA_TOKEN, transport=httpx.MockTransport(rasa))
    taken, _ = engine.request_handoff("taken-user", "socketio", HandoffReason.ASKED)
    records.take_handoff(taken.id, "anna")

    assert return_unanswered(records, api, timedelta(minutes=10)) == 0  # not yet
    assert return_unanswered(records, api, timedelta(minutes=10), now=utcnow() + timedelta(minutes=11)) == 1

    assert [(path, body) for _, path, _, body in rasa.calls] == [
        ("/conversations/web-user-1/tracker/events",
         [{"event": "resume"}, {"event": "action", "name": "action_listen"}]),
        ("/conversations/web-user-1/trigger_intent", {"name": "handoff_timed_out"}),
    ]
    assert [h.sender_id for h in records.open_handoffs()] == ["taken-user"]  # an agent has that one


def test_a_failed_return_is_logged_and_the_sweep_goes_on(engine, records, rasa, caplog):
    rasa.status = 500
    api = RasaApi("http://rasa.test", RASA_TOKEN, transport=httpx.MockTransport(rasa))
    for sender in ("a", "b"):
        engine.request_handoff(sender, "socketio", HandoffReason.ASKED)

    with caplog.at_level(logging.ERROR, logger="bot.web.agents"):
        returned = return_unanswered(records, api, timedelta(minutes=1), now=utcnow() + timedelta(hours=1))

    assert returned == 2 and len(rasa.calls) == 2  # one failed call each, then on to the next
    assert caplog.text.count("could not return handoff") == 2


def test_the_sweeper_runs_until_cancelled(records, rasa, waiting):
    api = RasaApi("http://rasa.test", RASA_TOKEN, transport=httpx.MockTransport(rasa))

    async def sweep_once():
        task = asyncio.create_task(sweep_unanswered(lambda: records, api, timedelta(0), interval_s=0.01))
        while not rasa.calls:
            await asyncio.sleep(0.01)
        task.cancel()

    # In a thread of its own: Playwright's sync API (the browser tests) keeps an event loop
    # running in the main thread for the rest of the session.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, asyncio.wait_for(sweep_once(), timeout=30)).result()
    assert rasa.calls[-1][1] == "/conversations/web-user-1/trigger_intent"
