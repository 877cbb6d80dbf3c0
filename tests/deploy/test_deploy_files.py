"""The deployment files of the scale-out (docs/deploy.md) agree with what `make run-scale` runs.

docker-compose.yml is validated by docker-compose itself (no Docker engine needed), both it and
the Helm values must configure Rasa's stores exactly as endpoints.scale.yml does, and nginx must
accept the config its template renders to.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
HELM_VALUES = PROJECT_ROOT / "deploy/helm/rasa-values.yml"
ACTION_SERVER_VALUES = PROJECT_ROOT / "deploy/helm/action-server-values.yml"
NGINX_TEMPLATE = PROJECT_ROOT / "deploy/nginx.conf.template"
SCALE_ENDPOINTS = yaml.safe_load((PROJECT_ROOT / "endpoints.scale.yml").read_text())
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
COMPOSE_SECRETS = {"POSTGRES_PASSWORD": "pw4test", "BOT_RASA_TOKEN": "token-for-the-test",
                   "BOT_ACTION_TOKEN": "action-token-for-the-test"}


def docker_compose(*arguments: str, env_file: Path) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose not found: it validates docker-compose.yml without a Docker engine "
                    "(apt-get install docker-compose; .ci/run installs it)", pytrace=False)
    # --env-file: the test's values only, never a developer's .env beside the compose file.
    return subprocess.run(["docker-compose", "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *arguments],
                          capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)


def env_file(tmp_path: Path, values: dict[str, str]) -> Path:
    path = tmp_path / "compose.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail("nginx not found: it balances `make run-scale` (apt-get install nginx; .ci/run installs it)",
                    pytrace=False)
    return found


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> dict:
    """docker-compose.yml as docker-compose resolves it (anchors merged, variables filled in)."""
    result = docker_compose("config", env_file=env_file(tmp_path_factory.mktemp("compose"), COMPOSE_SECRETS))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def services_running(compose: dict, program: str) -> list[str]:
    return sorted(name for name, service in compose.items() if program in service.get("command", []))


def render_nginx_config(tmp_path: Path, **values: str) -> subprocess.CompletedProcess:
    """deploy/nginx.conf.template through scripts/run-scale's renderer, with ``values`` set."""
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items())
    script = f"set -euo pipefail; source scripts/lib-run.sh; {exports}; " \
             f"render_template {NGINX_TEMPLATE} {' '.join(values)} >{tmp_path / 'nginx.conf'}"
    return subprocess.run(["bash", "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30)


def test_docker_compose_accepts_the_compose_file_and_demands_its_secrets(tmp_path):
    assert docker_compose("config", "-q", env_file=env_file(tmp_path, COMPOSE_SECRETS)).returncode == 0
    for secret in ("POSTGRES_PASSWORD", "BOT_ACTION_TOKEN"):
        without = docker_compose("config", "-q", env_file=env_file(
            tmp_path, {key: value for key, value in COMPOSE_SECRETS.items() if key != secret}))
        assert without.returncode != 0
        assert f"set {secret} in .env" in without.stderr


def test_compose_runs_several_rasa_servers_on_endpoints_scale_with_all_its_settings(compose):
    rasa_servers = services_running(compose, "run")
    assert len(rasa_servers) >= 2, rasa_servers
    needed = set(PLACEHOLDER.findall((PROJECT_ROOT / "endpoints.scale.yml").read_text()))
    for name in rasa_servers:
        service = compose[name]
        command, env = service["command"], service["environment"]
        assert command[command.index("--endpoints") + 1] == "endpoints.scale.yml", name
        assert needed <= set(env), f"{name} lacks {needed - set(env)}"
        # The tracker store on the compose file's PostgreSQL, the lock store on its Redis.
        assert env["TRACKER_DIALECT"] == "postgresql"
        assert compose[urlsplit(env["TRACKER_HOST"]).hostname]["image"].startswith("postgres:")
        assert compose[env["REDIS_HOST"]]["image"].startswith("redis:")
        # Actions go through the balancer.
        action_endpoint = urlsplit(env["ACTION_ENDPOINT_URL"])
        assert action_endpoint.hostname == "nginx"
        assert str(action_endpoint.port) == compose["nginx"]["environment"]["ACTIONS_LISTEN"]


def test_compose_balancer_lists_every_rasa_server_and_every_action_server(compose):
    nginx = compose["nginx"]["environment"]
    assert re.findall(r"server (\S+):5005;", nginx["RASA_SERVERS"]) == services_running(compose, "run")
    action_servers = services_running(compose, "actions.server")
    assert len(action_servers) >= 2, action_servers
    assert re.findall(r"server (\S+):5055;", nginx["ACTIONS_SERVERS"]) == action_servers
    # Every placeholder of the template is set, so the image's envsubst leaves none behind.
    assert set(PLACEHOLDER.findall(NGINX_TEMPLATE.read_text())) <= set(nginx)


def test_compose_engine_and_tracker_databases_differ(compose):
    env = compose["web"]["environment"]
    assert env["BOT_DATABASE_URL"] != env["BOT_TRACKER_URL"]  # both have a table "events"
    assert env["BOT_TRACKER_URL"] == compose["rasa-1"]["environment"]["TRACKER_HOST"]


@pytest.mark.parametrize("store, chart_key", [("tracker_store", "trackerStore"), ("lock_store", "lockStore")])
def test_helm_values_configure_the_stores_of_endpoints_scale(store, chart_key):
    values = yaml.safe_load(HELM_VALUES.read_text())
    chart_store = values["applicationSettings"]["endpoints"][chart_key]
    assert chart_store["enabled"] is True
    # The chart writes every key but `enabled` into endpoints.yml; null drops one of its defaults.
    written = {key: value for key, value in chart_store.items() if key != "enabled" and value is not None}
    assert written == SCALE_ENDPOINTS[store]
    set_in_pods = {variable["name"] for variable in values["extraEnv"]}
    needed = set(PLACEHOLDER.findall(yaml.safe_dump(written)))
    assert needed <= set_in_pods, f"not set in the Rasa pods: {needed - set_in_pods}"


def test_helm_values_send_the_action_servers_their_secret():
    rasa = yaml.safe_load(HELM_VALUES.read_text())
    endpoint = rasa["applicationSettings"]["endpoints"]["additionalEndpoints"]["action_endpoint"]
    assert endpoint == SCALE_ENDPOINTS["action_endpoint"]
    assert rasa["rasa-action-server"]["install"] is False  # its chart would write a second action_endpoint
    actions = yaml.safe_load(ACTION_SERVER_VALUES.read_text())
    assert actions["command"][actions["command"].index("--host") + 1] == "0.0.0.0"
    for values in (rasa, actions):
        secret = {variable["name"]: variable for variable in values["extraEnv"]}["BOT_ACTION_TOKEN"]
        assert secret["valueFrom"] == {"secretKeyRef": {"name": "recbot", "key": "action-token"}}
    service = urlsplit({v["name"]: v.get("value") for v in rasa["extraEnv"]}["ACTION_ENDPOINT_URL"]).hostname
    assert service == "recbot-actions-rasa-action-server"  # the release name docs/deploy.md installs


def local_nginx_settings(run_dir: Path) -> dict[str, str]:
    """The template's settings as scripts/run-scale fills them in for two servers of each kind."""
    return {
        "RASA_LISTEN": "127.0.0.1:15005", "ACTIONS_LISTEN": "127.0.0.1:15055",
        "RASA_SERVERS": "server 127.0.0.1:15006; server 127.0.0.1:15007; ",
        "ACTIONS_SERVERS": "server 127.0.0.1:15056; server 127.0.0.1:15057; ",
        "NGINX_RUN_DIR": str(run_dir), "NGINX_ACCESS_LOG": str(run_dir / "access.log"),
        "NGINX_ERROR_LOG": str(run_dir / "error.log"),
    }


def test_nginx_accepts_the_config_the_template_renders_to(tmp_path):
    rendered = render_nginx_config(tmp_path, **local_nginx_settings(tmp_path))
    assert rendered.returncode == 0, rendered.stderr
    config = (tmp_path / "nginx.conf").read_text()
    assert not PLACEHOLDER.search(config)
    assert config.count("server 127.0.0.1:15007;") == 2  # the round-robin and the socket.io upstreams
    checked = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_rendering_the_nginx_template_without_a_setting_names_it(tmp_path):
    settings = local_nginx_settings(tmp_path)
    del settings["ACTIONS_SERVERS"]
    rendered = render_nginx_config(tmp_path, **settings)
    assert rendered.returncode != 0
    assert "deploy/nginx.conf.template needs ${ACTIONS_SERVERS}" in rendered.stderr
