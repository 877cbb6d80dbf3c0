"""An action server that accepts the request and never answers: after BOT_ACTION_TIMEOUT_S the
Rasa server apologizes (rasa_plugins/action_server_down.py) instead of keeping the user
waiting Rasa's own 5-minute timeout."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from test_action_server_down import DOWN

TIMEOUT_S = 3


@pytest.fixture(scope="module")
def hanging_action_server() -> Iterator[str]:
    """The URL of a server that reads requests and never answers them."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)  # never answered, closed when the test ends

    threading.Thread(target=hold, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"
    listener.close()
    for connection in held:
        connection.close()


@pytest.fixture(scope="module")
def services(rasa_model, index, state_dir, services_factory, hanging_action_server):
    yield from services_factory(rasa_model, state_dir, {
        "ACTION_ENDPOINT_URL": hanging_action_server, "BOT_ACTION_TIMEOUT_S": str(TIMEOUT_S),
    })


def test_a_hanging_action_server_gets_an_apology_after_the_timeout(services):
    # The session start and the recommendation each wait TIMEOUT_S. Without the plugin's
    # timeout Rasa would wait 300 s, and `say` gives up after 120 s with an error.
    assert services.say("patient-user", "recommend me something").texts == [DOWN]
