"""`make run-scale` as users run it: scripts/run-scale starts two Rasa servers and two action
servers behind nginx, with the engine and the conversations on PostgreSQL (databases it creates)
and the locks in Redis.

Two users hold the same conversation through the balancer's REST channel, turn by turn, so
that every turn of each conversation goes to the other Rasa server than the turn before (nginx's
round robin) and, at every step, the two users are answered by different servers: the onboarding
form carries on across servers, both users get the same replies and picks, and the feedback
given through either server is in the engine's database. nginx's log shows that both action
servers ran actions. The socket.io channel works through the balancer too, over a websocket
and over long polling (which needs every request of a connection on one server).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, make_url, text
from websockets.sync.client import connect

from bot.config import PROJECT_ROOT
from bot.store import Store
from bot.vocabulary import EventType

SCALE_N = 2
READY_LINE = "Press Ctrl-C to stop."
START_TIMEOUT_S = 1200  # two Rasa servers and two action servers loading at once on 2 busy cores
STOP_TIMEOUT_S = 90
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = os.environ.get("TEST_REDIS_PORT", "6379")
REDIS_DB = os.environ.get("TEST_REDIS_DB", "0")
CONSENT_QUESTION = "May I remember your tastes and feedback"


def processes_in_session(session: int) -> list[int]:
    """Every process of a session (run-scale puts each server in a process group of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    found.append(int(entry.name))
            except ProcessLookupError:  # ended meanwhile
                pass
    return found


def distinct_free_ports(count: int) -> list[int]:
    """Ports free on loopback, all different (each socket stays bound until all are chosen)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass
class ScaleOut:
    """scripts/run-scale running; what the test needs to talk to it and to check on it."""

    process: subprocess.Popen
    output: Path
    log_dir: Path
    balancer: str  # nginx in front of the Rasa servers
    web: str
    rasa_servers: set[str]  # host:port behind the balancer
    action_servers: set[str]
    engine_url: str
    rasa_token: str
    rest_channel: Callable  # the rest_channel fixture

    def say(self, sender: str, message: str) -> tuple[list[dict], str]:
        """The bot's reply (a conftest Reply) through the balancer, and which Rasa server gave it."""
        reply, response = self.rest_channel(self.balancer, sender, message)
        return reply, response.headers["X-Upstream"]

    def logs(self) -> str:
        files = [self.output, *sorted(self.log_dir.glob("*.log"))]
        return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in files if f.exists())


@pytest.fixture(scope="module")
def missing_databases() -> Iterator[tuple[str, str]]:
    """URLs of an engine and a tracker database that do not exist yet (run-scale creates them)."""
    name = f"scale_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(POSTGRES_ADMIN_URL)
    urls = [admin_url.set(database=name).render_as_string(hide_password=False),
            admin_url.set(database=f"{name}_tracker").render_as_string(hide_password=False)]
    yield urls[0], urls[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for url in urls:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def lock_prefix() -> Iterator[str]:
    """A Redis key prefix of this run's conversation locks only; whatever is left is deleted."""
    prefix = "scale" + uuid.uuid4().hex[:12]
    yield prefix
    client = redis.Redis(host=REDIS_HOST, port=int(REDIS_PORT), db=int(REDIS_DB))
    leftover = list(client.scan_iter(f"{prefix}:*"))
    if leftover:
        client.delete(*leftover)
    client.close()


@pytest.fixture(scope="module")
def scale_out(rasa_model, index, state_dir, rasa_env, missing_databases, lock_prefix, rest_channel,
              tmp_path_factory) -> Iterator[ScaleOut]:
    """scripts/run-scale on free ports, a temporary directory and fresh databases; then Ctrl-C."""
    workdir = tmp_path_factory.mktemp("scale")
    # A state directory of its own (run-scale fits signals.npz there), with the session's embeddings.
    own_state = workdir / "state"
    own_state.mkdir()
    shutil.copy2(state_dir / "embeddings.npz", own_state / "embeddings.npz")
    balancer, actions_balancer, web, *backends = distinct_free_ports(3 + 2 * SCALE_N)
    rasa_ports, actions_ports = backends[:SCALE_N], backends[SCALE_N:]
    engine_url, tracker_url = missing_databases
    token = uuid.uuid4().hex
    env = {
        **{key: value for key, value in rasa_env.items() if not key.startswith("BOT_")},  # defaults only
        "HOST": "127.0.0.1", "SCALE_N": str(SCALE_N), "SCALE_DIR": str(workdir),
        "RASA_PORT": str(balancer), "ACTIONS_PORT": str(actions_balancer), "WEB_PORT": str(web),
        "RASA_SERVER_PORTS": " ".join(map(str, rasa_ports)),
        "ACTIONS_SERVER_PORTS": " ".join(map(str, actions_ports)),
        "BOT_STATE_DIR": str(own_state),
        "BOT_DATABASE_URL": engine_url, "BOT_TRACKER_URL": tracker_url,
        "REDIS_HOST": REDIS_HOST, "REDIS_PORT": REDIS_PORT, "REDIS_DB": REDIS_DB, "REDIS_KEY_PREFIX": lock_prefix,
        "BOT_RASA_TOKEN": token,
        # Never the developer's real Slack or Telegram bot.
        "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "",
    }
    output = workdir / "run-scale.out"
    with open(output, "wb") as out:
        # As in a terminal: a session of its own, where Ctrl-C reaches the script and everything it
        # started, and SIGINT not ignored (as it is when pytest itself was started in the background).
        process = subprocess.Popen(["scripts/run-scale"], cwd=PROJECT_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    running = ScaleOut(
        process=process, output=output, log_dir=workdir / "log",
        balancer=f"http://127.0.0.1:{balancer}", web=f"http://127.0.0.1:{web}",
        rasa_servers={f"127.0.0.1:{port}" for port in rasa_ports},
        action_servers={f"127.0.0.1:{port}" for port in actions_ports},
        engine_url=engine_url, rasa_token=token, rest_channel=rest_channel,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while READY_LINE not in output.read_text(errors="replace"):
            if process.poll() is not None:
                pytest.fail(f"scripts/run-scale stopped (exit {process.returncode}):\n{running.logs()}",
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"scripts/run-scale was not ready in {START_TIMEOUT_S} s:\n{running.logs()}",
                            pytrace=False)
            time.sleep(1)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        for pid in processes_in_session(process.pid):  # whatever a failed stop left running
            os.kill(pid, signal.SIGKILL)
        process.wait()


def conversation_script(picks: list[str]) -> list[str]:
    """What each user says; the feedback turns are about the first picks both users got."""
    script = ["hello", "yes", "sci-fi", "skip", "nothing"]
    if picks:
        script += [f'/dislike{{"item_id": "{picks[0]}"}}', f'/like{{"item_id": "{picks[1]}"}}',
                   "recommend me something", "hi"]
    return script


def test_two_users_get_the_same_answers_from_different_servers_at_every_turn(scale_out, catalog):
    bot = scale_out
    first, second = f"scale-a-{uuid.uuid4().hex[:8]}", f"scale-b-{uuid.uuid4().hex[:8]}"
    replies: dict[str, list] = {first: [], second: []}
    servers: dict[str, list[str]] = {first: [], second: []}

    def step(number: int, message: str) -> None:
        # Who goes first alternates, so that with round robin each user changes server every turn.
        for user in (first, second) if number % 2 == 0 else (second, first):
            reply, server = bot.say(user, message)
            replies[user].append(reply)
            servers[user].append(server)

    onboarding = conversation_script([])
    for number, message in enumerate(onboarding):
        step(number, message)
    picks = replies[first][-1].picks
    for number, message in enumerate(conversation_script(picks)[len(onboarding):], start=len(onboarding)):
        step(number, message)

    # Round robin: each turn of a conversation went to the other Rasa server than the turn before,
    # and at every step the two users were answered by different servers.
    for user in (first, second):
        assert set(servers[user]) == bot.rasa_servers
        assert all(a != b for a, b in zip(servers[user], servers[user][1:])), servers[user]
    assert all(a != b for a, b in zip(servers[first], servers[second]))

    # The onboarding form went on from server to server.
    texts = [reply.texts for reply in replies[first]]
    assert texts[0][-1].startswith(CONSENT_QUESTION)
    assert texts[1][-1].startswith("Which kinds of movies do you enjoy?")
    assert texts[2] == ["Noted: Sci-Fi.",
                        'Name one or two movies you love (for example "The Matrix and Amélie"), or say "skip".']
    assert texts[3][-1].startswith("Anything you'd rather I never suggest?")
    assert texts[4][:2] == ["Thanks! I'll remember that you like Sci-Fi.", "Here are some picks for you:"]
    assert len(picks) == 5 and sum("Sci-Fi" in catalog.by_id[i].categories for i in picks) >= 4
    assert texts[5] == [f"Got it, I won't suggest {catalog.by_id[picks[0]].label} again."]
    after = replies[first][7].picks
    assert len(after) == 5 and not {picks[0], picks[1]} & set(after)
    assert texts[8][0].startswith("Welcome back! I remember you like Sci-Fi")

    # Same conversation, other servers, same answers: texts, picks and their order.
    assert [(r.texts, r.picks) for r in replies[second]] == [(r.texts, r.picks) for r in replies[first]]

    # The feedback given through either server is in the engine's database (PostgreSQL).
    store = Store(bot.engine_url)
    try:
        for user in (first, second):
            feedback = store.events(user, [EventType.LIKE, EventType.DISLIKE])
            assert sorted((e.type, e.item_id) for e in feedback) == sorted(
                [(EventType.DISLIKE, picks[0]), (EventType.LIKE, picks[1])])
            assert servers[user][5] != servers[user][6]  # dislike and like through different servers
    finally:
        store.engine.dispose()

    # Both action servers ran actions: nginx logged which one took each call.
    action_calls = [line for line in (bot.log_dir / "nginx-access.log").read_text().splitlines()
                    if '"POST /webhook HTTP' in line]
    assert action_calls
    assert all(" 200 upstream=" in line for line in action_calls), action_calls
    assert {re.search(r"upstream=(\S+)", line).group(1) for line in action_calls} == bot.action_servers


def test_both_servers_read_the_same_stored_conversation(scale_out):
    bot, user = scale_out, f"scale-c-{uuid.uuid4().hex[:8]}"
    for message in ("hello", "yes", "sci-fi"):
        bot.say(user, message)
    seen = {}
    for _ in range(SCALE_N):
        response = requests.get(f"{bot.balancer}/conversations/{user}/tracker",
                                params={"token": bot.rasa_token, "include_events": "ALL"}, timeout=60)
        response.raise_for_status()
        seen[response.headers["X-Upstream"]] = response.json()["events"]
    assert set(seen) == bot.rasa_servers
    stored = list(seen.values())
    assert stored[0] == stored[1]
    assert [e["text"] for e in stored[0] if e["event"] == "user"] == ["hello", "yes", "sci-fi"]


def test_the_chat_page_talks_to_the_balancer(scale_out):
    config = requests.get(f"{scale_out.web}/config.json", timeout=10).json()
    assert config["rasa_url"] == scale_out.balancer.replace("127.0.0.1", "localhost")


def socketio_event(packet: str) -> list:
    """The event of a socket.io EVENT packet ('42["name", data]')."""
    assert packet.startswith("42"), packet
    return json.loads(packet[2:])


def test_a_conversation_over_socketio_through_the_balancer_websocket(scale_out):
    session = f"web-{uuid.uuid4()}"
    url = scale_out.balancer.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with connect(url, open_timeout=30) as websocket:
        assert websocket.recv(timeout=30).startswith("0")  # Engine.IO open
        websocket.send("40")
        assert websocket.recv(timeout=30).startswith("40")  # connected to the namespace
        websocket.send("42" + json.dumps(["session_request", {"session_id": session}]))
        assert socketio_event(websocket.recv(timeout=30)) == ["session_confirm", session]
        websocket.send("42" + json.dumps(["user_uttered", {"message": "hello", "session_id": session}]))
        said = []
        while not any(text_.startswith(CONSENT_QUESTION) for text_ in said):
            packet = websocket.recv(timeout=120)
            if packet == "2":  # Engine.IO ping
                websocket.send("3")
                continue
            name, message = socketio_event(packet)
            assert name == "bot_uttered"
            said.append(message.get("text", ""))
    assert said[0].startswith("Hi! I'm your movie guide.")


def test_socketio_long_polling_stays_on_the_server_that_opened_the_connection(scale_out):
    """Every request of a polling connection must reach the server that issued its sid: another
    server answers 400 "Invalid session"."""
    endpoint = f"{scale_out.balancer}/socket.io/"
    session = f"web-{uuid.uuid4()}"
    with requests.Session() as http:
        opened = http.get(endpoint, params={"EIO": "4", "transport": "polling"}, timeout=30)
        opened.raise_for_status()
        sid = json.loads(opened.text[opened.text.index("{"):])["sid"]
        servers = {opened.headers["X-Upstream"]}
        params = {"EIO": "4", "transport": "polling", "sid": sid}

        def post(packet: str) -> None:
            response = http.post(endpoint, params=params, data=packet, timeout=30)
            assert response.status_code == 200, response.text
            servers.add(response.headers["X-Upstream"])

        def poll() -> str:
            response = http.get(endpoint, params=params, timeout=60)
            assert response.status_code == 200, response.text
            servers.add(response.headers["X-Upstream"])
            return response.text

        post("40")
        assert poll().startswith("40")
        post("42" + json.dumps(["session_request", {"session_id": session}]))
        assert socketio_event(poll()) == ["session_confirm", session]
    assert len(servers) == 1


def test_ctrl_c_stops_every_process(scale_out):
    """Last in this module (it stops what the others use): Ctrl-C as in a terminal, which signals
    the script's process group."""
    # The script, nginx, the Rasa and action servers, the web app (and their worker processes).
    assert len(processes_in_session(scale_out.process.pid)) >= 3 + 2 * SCALE_N
    os.killpg(scale_out.process.pid, signal.SIGINT)
    assert scale_out.process.wait(timeout=STOP_TIMEOUT_S) == 0, scale_out.logs()
    assert scale_out.output.read_text().endswith("\nStopping...\n")
    assert processes_in_session(scale_out.process.pid) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(scale_out.balancer + "/nginx-health", timeout=5)
