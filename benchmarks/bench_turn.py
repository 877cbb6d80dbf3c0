"""Turn latency over Rasa's REST channel: a plain reply against a personalized turn (issue 8).

Starts the action server and the Rasa server as scripts/run does (the latest trained model in
models/, endpoints.yml, credentials.yml, a temporary state directory and tracker store). Each of
a few users goes through onboarding, then sends plain turns ("are you a bot?": a response from
the domain, no custom action) and personalized turns ("recommend me something":
action_recommend on the action server) one after the other, alternating which comes first in
each pair, so both kinds see the same machine load and the same growing conversation. The
target is a personalized turn's median at most 1.3 x a plain turn's.

Wall times move with whatever else the machine runs, so the CPU time each server spent per turn
is reported too. What bounds the ratio is reported as well: the action server's own time for
the same request (the tracker and domain Rasa sends, POSTed to /webhook directly) and the
engine's ``recommend`` call inside it. ``python benchmarks/bench_turn.py [PAIRS [USERS]]``
prints the JSON.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.web.user_tokens import issue_user_token

ROOT = Path(__file__).resolve().parent.parent
PLAIN, PERSONALIZED = "are you a bot?", "recommend me something"
ONBOARDING = ["hello", "yes", "sci-fi", "skip", "nothing"]  # as tests/e2e/test_conversation.py
PAIRS, USERS, WARMUP_PAIRS, DIRECT_CALLS = 60, 4, 5, 50
TOKEN = "bench-turn-token"
USER_TOKEN_SECRET = "bench-turn-user-token-secret-0123456789"

# The end-to-end tests' way of running servers, loaded by path: tests/ is no package, and on
# sys.path its folders (tests/actions, ...) would shadow the project's packages.
_spec = importlib.util.spec_from_file_location("server_processes", ROOT / "tests/server_processes.py")
server_processes = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(server_processes)


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("rasa-*.tar.gz"), key=lambda path: path.stat().st_mtime)
    if not models:
        raise SystemExit("no trained model in models/: run `make train` first")
    return models[-1]


def environment(workdir: Path, actions_port: int, rasa_port: int) -> dict[str, str]:
    """What scripts/run exports, on a temporary state directory and tracker store."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BOT_", "TRACKER_"))}
    return {
        **env,
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "BOT_STATE_DIR": str(workdir),
        "BOT_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "BOT_RASA_TOKEN": TOKEN,
        "BOT_ACTION_TOKEN": TOKEN,  # what Rasa sends the action server, as scripts/run makes one up
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(workdir / "tracker.sqlite3"), "TRACKER_HOST": "",
        "BOT_TRACKER_URL": f"sqlite:///{workdir / 'tracker.sqlite3'}",
        "BOT_RATE_LIMIT_PER_SENDER": "0",  # one sender sends far more than a person's 30 a minute
        "BOT_USER_TOKEN_SECRET": USER_TOKEN_SECRET,  # every turn checks a signed-in customer's token, as on a shop
        "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "",
    }


def rasa_command(model: Path, port: int) -> list[str]:
    return [str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(model), "--port", str(port),
            "--interface", "127.0.0.1", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
            "--enable-api", f"--auth-token={TOKEN}"]


class Servers(server_processes.ServerProcesses):
    """The action server and the Rasa server, started and stopped together."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir=workdir)
        self.actions_port, self.rasa_port = server_processes.free_port(), server_processes.free_port()
        self.env = environment(workdir, self.actions_port, self.rasa_port)
        self.actions_url = f"http://127.0.0.1:{self.actions_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"

    def __enter__(self) -> Servers:
        try:
            self._spawn("actions", [str(ROOT / ".venv/bin/python"), "-m", "actions.server",
                                    "--port", str(self.actions_port)], self.env)
            self._spawn("rasa", rasa_command(latest_model(), self.rasa_port), self.env)
            self._wait(self.actions_url + "/health")
            self._wait(self.rasa_url + "/")
        except BaseException:  # e.g. Ctrl-C while Rasa loads: leave no server behind
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (Linux)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def family(pid: int) -> list[int]:
    """The process and its descendants: whatever a server starts counts as its work."""
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int(_stat(int(entry.name))[1])
        except (ValueError, OSError):  # not a process, or one that just ended
            pass
    members = {pid}
    while grown := {child for child, parent in parents.items() if parent in members} - members:
        members |= grown
    return sorted(members)


def cpu_ms(pids: list[int]) -> float:
    """CPU time (user + system, in 10 ms ticks) these processes have used so far, in ms."""
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in map(_stat, pids))
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def say(http: requests.Session, servers: Servers, sender: str, text: str) -> tuple[float, list[dict]]:
    """One turn over the REST channel: its wall time in ms and the bot's messages."""
    token = issue_user_token(USER_TOKEN_SECRET, sender).token  # what the shop's backend gives the browser
    started = time.perf_counter()
    response = http.post(servers.rasa_url + "/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers={"Authorization": f"Bearer {token}"}, timeout=120)
    elapsed_ms = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed_ms, response.json()


def check_plain(reply: list[dict]) -> None:
    if len(reply) != 1 or not reply[0].get("text", "").startswith("I'm a bot"):
        raise RuntimeError(f"the plain turn got an unexpected reply: {reply}")


def check_personalized(reply: list[dict]) -> None:
    """Picks with buttons: the action ran (not the apology for a failed custom action)."""
    if not any(message.get("buttons") for message in reply):
        raise RuntimeError(f"the personalized turn got no picks: {reply}")


def summary(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples), 2),
            "p99_ms": round(statistics.quantiles(samples, n=100, method="inclusive")[98], 2)}


def action_call(http: requests.Session, servers: Servers, sender: str) -> dict:
    """The body Rasa 3.6 POSTs to run action_recommend (RemoteAction._action_call_format): the
    tracker as it was when the action last ran (every event before it, whichever turn came
    after) and the domain."""
    auth = {"token": TOKEN}
    tracker = http.get(f"{servers.rasa_url}/conversations/{sender}/tracker",
                       params={**auth, "include_events": "ALL"}, timeout=60).json()
    domain = http.get(servers.rasa_url + "/domain", params=auth, headers={"Accept": "application/json"},
                      timeout=60).json()
    events = tracker["events"]
    ran = max(i for i, event in enumerate(events) if event["event"] == "action" and event["name"] == "action_recommend")
    tracker["events"] = events[:ran]
    version = http.get(servers.rasa_url + "/version", timeout=60).json()["version"]
    return {"next_action": "action_recommend", "sender_id": sender, "tracker": tracker, "domain": domain,
            "version": version}


def direct_calls(http: requests.Session, servers: Servers, body: dict, calls: int) -> list[float]:
    """The action server alone: the same request as Rasa's, POSTed to /webhook, in ms."""
    payload = json.dumps(body)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        response = http.post(servers.actions_url + "/webhook", data=payload,
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
                             timeout=120)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        check_personalized(response.json()["responses"])
    return times


def engine_calls(env: dict[str, str], sender: str, calls: int) -> list[float]:
    """The engine's recommend as action_recommend calls it, in this process, in ms."""
    from bot.config import Settings
    from bot.engine import Engine

    engine = Engine.from_settings(Settings.from_env({k: v for k, v in env.items() if k.startswith("BOT_")}))
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        engine.recommend(sender, n=5, channel="rest")
        times.append((time.perf_counter() - started) * 1000)
    return times


@dataclass
class Turns:
    """One kind of turn: what is said, how its reply is checked, and what it cost."""

    text: str
    check: Callable[[list[dict]], None]
    wall_ms: list[float] = field(default_factory=list)
    early: list[bool] = field(default_factory=list)  # in the first half of its conversation
    rasa_cpu_ms: float = 0.0
    actions_cpu_ms: float = 0.0

    def part(self, early: bool) -> list[float]:
        return [ms for ms, is_early in zip(self.wall_ms, self.early) if is_early == early]

    def cpu_ms(self) -> float:
        return (self.rasa_cpu_ms + self.actions_cpu_ms) / len(self.wall_ms)

    def cpu_per_turn(self) -> dict[str, float]:
        return {"rasa_cpu_ms": round(self.rasa_cpu_ms / len(self.wall_ms), 2),
                "actions_cpu_ms": round(self.actions_cpu_ms / len(self.wall_ms), 2)}


def ratio(personalized: list[float], plain: list[float]) -> float:
    return round(statistics.median(personalized) / statistics.median(plain), 3)


def run(pairs: int = PAIRS, users: int = USERS, direct: int = DIRECT_CALLS) -> dict:
    """Start both servers; onboard ``users`` users, each then saying ``pairs // users`` plain and as
    many personalized messages, alternating; time every turn (one more user warms up first)."""
    with tempfile.TemporaryDirectory(prefix="bench-turn-") as scratch:
        workdir = Path(scratch)
        cache = ROOT / "var/embeddings.npz"  # the demo catalog's embeddings: no model run at start-up
        if cache.exists():
            shutil.copy(cache, workdir / cache.name)
        with Servers(workdir) as servers, requests.Session() as http:
            actions, rasa = (family(process.pid) for process in servers.processes)
            plain, personalized = Turns(PLAIN, check_plain), Turns(PERSONALIZED, check_personalized)
            per_user = pairs // users
            for user in range(users + 1):
                sender, measured = f"bench-user-{user}", user > 0  # user 0 warms both servers up
                for text in ONBOARDING:
                    say(http, servers, sender, text)
                for number in range(per_user if measured else WARMUP_PAIRS):
                    for turns in (plain, personalized) if number % 2 == 0 else (personalized, plain):
                        rasa_cpu, actions_cpu = cpu_ms(rasa), cpu_ms(actions)
                        elapsed_ms, reply = say(http, servers, sender, turns.text)
                        turns.check(reply)
                        if measured:
                            turns.wall_ms.append(elapsed_ms)
                            turns.early.append(number < per_user / 2)
                            turns.rasa_cpu_ms += cpu_ms(rasa) - rasa_cpu
                            turns.actions_cpu_ms += cpu_ms(actions) - actions_cpu
            body = action_call(http, servers, sender)
            action_server = direct_calls(http, servers, body, direct)
            engine = engine_calls(servers.env, sender, direct)
    plain_s, personalized_s = summary(plain.wall_ms), summary(personalized.wall_ms)
    action_s, engine_s = summary(action_server), summary(engine)
    return {
        "plain_median_ms": plain_s["median_ms"], "plain_p99_ms": plain_s["p99_ms"],
        "personalized_median_ms": personalized_s["median_ms"], "personalized_p99_ms": personalized_s["p99_ms"],
        "ratio_median": ratio(personalized.wall_ms, plain.wall_ms),
        "target_ratio": 1.3,
        "plain_turns": len(plain.wall_ms), "personalized_turns": len(personalized.wall_ms), "users": users,
        # Rasa's work per turn grows with the conversation (it loads and replays the whole session).
        "ratio_median_first_half_of_conversations": ratio(personalized.part(True), plain.part(True)),
        "ratio_median_second_half_of_conversations": ratio(personalized.part(False), plain.part(False)),
        # CPU per turn (means over the same turns), hardly moved by other load on the machine; their
        # ratio is what the wall times' ratio would be on an idle machine.
        "plain_cpu_per_turn": plain.cpu_per_turn(), "personalized_cpu_per_turn": personalized.cpu_per_turn(),
        "cpu_ratio": round(personalized.cpu_ms() / plain.cpu_ms(), 3),
        # What a personalized turn adds that is not Rasa's: the action server and, in it, the engine,
        # for the last personalized turn's request.
        "action_server_median_ms": action_s["median_ms"], "action_server_p99_ms": action_s["p99_ms"],
        "engine_recommend_median_ms": engine_s["median_ms"], "engine_recommend_p99_ms": engine_s["p99_ms"],
        "direct_calls": direct,
        "action_request_events": len(body["tracker"]["events"]),
        "action_request_kb": round(len(json.dumps(body)) / 1024, 1),
        # Rasa's own cost of the custom action: personalized - plain - action server.
        "rasa_overhead_median_ms": round(
            personalized_s["median_ms"] - plain_s["median_ms"] - action_s["median_ms"], 2),
        # The ratio were Rasa's overhead zero: plain + action server, over plain.
        "ratio_bound_by_action_server": round(
            (plain_s["median_ms"] + action_s["median_ms"]) / plain_s["median_ms"], 3),
        "rasa_model": latest_model().name,
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:3])), indent=2))
