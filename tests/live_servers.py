"""The real servers on free ports, as `make run` starts them, for every test that talks to them
(tests/e2e, tests/browser, tests/rasa_plugins): a pytest plugin of tests/conftest.py, so that a
server set shared by several folders is started once a run.

Rasa takes a minute or more to start on two busy cores, so tests share servers wherever their
settings allow: ``services`` (plain, the demo catalog) and ``web_services`` (a shop's site: user
tokens, the web app and the demo shop) are started once for the whole run; a module needs servers
of its own only for settings that would change what the others test (``OwnServers``, begun ahead
of the module's tests, or ``services_factory``). Tests that share servers use senders of their own."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from server_processes import ServerProcesses, free_port, offer_buttons

from bot.config import PROJECT_ROOT


class Reply(list):
    """The bot's messages for one user message."""

    @property
    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self]

    @property
    def picks(self) -> list[str]:
        """Item ids of the recommendation cards, in order (from their Like buttons)."""
        return [
            json.loads(m["buttons"][0]["payload"][len("/like"):])["item_id"]
            for m in self
            if m.get("buttons") and m["buttons"][0]["payload"].startswith("/like")
        ]


@dataclass
class Services(ServerProcesses):
    """An action server and a Rasa server (or several: ``rasa_servers``) sharing one engine
    database and tracker store; ``workdir`` holds their logs and databases."""

    model: Path
    state_dir: Path
    rasa_env: dict[str, str]
    extra_env: dict[str, str] = field(default_factory=dict)  # catalog, databases; default: demo, SQLite
    rasa_url: str = ""
    actions_port: int = 0
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))  # Rasa's HTTP API, as scripts/run
    env: dict[str, str] = field(default_factory=dict)  # what the services were started with
    endpoints: str = "endpoints.yml"  # Rasa's endpoints file (endpoints.scale.yml: shared lock store)
    rasa_servers: int = 1  # Rasa servers on the same model, databases and action server
    rasa_urls: list[str] = field(default_factory=list)  # one per Rasa server; rasa_url is the first

    def start(self) -> None:
        actions_port, rasa_ports = free_port(), [free_port() for _ in range(self.rasa_servers)]
        self.actions_port = actions_port
        env = {
            **self.rasa_env,
            "BOT_STATE_DIR": str(self.state_dir),
            "BOT_DATABASE_URL": f"sqlite:///{self.workdir / 'bot.sqlite3'}",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(self.workdir / "tracker.sqlite3"),
            "TRACKER_HOST": "",
            "BOT_TRACKER_URL": f"sqlite:///{self.workdir / 'tracker.sqlite3'}",
            "PYTHONPATH": str(PROJECT_ROOT),  # Rasa loads rasa_plugins/ (endpoints.yml)
            # Never the developer's real Slack or Telegram bot (tests/rasa_plugins fake their APIs).
            "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "",
            "BOT_RASA_TOKEN": self.rasa_token,
            **self.extra_env,
        }
        self.env = env
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
        self.rasa_url = self.rasa_urls[0]
        self.start_actions()
        for number, rasa_port in enumerate(rasa_ports):  # all start at once, then we wait for each
            self._spawn("rasa" if number == 0 else f"rasa-{number + 1}",
                        [".venv-rasa/bin/rasa", "run", "--model", str(self.model),
                         "--port", str(rasa_port), "--interface", "127.0.0.1",
                         "--credentials", "credentials.yml", "--endpoints", self.endpoints,
                         "--enable-api", f"--auth-token={self.rasa_token}"], env)
        self._wait(f"http://127.0.0.1:{actions_port}/health")
        for url in self.rasa_urls:
            self._wait(url + "/")

    def start_actions(self) -> None:
        """The action server on ``actions_port`` (again, after a test stopped it)."""
        self._spawn("actions", [".venv/bin/python", "-m", "actions.server", "--port", str(self.actions_port)], self.env)

    def url_of(self, server: int) -> str:
        return self.rasa_url if server == 0 else self.rasa_urls[server]

    def say(self, sender: str, text: str, server: int = 0) -> Reply:
        """Send ``text`` over the REST channel to Rasa server number ``server``."""
        response = requests.post(
            self.url_of(server) + "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=120,
        )
        response.raise_for_status()
        return Reply(response.json())

    def offer(self, sender: str, payloads: list[str], server: int = 0) -> None:
        """As if the bot had shown buttons with these payloads (server_processes.offer_buttons)."""
        offer_buttons(self.url_of(server), self.rasa_token, sender, payloads)

    def tracker_events(self, sender: str, server: int = 0) -> list[dict]:
        """Every stored event of the conversation, through Rasa's HTTP API (``--auth-token``)."""
        response = requests.get(
            f"{self.url_of(server)}/conversations/{sender}/tracker",
            params={"token": self.rasa_token, "include_events": "ALL"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["events"]


@pytest.fixture(scope="session")
def services_factory(rasa_env, tmp_path_factory):
    """Start both servers on a model, a state directory and catalog settings; stop them after."""

    def running(model: Path, state_dir: Path, extra_env: dict[str, str] | None = None,
                **options) -> Iterator[Services]:
        """``options``: more Services fields, e.g. ``endpoints``, ``rasa_servers``."""
        started = Services(
            model=model, workdir=tmp_path_factory.mktemp("services"), state_dir=state_dir,
            rasa_env=rasa_env, extra_env=extra_env or {}, **options,
        )
        try:
            started.start()
            yield started
        finally:
            started.stop()

    return running


AGENT = "anna"  # the support agent of the shop's site (web_services), who can sign in to the console
# What the shared plain servers run with besides the defaults: a support contact (the support
# replies say how to reach a person), no per-sender rate limit (the fuzz sends one sender hundreds
# of messages a minute; tests/e2e/test_chat_rate_limit.py has a limit of its own) and no support
# agents (a second fallback in a row would pause the conversation for one).
SUPPORT_CONTACT = "help@shop.example or 0800 123 456"
SHARED_ENV = {"BOT_SUPPORT_CONTACT": SUPPORT_CONTACT, "BOT_RATE_LIMIT_PER_SENDER": "0", "BOT_AGENT_TOKENS": ""}
GOODBOOKS_LOOKUPS = "build/nlu-goodbooks"  # where the goodbooks Rasa model's lookup tables are written


LOOKAHEAD = 3  # modules' own server sets started ahead and not yet taken (about 1.5 GB each)


@dataclass(frozen=True)
class OwnServers:
    """A module's own server set (settings the shared ones must not have), which the warm-up
    begins ahead of the module's tests; declared at module level with :func:`own_servers`.
    ``env(request)`` gives the settings (run at the start of the run, with the run's request:
    fixtures of tests/conftest.py only); ``fixture`` is the module's fixture that takes the set,
    ``param`` the fixture's parameter that needs it, if only one does; ``options`` are more
    ``Services`` fields (endpoints, rasa_servers, start_timeout)."""

    name: str
    fixture: str
    env: Callable[[pytest.FixtureRequest], dict[str, str]]
    param: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def needed_by(self, item: pytest.Item) -> bool:
        if self.fixture not in item.fixturenames:
            return False
        return self.param is None or getattr(item, "callspec", None) is not None and \
            item.callspec.params.get(self.fixture) == self.param


OWN_SERVERS: dict[str, OwnServers] = {}


def own_servers(name: str, fixture: str, env: Callable[[pytest.FixtureRequest], dict[str, str]],
                param: str | None = None, **options: Any) -> OwnServers:
    """Declare a module's own server set (:class:`OwnServers`), so the warm-up can begin it."""
    OWN_SERVERS[name] = OwnServers(name, fixture, env, param, options)
    return OWN_SERVERS[name]


def _maker(request: pytest.FixtureRequest, spec: OwnServers) -> Callable[[], Services]:
    """The set, not yet started; its settings are read now, in the test thread."""
    request.getfixturevalue("index")  # every item embedding cached in state_dir
    model, state_dir, rasa_env = (request.getfixturevalue(name) for name in ("rasa_model", "state_dir", "rasa_env"))
    workdir, env = request.getfixturevalue("tmp_path_factory").mktemp(spec.name), spec.env(request)
    return lambda: Services(model=model, workdir=workdir, state_dir=state_dir, rasa_env=rasa_env,
                            extra_env=env, **spec.options)


@dataclass
class WarmUp:
    """Slow set-up begun in one background thread as the run starts (the shared servers, the
    goodbooks Rasa model, then the modules' own server sets in the order the run needs them, at
    most ``LOOKAHEAD`` not yet taken), so it overlaps the unit tests, which leave the second core
    idle, and then the tests of the modules before; the fixture that needs it takes the result
    then, or does the work itself if it was not begun. Server sets started through it are
    stopped when taken sets are given back (``take``) or at the end of the run."""

    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))
    begun: dict[str, Future] = field(default_factory=dict)
    servers: list[ServerProcesses] = field(default_factory=list)
    ahead: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(LOOKAHEAD))
    stopping: threading.Event = field(default_factory=threading.Event)
    ahead_order: list[str] = field(default_factory=list)  # the sets begun ahead, in the order begun

    def begin(self, name: str, make: Callable[[], Any]) -> None:
        self.begun[name] = self.pool.submit(make)

    def result(self, name: str, make: Callable[[], Any]) -> Any:
        begun = self.begun.pop(name, None)
        return make() if begun is None else begun.result()

    def begin_ahead(self, name: str, make: Callable[[], Services]) -> None:
        """Begin a module's own set once fewer than ``LOOKAHEAD`` begun so wait to be taken."""
        def start() -> Services | None:
            self.ahead.acquire()
            return None if self.stopping.is_set() else self.started(make())

        self.ahead_order.append(name)
        self.begin(name, start)

    def take(self, name: str, make: Callable[[], Services]) -> Iterator[Services]:
        """The set begun ahead (or started now), for a fixture to yield; stopped after it. Sets
        begun for earlier tests and never taken (their tests failed first) give up their turn,
        else the sets after them would never start."""
        if name in self.ahead_order:
            for passed_over in self.ahead_order[:self.ahead_order.index(name)]:
                if self.begun.pop(passed_over, None) is not None:
                    self.ahead.release()
        begun = self.begun.pop(name, None)
        if begun is None:
            servers = self.started(make())
        else:
            try:
                servers = begun.result()
            finally:
                self.ahead.release()
        try:
            yield servers
        finally:
            servers.stop()
            self.servers.remove(servers)

    def started(self, servers: Services) -> Services:
        """``servers`` started (stopped with the rest at the end, even if they fail to start)."""
        self.servers.append(servers)
        servers.start()
        return servers

    def stop(self) -> None:
        self.stopping.set()
        for begun in self.begun.values():
            begun.cancel()
        for _ in self.begun:  # sets begun ahead that wait for a turn: none will be taken now
            self.ahead.release()
        self.pool.shutdown(wait=True)
        for servers in self.servers:
            servers.stop()


@pytest.fixture(scope="session", autouse=True)
def warm_up(request) -> Iterator[WarmUp]:
    """Begin what this run's tests will need, in the order they need it (tests/browser before
    tests/e2e); a run without them begins nothing."""
    items = request.session.items
    needed = {name for item in items for name in item.fixturenames}
    warm = WarmUp()
    try:
        for name in ("web_services", "services"):
            if name in needed:
                make = request.getfixturevalue(f"_new_{name}")
                warm.begin(name, lambda make=make: warm.started(make()))
        if "books_services" in needed:
            train, env = request.getfixturevalue("train_rasa"), request.getfixturevalue("goodbooks_env")
            warm.begin("goodbooks_model", lambda: train(GOODBOOKS_LOOKUPS, env))
        first_need = {spec.name: next((k for k, item in enumerate(items) if spec.needed_by(item)), None)
                      for spec in OWN_SERVERS.values()}
        for name in sorted((name for name, k in first_need.items() if k is not None), key=first_need.get):
            warm.begin_ahead(name, _maker(request, OWN_SERVERS[name]))
        yield warm
    finally:
        warm.stop()


@pytest.fixture(scope="session")
def own_set(request, warm_up) -> Callable[[OwnServers], Iterator[Services]]:
    """own_set(spec) -> for a module's fixture to ``yield from``: its own servers, begun ahead by
    the warm-up or started now, stopped when the fixture ends."""
    return lambda spec: warm_up.take(spec.name, lambda: _maker(request, spec)())


@pytest.fixture(scope="session")
def _new_services(rasa_model, index, state_dir, rasa_env, tmp_path_factory) -> Callable[[], Services]:
    """The shared plain servers, not yet started. The `index` fixture has already cached every
    item embedding in `state_dir`."""
    workdir = tmp_path_factory.mktemp("services")
    return lambda: Services(model=rasa_model, workdir=workdir, state_dir=state_dir, rasa_env=rasa_env,
                            extra_env=dict(SHARED_ENV))


@pytest.fixture(scope="session")
def services(warm_up, _new_services) -> Services:
    """Both servers on the demo catalog and SQLite, shared by the whole run (``SHARED_ENV``)."""
    return warm_up.result("services", lambda: warm_up.started(_new_services()))


@dataclass
class WebServices(Services):
    """As scripts/run starts them: the action server, Rasa (with --cors for the pages' origins),
    the web app serving the chat page on its own port, and the demo shop on another site
    (``localhost`` where the bot is ``127.0.0.1``), whose customers' tokens Rasa and the web app
    check (BOT_USER_TOKEN_SECRET) and whose origin may call them (BOT_ALLOWED_ORIGINS)."""

    web_port: int = field(default_factory=free_port)
    web_url: str = ""
    shop_port: int = field(default_factory=free_port)
    shop_url: str = ""
    agent_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # anna's, for the console
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # the operator's, for analytics
    site_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # the demo shop's
    user_token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(40))

    def start(self) -> None:
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.shop_url = f"http://localhost:{self.shop_port}"
        self.extra_env.setdefault("BOT_AGENT_TOKENS", f"{AGENT}:{self.agent_token}")
        self.extra_env.setdefault("BOT_API_KEY", self.api_key)
        self.extra_env.setdefault("BOT_SITE_KEY", self.site_key)
        self.extra_env.setdefault("BOT_USER_TOKEN_SECRET", self.user_token_secret)
        self.extra_env.setdefault("BOT_ALLOWED_ORIGINS", self.shop_url)
        super().start()  # Rasa: self.rasa_url
        env = {**self.env, "BOT_RASA_URL": self.rasa_url}  # the same databases as the action server
        self._spawn("web", [".venv/bin/bot", "web", "--host", "127.0.0.1", "--port", str(self.web_port)], env)
        self._spawn("shop", [".venv/bin/python", "-m", "demo_shop", "--host", "127.0.0.1", "--port", str(self.shop_port)],
                    {**env, "SHOP_BOT_URL": self.web_url})
        self._wait(self.web_url + "/healthz")
        self._wait(f"http://127.0.0.1:{self.shop_port}/healthz")

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        if name == "rasa":
            origins = [f"http://127.0.0.1:{self.web_port}", f"http://localhost:{self.web_port}", self.shop_url]
            command = [*command, "--cors", *origins]
        super()._spawn(name, command, env)


@pytest.fixture(scope="session")
def _new_web_services(rasa_model, index, state_dir, rasa_env, tmp_path_factory) -> Callable[[], WebServices]:
    workdir = tmp_path_factory.mktemp("web-services")
    return lambda: WebServices(model=rasa_model, workdir=workdir, state_dir=state_dir, rasa_env=rasa_env)


@pytest.fixture(scope="session")
def web_services(warm_up, _new_web_services) -> WebServices:
    """A shop's site, shared by the whole run: action server, Rasa, the web app and the demo shop
    on free ports, on the demo catalog, with user tokens (``user_token_secret``) and an agent."""
    return warm_up.result("web_services", lambda: warm_up.started(_new_web_services()))


@pytest.fixture(scope="session")
def rest_channel():
    """rest_channel(url, sender, text) -> (Reply, response): one message over the REST channel of
    what answers at ``url``, a Rasa server or a load balancer in front of several (its headers)."""

    def say(url: str, sender: str, text: str) -> tuple[Reply, requests.Response]:
        response = requests.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                 timeout=120)
        response.raise_for_status()
        return Reply(response.json()), response

    return say
