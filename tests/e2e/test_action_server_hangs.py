"""An action server that accepts the request and never answers: after BOT_ACTION_TIMEOUT_S the
Rasa server apologizes (rasa_plugins/action_server_down.py) instead of keeping the user
waiting Rasa's own 5-minute timeout."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from live_servers import own_servers
from test_action_server_down import DOWN

TIMEOUT_S = 3


def hanging_action_server(request: pytest.FixtureRequest) -> str:
    """The URL of a server that reads requests and never answers them, until the run ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)  # never answered, closed when the run ends

    def close() -> None:
        listener.close()
        for connection in held:
            connection.close()

    threading.Thread(target=hold, daemon=True).start()
    request.addfinalizer(close)
    return f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"


HANGING = own_servers("hanging_actions", "hanging_services", lambda request: {
    "ACTION_ENDPOINT_URL": hanging_action_server(request), "BOT_ACTION_TIMEOUT_S": str(TIMEOUT_S),
})


@pytest.fixture(scope="module")
def hanging_services(own_set) -> Iterator:
    yield from own_set(HANGING)


def test_a_hanging_action_server_gets_an_apology_after_the_timeout(hanging_services):
    # The session start and the recommendation each wait TIMEOUT_S. Without the plugin's
    # timeout Rasa would wait 300 s, and `say` gives up after 120 s with an error.
    assert hanging_services.say("patient-user", "recommend me something").texts == [DOWN]
