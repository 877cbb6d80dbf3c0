"""Servers run as subprocesses, as `make run` starts them, for the end-to-end tests
(tests/e2e/conftest.py) and the turn benchmark (benchmarks/bench_turn.py): one way to start,
wait for and stop them, so that a server that dies or hangs is reported alike by both."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.config import PROJECT_ROOT

START_TIMEOUT_S = 420  # Rasa alone needs 50-110 s on 2 busy cores


@dataclass(kw_only=True)
class ServerProcesses:
    """Servers started from the project root, each logging to ``workdir/NAME.log`` (the logs are
    what a failure shows), and stopped together, killed if they do not end."""

    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    start_timeout: float = START_TIMEOUT_S  # seconds for each server to come up

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with open(self.workdir / f"{name}.log", "ab") as log:  # the server writes to its own copy
            self.processes.append(
                subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )

    def _wait(self, url: str) -> None:
        """Until ``url`` answers: a server that exits or does not come up fails with the logs."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"a server exited; logs in {self.workdir}:\n{self.logs()}")
            try:
                if requests.get(url, timeout=2).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{url} did not come up in {self.start_timeout:.0f}s:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.workdir.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


OFFERED_BY_TEST = "(buttons offered by the test)"


def offer_buttons(rasa_url: str, rasa_token: str, sender: str, payloads: list[str]) -> None:
    """Store a bot message offering these buttons in ``sender``'s conversation, as if the bot had
    shown them (Rasa's HTTP API, ``--auth-token``): a typed payload is taken only for a button
    offered in the conversation (rasa_plugins/payloads.py). It starts the conversation's session."""
    offered = {"event": "bot", "text": OFFERED_BY_TEST,
               "data": {"buttons": [{"title": payload, "payload": payload} for payload in payloads]}}
    # First the session start, on its own: an event sent with it would be stamped before the
    # session started, and Rasa reads a conversation's current session only.
    for events in ([{"event": "action", "name": "action_listen"}], [offered]):
        response = requests.post(f"{rasa_url}/conversations/{sender}/tracker/events",
                                 params={"token": rasa_token}, json=events, timeout=60)
        response.raise_for_status()
