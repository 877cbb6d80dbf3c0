"""The action server: ``python -m actions.server --port 5055``, the one way it is started
(`make run`, `make run-scale`, docker-compose, the Helm values, the tests, the benchmarks).

It builds the engine (catalog, index, database pool) and loads the embedding model before it
listens (rasa-sdk's /health answers at once, so nothing else could tell it was not ready): the
first conversation does not wait for it, and a catalog or index that cannot load stops the
server at once, with the reason in its log, instead of failing every action. Then it serves
rasa_sdk's endpoint (/health, /webhook, /actions) and the engine's intent reading (/intent)
in this same process, so the engine built here is the one the actions use. Only Rasa may call
it (actions/guard.py: the shared secret ``BOT_ACTION_TOKEN``; a server without one does not
start), and it listens on loopback unless ``--host`` opens it (docker-compose, Helm).
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk import utils
from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor

from actions.guard import guard
from actions.intents import add_intent_route
from actions.runtime import engine
from bot.config import ConfigError, Settings

log = logging.getLogger("actions.server")  # not "__main__", as `python -m` would name it

DEFAULT_HOST = "127.0.0.1"  # rasa_sdk's own launcher binds every interface; Rasa runs beside it


def serve(port: int, host: str, token: str) -> None:
    """Register the actions, build the engine, then answer Rasa until stopped (SIGINT, SIGTERM)."""
    executor = ActionExecutor()
    executor.register_package("actions")
    loaded = engine()
    loaded.warm_up()  # the embedding model: the first typed title or taste must not wait for it
    log.info("engine ready: %d items, embedding model loaded", len(loaded.catalog))
    app = create_app_for_serve(executor, cors_origins=None)  # no CORS, as `python -m rasa_sdk` without --cors
    add_intent_route(app)  # Rasa's NLU asks the engine for each typed message's intent
    guard(app, token, executor.actions.keys())
    app.run(host=host, port=port, single_process=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_SERVER_PORT, help="port to listen on (5055)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="interface to listen on (127.0.0.1; 0.0.0.0 where Rasa runs in another container)")
    args = parser.parse_args(argv)
    try:
        token = Settings.from_env().action_token
    except ConfigError as error:
        parser.exit(2, f"error: {error}\n")
    if token is None:
        parser.exit(2, "error: BOT_ACTION_TOKEN is not set: the secret Rasa sends to the action server "
                       "(endpoints.yml); `make run` makes one up for its run\n")
    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    serve(args.port, args.host, token)


if __name__ == "__main__":
    main()
