"""Faults between the two servers: with the action server down the Rasa server still answers
(rasa_plugins/action_server_down.py) and recovers by itself when it is back."""

from __future__ import annotations

import requests

DOWN = "Sorry, part of me isn't working right now, so I couldn't do that. Please try again in a minute."


def test_with_the_action_server_down_the_bot_says_so_and_recovers_when_it_is_back(services):
    user = "outage-user"
    actions = services.processes[0]  # started first (Services.start)
    actions.terminate()
    actions.wait(timeout=30)
    services.processes.remove(actions)

    try:
        down = services.say(user, "recommend me something")
        assert down.texts == [DOWN]
        assert services.say(user, "any good comedies?").texts == [DOWN]  # every time, not only once
    finally:  # the servers are shared with the rest of the run
        services.start_actions()
        services._wait(f"http://127.0.0.1:{services.actions_port}/health")
    back = services.say(user, "recommend me something")
    assert DOWN not in back.texts
    assert len(back.picks) == 5
    assert requests.get(services.rasa_url + "/", timeout=5).ok
