"""What the action server takes as Rasa's secret and as an action call (actions/guard.py);
tests/e2e/test_lockdown.py tries both against the running server."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from sanic.exceptions import MethodNotAllowed, NotFound
from sanic.response import text

from actions.guard import FAILED, bearer_token, http_error, is_action_call, no_echo

CALL = {"next_action": "action_show_profile", "domain": {},
        "tracker": {"sender_id": "alice", "slots": {}, "events": []}}


@pytest.mark.parametrize("header, token", [
    ("Bearer s3cret", "s3cret"), ("bearer  s3cret ", "s3cret"),
    (None, None), ("", None), ("Bearer", None), ("Bearer ", None), ("Basic s3cret", None), ("s3cret", None),
])
def test_only_a_bearer_header_carries_the_secret(header, token):
    request = SimpleNamespace(headers={} if header is None else {"authorization": header})
    assert bearer_token(request) == token


def test_an_action_call_names_an_action_and_a_tracker_with_a_sender():
    assert is_action_call(CALL)
    assert is_action_call({"next_action": "action_show_profile", "tracker": {"sender_id": "alice"}})


@pytest.mark.parametrize("broken", [
    None, [], "call", {}, {**CALL, "next_action": 5}, {**CALL, "tracker": "alice"},
    {**CALL, "tracker": {"slots": {}}}, {**CALL, "tracker": {"sender_id": 7}},
    {**CALL, "tracker": {"sender_id": "alice", "events": {}}},
    {**CALL, "tracker": {"sender_id": "alice", "slots": []}}, {**CALL, "domain": []},
])
def test_anything_else_is_no_action_call(broken):
    assert not is_action_call(broken)


def test_a_failure_answers_without_the_request_or_the_exception():
    echoed = text('{"error": "KeyError(\'tracker\')", "request_body": {"sender_id": "alice"}}', status=500)

    answer = asyncio.run(no_echo(None, echoed))

    assert answer.status == 500 and json.loads(answer.body) == FAILED
    assert asyncio.run(no_echo(None, text("fine"))) is None  # any other answer is left as it is


@pytest.mark.parametrize("refusal, status, said", [(NotFound("Requested URL /alice not found"), 404, "not found"),
                                                   (MethodNotAllowed("GET /webhook", "GET", ["POST"]), 405,
                                                    "method not allowed")])
def test_sanics_refusals_keep_their_status_but_not_their_text(refusal, status, said):
    answer = asyncio.run(http_error(None, refusal))
    assert answer.status == status and json.loads(answer.body) == {"error": said}
