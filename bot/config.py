"""Settings read once from the environment; the bottom of the import graph.

Every path has a default inside the project so that `make run` needs no set-up,
and every default can be overridden with a ``BOT_*`` variable for deployments.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_KNOWN_KEYS = {
    "BOT_CATALOG",
    "BOT_ALLOWED_ORIGINS",
    "BOT_INTENT_MODEL",
    "BOT_SUPPORT_CONTACT",
    "BOT_CATALOG_MAPPING",
    "BOT_QUESTIONNAIRE",
    "BOT_DATABASE_URL",
    "BOT_STATE_DIR",
    "BOT_RASA_URL",
    "BOT_SHARED_DATA",
    "BOT_TRACKER_URL",
    "BOT_PUBLIC_URL",
    "BOT_API_KEY",
    "BOT_SITE_KEY",
    "BOT_USER_TOKEN_SECRET",
    "BOT_RETENTION_DAYS",
    "BOT_AGENT_TOKENS",
    "BOT_RASA_TOKEN",
    "BOT_ACTION_TOKEN",
    "BOT_HANDOFF_TIMEOUT_MINUTES",
    "BOT_RATE_LIMIT_PER_KEY",
    "BOT_RATE_LIMIT_PER_USER",
    "BOT_OUTREACH_INTENT",
    "BOT_EXPERIMENTS",
    "BOT_RATE_LIMIT_PER_SENDER",
    "BOT_REDIS_URL",
    "BOT_ACTION_TIMEOUT_S",  # read by the Rasa server (rasa_plugins/action_server_down.py)
    "BOT_INDEX_KIND",
    "BOT_INDEX_EXACT_MAX",
    "BOT_INDEX_COMPRESSION",
    "BOT_INDEX_NPROBE",
    "BOT_INDEX_EF_SEARCH",
}
MIN_AGENT_TOKEN_LENGTH = 16
MIN_ACTION_TOKEN_LENGTH = 16  # what Rasa sends the action server (BOT_ACTION_TOKEN)
MIN_USER_TOKEN_SECRET_LENGTH = 32  # it signs users' tokens: long enough not to be guessed offline


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


INDEX_KINDS = ("auto", "exact", "hnsw", "ivf")
INDEX_COMPRESSIONS = ("none", "sq8", "pq")


@dataclass(frozen=True)
class IndexSettings:
    """How the FAISS item index is built and searched; bot/index.py and docs/index.md say why
    these defaults (measured by benchmarks/bench_recommend.py)."""

    kind: str = "auto"  # auto: exact up to exact_max items, IVF above; or always exact, hnsw, ivf
    exact_max: int = 20_000  # a flat scan of more 384-d vectors costs more than the p99 budget
    compression: str = "none"  # sq8 (384 bytes an item) or pq (192): catalogs that do not fit in memory
    nprobe: int = 32  # IVF lists searched per query: more finds more of the true neighbours, slower
    ef_search: int = 512  # HNSW candidate list per query: taste vectors between clusters need a long one

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndexSettings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            kind=_choice(env, "BOT_INDEX_KIND", defaults.kind, INDEX_KINDS),
            exact_max=_whole_number(env, "BOT_INDEX_EXACT_MAX", str(defaults.exact_max), "items"),
            compression=_choice(env, "BOT_INDEX_COMPRESSION", defaults.compression, INDEX_COMPRESSIONS),
            nprobe=_positive_int(env, "BOT_INDEX_NPROBE", str(defaults.nprobe), "IVF lists"),
            ef_search=_positive_int(env, "BOT_INDEX_EF_SEARCH", str(defaults.ef_search), "HNSW candidates"),
        )


@dataclass(frozen=True)
class Settings:
    """Where the engine finds its catalog, database and derived state."""

    catalog_path: Path
    catalog_mapping: Path | None
    questionnaire_path: Path | None
    database_url: str
    state_dir: Path
    rasa_url: str
    shared_data_dir: Path
    tracker_url: str  # Rasa's SQL tracker store: exported and erased with the user's data
    public_url: str  # where users reach the web app (export download links)
    api_key: str | None  # the HTTP API's key; unset: the user-data API is closed
    site_key: str | None  # a website's key for site events and recommendation slots
    retention_days: int  # `bot purge` deletes events older than this
    agent_tokens: Mapping[str, str]  # support agent's name -> sign-in token; none: no human handoff
    rasa_token: str | None  # Rasa's --auth-token: the agent console sends replies through Rasa's API
    handoff_timeout_minutes: int  # a user no agent answered in this time is returned to the bot
    rate_limit_per_key: int  # HTTP API requests a minute per credential (site, operator, each agent)
    rate_limit_per_user: int  # site events a minute about one user
    # signs the short-lived tokens with which a user's browser reads their own data; unset: none
    user_token_secret: str | None = None
    # chat messages a minute per sender and channel, counted by Rasa (rasa_plugins/ratelimit.py); 0: no limit
    rate_limit_per_sender: int = 30
    redis_url: str | None = None  # where rate limits are counted, shared by several servers; unset: in memory
    index: IndexSettings = IndexSettings()  # the item index's kind, compression and search breadth
    # the intent Rasa is triggered with at a user's usual hour (bot/web/outreach.py); unset: no outreach
    outreach_intent: str | None = None
    # the A/B experiments file (bot/experiments.py, data/experiments.example.yml); unset: none
    experiments_path: Path | None = None
    # the embedding cache when it is not the state folder's (an evaluation's scratch engine shares
    # the bot's, so that a catalog is embedded once); unset: in BOT_STATE_DIR
    embedding_cache_file: Path | None = None
    # the intent model trained from Rasa's training data by `bot nlu train` (bot/intent_model.py)
    intent_model_path: Path = PROJECT_ROOT / "models/intents.npz"
    # the secret Rasa sends to the action server (endpoints*.yml); unset: the action server does not start
    action_token: str | None = None
    # how customers reach support where no agent can join the chat ("help@shop.example, 0800 123"); unset: not said
    support_contact: str | None = None
    # the shops' pages that embed the widget (https://shop.example): their browsers may call the API; none: no other page
    allowed_origins: tuple[str, ...] = ()

    @property
    def index_dir(self) -> Path:
        return self.state_dir / "index"

    @property
    def outbox_dir(self) -> Path:
        """Events received while the database was unavailable, until it is back (bot/outbox.py)."""
        return self.state_dir / "outbox"

    @property
    def model_path(self) -> Path:
        """The hybrid model fitted on the event log by `bot train-recs` (the file keeps its
        first name: deployments mount it, docs/deploy.md)."""
        return self.state_dir / "signals.npz"

    @property
    def segments_path(self) -> Path:
        """The user segments built by `bot segments build`."""
        return self.state_dir / "segments.json"

    @property
    def embedding_cache_path(self) -> Path:
        return self.embedding_cache_file or self.state_dir / "embeddings.npz"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        unknown = sorted(k for k in env if k.startswith("BOT_") and k not in _KNOWN_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown setting {unknown[0]}; known settings: {', '.join(sorted(_KNOWN_KEYS))}"
            )
        state_dir = Path(env.get("BOT_STATE_DIR", PROJECT_ROOT / "var"))
        database_url = env.get("BOT_DATABASE_URL", f"sqlite:///{state_dir / 'bot.sqlite3'}")
        tracker_url = env.get("BOT_TRACKER_URL", f"sqlite:///{state_dir / 'tracker.sqlite3'}")
        for key, url in (("BOT_DATABASE_URL", database_url), ("BOT_TRACKER_URL", tracker_url)):
            if "://" not in url:
                raise ConfigError(
                    f"{key}={url!r} is not a database URL "
                    "(expected e.g. sqlite:///var/bot.sqlite3 or postgresql://user@host/db)"
                )
        if tracker_url == database_url:
            raise ConfigError(
                "BOT_TRACKER_URL must name Rasa's tracker database, not the engine's (BOT_DATABASE_URL): "
                "both have a table called 'events'"
            )
        retention = _positive_int(env, "BOT_RETENTION_DAYS", "365", "days")
        handoff_timeout = _positive_int(env, "BOT_HANDOFF_TIMEOUT_MINUTES", "10", "minutes")
        per_key = _positive_int(env, "BOT_RATE_LIMIT_PER_KEY", "600", "requests a minute")
        per_user = _positive_int(env, "BOT_RATE_LIMIT_PER_USER", "60", "events a minute")
        per_sender = _whole_number(env, "BOT_RATE_LIMIT_PER_SENDER", "30", "messages a minute (0: no limit)")
        return cls(
            catalog_path=Path(env.get("BOT_CATALOG", PROJECT_ROOT / "data/catalog/movies.jsonl")),
            catalog_mapping=Path(env["BOT_CATALOG_MAPPING"]) if env.get("BOT_CATALOG_MAPPING") else None,
            questionnaire_path=Path(env["BOT_QUESTIONNAIRE"]) if env.get("BOT_QUESTIONNAIRE") else None,
            database_url=database_url,
            state_dir=state_dir,
            rasa_url=env.get("BOT_RASA_URL", "http://localhost:5005"),
            shared_data_dir=Path(env.get("BOT_SHARED_DATA", PROJECT_ROOT.parent / "shared/data")),
            tracker_url=tracker_url,
            public_url=env.get("BOT_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
            api_key=env.get("BOT_API_KEY") or None,
            site_key=env.get("BOT_SITE_KEY") or None,
            retention_days=retention,
            agent_tokens=_agent_tokens(env.get("BOT_AGENT_TOKENS", "")),
            rasa_token=env.get("BOT_RASA_TOKEN") or None,
            handoff_timeout_minutes=handoff_timeout,
            rate_limit_per_key=per_key,
            rate_limit_per_user=per_user,
            user_token_secret=_secret(env, "BOT_USER_TOKEN_SECRET", MIN_USER_TOKEN_SECRET_LENGTH),
            rate_limit_per_sender=per_sender,
            redis_url=_redis_url(env.get("BOT_REDIS_URL", "")),
            index=IndexSettings.from_env(env),
            outreach_intent=_intent_name(env.get("BOT_OUTREACH_INTENT", "")),
            experiments_path=Path(env["BOT_EXPERIMENTS"]) if env.get("BOT_EXPERIMENTS") else None,
            intent_model_path=Path(env.get("BOT_INTENT_MODEL", PROJECT_ROOT / "models/intents.npz")),
            support_contact=" ".join(env.get("BOT_SUPPORT_CONTACT", "").split()) or None,
            action_token=_secret(env, "BOT_ACTION_TOKEN", MIN_ACTION_TOKEN_LENGTH),
            allowed_origins=allowed_origins(env.get("BOT_ALLOWED_ORIGINS", "")),
        )


def _positive_int(env: Mapping[str, str], key: str, default: str, unit: str) -> int:
    value = env.get(key, default)
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{key}={value!r} must be a whole number of {unit} (at least 1)")
    return int(value)


def _whole_number(env: Mapping[str, str], key: str, default: str, unit: str) -> int:
    """Digits 0-9 around which spaces are left out ("²" is a digit to ``isdigit`` but no number)."""
    value = env.get(key, default).strip()
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(f"{key}={value!r} must be a whole number of {unit}")
    return int(value)


def _choice(env: Mapping[str, str], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(key, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{key}={env.get(key)!r} must be one of {', '.join(choices)}")
    return value


def _redis_url(value: str) -> str | None:
    """BOT_REDIS_URL: redis://[:password@]host:port/db, rediss://... or redis+unix:///path; unset: None."""
    value = value.strip()
    if value and not value.startswith(("redis://", "rediss://", "redis+unix://", "unix://")):
        scheme = value.split("://", 1)[0] if "://" in value else "no scheme"
        raise ConfigError(
            f"BOT_REDIS_URL must start with redis://, rediss:// or redis+unix:// (it has {scheme}); "
            "e.g. redis://127.0.0.1:6379/0"
        )
    return value or None


def _intent_name(value: str) -> str | None:
    """A Rasa intent's name (letters, digits, underscores), or None when unset."""
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_]+", value):
        raise ConfigError(f"BOT_OUTREACH_INTENT={value!r} is not an intent name (letters, digits and _)")
    return value


def allowed_origins(value: str) -> tuple[str, ...]:
    """``https://shop.example,http://localhost:8001``: web origins (scheme, host, port; no path,
    no wildcard) whose pages may call the API and Rasa from the browser (CORS)."""
    origins = tuple(origin.strip() for origin in value.replace(" ", ",").split(",") if origin.strip())
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise ConfigError(f"BOT_ALLOWED_ORIGINS: {origin!r} is not an origin like https://shop.example "
                              "(scheme and host, an optional port, no path and no wildcard)")
    return origins


def _secret(env: Mapping[str, str], key: str, min_length: int) -> str | None:
    """A secret setting, unset when empty; never echoed in the error."""
    value = env.get(key, "").strip()
    if value and len(value) < min_length:
        raise ConfigError(f"{key} is shorter than {min_length} characters "
                          f"(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe({min_length}))')")
    return value or None


def _agent_tokens(value: str) -> dict[str, str]:
    """``name:token,name:token``: who may sign in to the agent console, and with what."""
    tokens: dict[str, str] = {}
    for number, entry in enumerate((e.strip() for e in value.split(",") if e.strip()), start=1):
        name, _, token = entry.partition(":")
        name, token = name.strip(), token.strip()
        if not name or not token:
            raise ConfigError(f"BOT_AGENT_TOKENS entry {number} must be name:token (e.g. anna:s3cret...)")
        if len(token) < MIN_AGENT_TOKEN_LENGTH:
            raise ConfigError(
                f"BOT_AGENT_TOKENS: the token of {name!r} is shorter than {MIN_AGENT_TOKEN_LENGTH} characters"
            )
        if name in tokens:
            raise ConfigError(f"BOT_AGENT_TOKENS names {name!r} twice")
        tokens[name] = token
    return tokens
