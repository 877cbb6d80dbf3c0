"""Load test: 50, 100 and 200 concurrent chat users (benchmarks/locustfile.py, locust headless)
against the bot as it is deployed for scale, and the peak memory of each server process.

`scripts/run-scale` (nginx on loopback balancing two Rasa servers and two action servers;
PostgreSQL for the engine and the conversations; Redis for locks and rate limits) is
started as a subprocess on free ports, with a temporary state directory and scratch
databases, and stopped after; `server="single"` measures `scripts/run` (one of each, SQLite)
instead. Each level ramps up (SPAWN_RATE users a second), then is measured for MEASURE_S
seconds (locust's `--reset-stats` drops the ramp); the levels run one after the other
against the same servers, with new users each. Resident memory (RSS) of every process of the
servers is read from /proc once a second for the whole run: the peak of each process.

Locust runs from .venv-bench (`make bench` creates it from requirements/bench.txt), so the
engine's environment does not carry it.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT

LEVELS = (50, 100, 200)
MEASURE_S = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
SPAWN_RATE = 10  # users started a second while ramping up
START_TIMEOUT_S = 900  # may include training the Rasa model (about 2.5 min) and slow starts on 2 cores
LOCUST = PROJECT_ROOT / ".venv-bench/bin/locust"
# The servers check signed-in users' tokens, as on a shop's site; the simulated users' shop mints them.
USER_TOKEN_SECRET = secrets.token_urlsafe(48)
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
MEMORY_ROLES = ("rasa", "actions", "web")
SERVER_ROLES = (*MEMORY_ROLES, "nginx")  # what the server scripts start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the processes' memory and CPU, from /proc ---------------------------------------------

@dataclass(frozen=True)
class Proc:
    role: str
    cpu_s: float  # user + system time so far
    rss_mb: float
    started: int  # clock ticks after boot: with the pid, which process this is (pids are reused)


def role(argv: list[str]) -> str | None:
    """Which server a process is, from its command line (None: not one of ours)."""
    names = [Path(arg).name for arg in argv[:3]]
    if "actions.server" in argv:
        return "actions"
    if "rasa" in names and "run" in argv:
        return "rasa"
    if "bot" in names and "web" in argv:
        return "web"
    if names and names[0].startswith("nginx"):
        return "nginx"
    return None


def processes(root: int) -> dict[int, Proc]:
    """The servers started under ``root`` and, anywhere, PostgreSQL's and Redis's processes."""
    stats: dict[int, tuple[str, int, float, float, int]] = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = path.read_text()
        except OSError:  # ended while we looked
            continue
        comm, fields = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        # man 5 proc: ppid, utime and stime (clock ticks), starttime, rss (pages): fields 4, 14, 15, 22, 24
        stats[int(path.parent.name)] = (comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS,
                                        int(fields[21]) * PAGE_MB, int(fields[19]))
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, *_rest) in stats.items():
        children.setdefault(ppid, []).append(pid)
    ours, todo = set(), [root]
    while todo:
        pid = todo.pop()
        ours.add(pid)
        todo.extend(children.get(pid, []))
    found = {}
    for pid, (comm, _, cpu_s, rss, started) in stats.items():
        if pid in ours:
            try:
                name = role(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0"))
            except OSError:
                continue
        else:
            name = {"postgres": "postgresql", "redis-server": "redis"}.get(comm)
        if name:
            found[pid] = Proc(name, cpu_s, rss, started)
    return found


class PeakMemory(threading.Thread):
    """Samples the RSS of every server process once a second; keeps each one's peak."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, tuple[str, float]] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for pid, proc in processes(self.root).items():
                if proc.role in MEMORY_ROLES:
                    self.peaks[pid] = (proc.role, max(proc.rss_mb, self.peaks.get(pid, ("", 0.0))[1]))
            self._done.wait(1)

    def stop(self) -> dict[str, object]:
        """Per role, the peak of its largest process; how many processes each role had; and
        which roles had loaded PyTorch (the engine loads it only to embed a typed text)."""
        self._done.set()
        self.join()
        peaks: dict[str, float] = {}
        counts: dict[str, int] = {}
        torch: set[str] = set()
        for pid, (name, peak) in self.peaks.items():
            peaks[name] = round(max(peaks.get(name, 0.0), peak), 1)
            counts[name] = counts.get(name, 0) + 1
            with suppress(OSError):  # ended
                if "libtorch" in Path(f"/proc/{pid}/maps").read_text():
                    torch.add(name)
        return {**peaks, "processes": counts, "torch_loaded_in": sorted(torch)}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat, in clock ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


class CpuUse:
    """Where the CPU went between start and stop: the machine's busy share and each role's share
    of all the machine's CPUs (the load generator as "locust"; PostgreSQL and Redis whoever
    uses them; "other": every other process)."""

    def __init__(self, root: int):
        self.root = root
        self.before = processes(root)
        self.machine = machine_busy()
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.started = time.monotonic()

    def stop(self) -> dict[str, object]:
        wall = time.monotonic() - self.started
        after = processes(self.root)
        used: dict[str, float] = {}
        for pid, proc in after.items():
            earlier = self.before.get(pid)
            used[proc.role] = used.get(proc.role, 0.0) + proc.cpu_s - (earlier.cpu_s if earlier else 0.0)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used["locust"] = (children.ru_utime + children.ru_stime) - (self.children.ru_utime + self.children.ru_stime)
        busy, total = (b - a for a, b in zip(self.machine, machine_busy(), strict=True))
        capacity = wall * (os.cpu_count() or 1)
        shares = {name: round(seconds / capacity, 3) for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])}
        machine = busy / total if total else 0.0
        shares["other"] = round(max(0.0, machine - sum(shares.values())), 3)  # anything else on the machine
        return {"cpu_busy": round(machine, 3), "cpu_share": shares}


# --- the servers ---------------------------------------------------------------------

SERVERS = {
    "scale": ("scripts/run-scale", "nginx balancing 2 Rasa servers (REST channel) and 2 action servers, "
              "PostgreSQL for the engine and the conversations, Redis for Rasa's locks and the rate limits."),
    "single": ("scripts/run", "one Rasa server and one action server, SQLite for the engine and the conversations."),
}
READY = "Press Ctrl-C to stop."  # both scripts print it once every server answers


@contextmanager
def scratch_databases(count: int) -> Iterator[list[str]]:
    """New, empty PostgreSQL databases for this run, dropped afterwards."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = [f"bench_load_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A key prefix for this run's Rasa locks (letters and digits), its keys deleted afterwards."""
    import redis

    prefix = "bench" + uuid.uuid4().hex[:12]
    try:
        yield prefix
    finally:
        # where scripts/run-scale keeps Rasa's locks: REDIS_HOST, REDIS_PORT, REDIS_DB as it reads them
        client = redis.Redis(host=os.environ.get("REDIS_HOST", "127.0.0.1"),
                             port=int(os.environ.get("REDIS_PORT", "6379")), db=int(os.environ.get("REDIS_DB", "0")))
        leftover = list(client.scan_iter(f"{prefix}:*"))
        if leftover:
            client.delete(*leftover)
        client.close()


@contextmanager
def server_env(kind: str, state: Path) -> Iterator[tuple[dict[str, str], str]]:
    """The environment that starts ``kind`` on free ports, in ``state``; and the chat URL."""
    rasa_port = free_port()
    env = {"RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "SHOP_PORT": str(free_port()),
           "BOT_STATE_DIR": str(state), "BOT_USER_TOKEN_SECRET": USER_TOKEN_SECRET}
    if kind == "single":
        yield {**env, "TRACKER_DB": str(state / "tracker.sqlite3")}, f"http://127.0.0.1:{rasa_port}"
        return
    with scratch_databases(2) as (engine_url, tracker_url), redis_prefix() as prefix:
        yield {**env, "SCALE_DIR": str(state / "scale"), "BOT_DATABASE_URL": engine_url,
               "BOT_TRACKER_URL": tracker_url, "REDIS_KEY_PREFIX": prefix,
               "RASA_SERVER_PORTS": f"{free_port()} {free_port()}",
               "ACTIONS_SERVER_PORTS": f"{free_port()} {free_port()}"}, f"http://127.0.0.1:{rasa_port}"


@contextmanager
def servers(kind: str, state: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """The bot's servers, started by their script with the index already built (as `make run`
    does first); the chat URL and the script's process. Stopped with Ctrl-C at the end."""
    cache = PROJECT_ROOT / "var/embeddings.npz"  # the demo catalog's embeddings, if `make index` ran
    if cache.exists():
        shutil.copy(cache, state / cache.name)
    index = subprocess.run([str(PROJECT_ROOT / ".venv/bin/bot"), "index", "build"], cwd=PROJECT_ROOT,
                           env={**os.environ, "BOT_STATE_DIR": str(state)}, capture_output=True, text=True)
    if index.returncode != 0:
        raise RuntimeError(f"bot index build failed: {index.stderr[-2000:]}")
    log_path = state / "servers.log"
    with server_env(kind, state) as (env, url), log_path.open("wb") as log:
        process = subprocess.Popen([str(PROJECT_ROOT / SERVERS[kind][0])], cwd=PROJECT_ROOT,
                                   env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        launched: dict[int, Proc] = {}
        try:
            wait_until_ready(process, log_path)
            launched = {pid: proc for pid, proc in processes(process.pid).items() if proc.role in SERVER_ROLES}
            yield url, process
        finally:
            stop(process, launched)


def wait_until_ready(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while READY not in log.read_text(errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(f"the servers stopped (exit {process.returncode}):\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the servers did not start in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
        time.sleep(1)


def stop(process: subprocess.Popen, launched: dict[int, Proc]) -> None:
    """Ctrl-C, as a person stops them (the script stops its servers); then any server the
    script left running (each runs in a process group of its own) is ended too, by its id."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [pid for pid, proc in launched.items() if _same_process(pid, proc.started)]
        if not left:
            return
        print(f"warning: {len(left)} server processes outlived {process.args[0]}; sending {sig.name}",
              file=sys.stderr)
        for pid in left:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_same_process(pid, launched[pid].started) for pid in left):
            time.sleep(0.5)


def _same_process(pid: int, started: int) -> bool:
    """Whether ``pid`` is still the process that started at ``started`` (not a reuse of its id)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[19]) == started and fields[0] != "Z"


# --- locust ----------------------------------------------------------------------------

def level(users: int, url: str, out: Path, root: int) -> dict[str, object]:
    """One level: ramp up, then MEASURE_S seconds measured; rps, p50, p99, error rate, and
    where the CPU went meanwhile."""
    ramp_s = -(-users // SPAWN_RATE)
    prefix = out / f"users{users}"
    cpu = CpuUse(root)
    result = subprocess.run(
        [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", url, "--users", str(users),
         "--spawn-rate", str(SPAWN_RATE), "--run-time", f"{ramp_s + MEASURE_S}s", "--reset-stats",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "BOT_USER_TOKEN_SECRET": USER_TOKEN_SECRET},  # the users' shop signs them in
    )
    used = cpu.stop()
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():  # locust's exit code is 1 whenever a request failed: not a crash
        raise RuntimeError(f"locust failed (exit {result.returncode}): {result.stderr[-2000:]}")
    with stats.open() as file:
        rows = {row["Name"]: row for row in csv.DictReader(file)}
    total = rows.pop("Aggregated")
    with prefix.with_name(prefix.name + "_failures.csv").open() as file:
        failures = {f"{row['Name']}: {row['Error']}": int(row["Occurrences"]) for row in csv.DictReader(file)}
    made, failed = int(total["Request Count"]), int(total["Failure Count"])
    return {
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "error_rate": round(failed / made, 4) if made else 1.0,
        "requests": made,
        "failed_requests": failed,
        "failures": failures,
        **used,
        "by_message": {name: {"requests": int(row["Request Count"]), "p50_ms": float(row["50%"]),
                              "p99_ms": float(row["99%"])} for name, row in rows.items()},
    }


def run(server: str = "scale") -> dict[str, object]:
    """Every level against one start of the servers: {"load": per level, "memory_mb": per role}."""
    if not LOCUST.exists():
        raise RuntimeError(f"{LOCUST} is missing: `make bench` creates .venv-bench")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        state = Path(scratch)
        with servers(server, state) as (url, process):
            memory = PeakMemory(process.pid)
            memory.start()
            try:
                load = {str(users): level(users, url, state, process.pid) for users in LEVELS}
            finally:
                peaks = memory.stop()
    command, setup = SERVERS[server]
    return {"load": {"command": command, "setup": setup, "measured_s": MEASURE_S, "spawn_rate": SPAWN_RATE,
                     **load},
            "memory_mb": peaks}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "scale"), indent=2))
