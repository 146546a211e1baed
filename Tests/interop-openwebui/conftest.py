"""Starts the scripted fake LLM, a real `tern serve` and a real Open WebUI (PyPI) in front of it.

Open WebUI is slow to start (15–60 s), so it runs once per session. Its log, and Tern's, are
shown when a start fails and kept in the temp dirs named at the start of the run.

Run with the Open WebUI venv's python (scripts/test-openwebui does): Open WebUI is found as
`open-webui` next to that python, or at $TERN_OPENWEBUI_BIN.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from owui import TernDB, log_tail, signup, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "interop-shared"))
import shared  # noqa: E402

interop = shared.interop_helpers()
fake_llm = interop.fake_llm  # session fixture: the fake LLM's base URL (…/v1)

PROXY_KEY = "owui-proxy-key-" + secrets.token_hex(8)
STARTUP_TIMEOUT = float(os.environ.get("TERN_OPENWEBUI_STARTUP_TIMEOUT", "180"))


def _missing(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def openwebui_bin() -> str:
    path = os.environ.get("TERN_OPENWEBUI_BIN") or os.path.join(os.path.dirname(sys.executable), "open-webui")
    if not os.access(path, os.X_OK):
        _missing(f"Open WebUI not installed at {path}; run scripts/setup-openwebui and use its venv's python")
    return path


@pytest.fixture(scope="session")
def tern(fake_llm):
    for binary in ("tern", "tern-fake-llm"):
        if not os.access(os.path.join(interop.BIN, binary), os.X_OK):
            _missing(f"{binary} not built in {interop.BIN}; run swift build")
    data_dir = tempfile.mkdtemp(prefix="tern-owui-")
    server = interop.start_tern(
        fake_llm, data_dir,
        extra_env={"TERN_TRUSTED_PROXY_KEYS": PROXY_KEY, "TERN_LOG_LEVEL": os.environ.get("TERN_LOG_LEVEL", "info")},
    )
    server["proxy_key"] = PROXY_KEY
    server["log_path"] = os.path.join(data_dir, "tern.log")
    server["db"] = TernDB(os.path.join(data_dir, "tern.sqlite"))
    try:
        yield server
    finally:
        interop.stop_tern(server)


def openwebui_env(tern: dict, fake_llm: str, data_dir: str, port: int, forward_user_info: bool = True) -> dict:
    """The environment of an offline Open WebUI connected to Tern (docs/openwebui.md settings)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", data_dir),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        # No network, no telemetry, no model downloads.
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ENABLE_VERSION_UPDATE_CHECK": "false",
        "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
        "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
        "WHISPER_MODEL_AUTO_UPDATE": "false",
        "ANONYMIZED_TELEMETRY": "false",
        "DO_NOT_TRACK": "true",
        "SCARF_NO_ANALYTICS": "true",
        # Embeddings from the fake LLM instead of a local sentence-transformers model.
        "RAG_EMBEDDING_ENGINE": "openai",
        "RAG_OPENAI_API_BASE_URL": fake_llm,
        "RAG_OPENAI_API_KEY": "unused",
        "RAG_EMBEDDING_MODEL": "fake-model",
        # The connection to Tern.
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URL": tern["base_url"],
        "OPENAI_API_KEY": tern["proxy_key"],
        "ENABLE_FORWARD_USER_INFO_HEADERS": "true" if forward_user_info else "false",
        # Users.
        "WEBUI_SECRET_KEY": secrets.token_hex(32),
        "WEBUI_AUTH": "true",
        "ENABLE_SIGNUP": "true",
        "DEFAULT_USER_ROLE": "user",
        "BYPASS_MODEL_ACCESS_CONTROL": "true",
        "DEFAULT_MODELS": "tern",
        # Its own state.
        "DATA_DIR": data_dir,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GLOBAL_LOG_LEVEL": os.environ.get("TERN_OPENWEBUI_LOG_LEVEL", "INFO"),
    }
    for passthrough in ("PIP_FIND_LINKS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    return env


def start_openwebui(tern: dict, fake_llm: str, forward_user_info: bool = True) -> dict:
    """Starts `open-webui serve` on a free loopback port and waits for `GET /health`."""
    binary = openwebui_bin()
    data_dir = tempfile.mkdtemp(prefix="openwebui-")
    port = interop._free_port()
    log_path = os.path.join(data_dir, "open-webui.log")
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=openwebui_env(tern, fake_llm, data_dir, port, forward_user_info),
        cwd=data_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = {"base_url": f"http://127.0.0.1:{port}", "process": process, "log": log, "log_path": log_path,
              "data_dir": data_dir}
    started = time.monotonic()

    def healthy():
        if process.poll() is not None:
            raise AssertionError(f"Open WebUI exited with {process.returncode}:\n{log_tail(log_path, 80)}")
        try:
            return requests.get(server["base_url"] + "/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for("Open WebUI's /health", healthy, STARTUP_TIMEOUT, interval=0.5,
                 on_timeout=lambda: f"\nits log ({log_path}):\n{log_tail(log_path, 80)}")
    except BaseException:
        stop_openwebui(server)
        raise
    print(f"\nOpen WebUI healthy after {time.monotonic() - started:.1f} s at {server['base_url']} (log {log_path})",
          file=sys.stderr)
    return server


def stop_openwebui(server: dict) -> None:
    """Stops Open WebUI and everything it started (its own process group)."""
    process = server["process"]
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
    server["log"].close()


@pytest.fixture(scope="session")
def openwebui(tern, fake_llm):
    server = start_openwebui(tern, fake_llm)
    try:
        yield server
    finally:
        stop_openwebui(server)


@pytest.fixture(scope="session")
def admin(openwebui):
    """The first sign-up, who becomes Open WebUI's admin."""
    user = signup(openwebui["base_url"], "Ada Admin", "ada@example.com")
    assert user.role == "admin", f"the first sign-up should be admin, got {user.role}"
    user.enable_signup()
    yield user
    user.disconnect_socket()


@pytest.fixture
def new_user(openwebui, admin):
    """Signs up fresh (role `user`) accounts for one test; disconnects their sockets after it."""
    made = []

    def make(name: str, email: str | None = None):
        email = email or f"u{secrets.token_hex(4)}@example.com"
        user = signup(openwebui["base_url"], name, email)
        assert user.role == "user", f"DEFAULT_USER_ROLE=user should apply, got {user.role}"
        made.append(user)
        return user

    yield make
    for user in made:
        user.disconnect_socket()


@pytest.fixture(autouse=True)
def diagnostics(tern, openwebui, request):
    """On failure, prints the tail of Tern's and Open WebUI's logs under the test's report."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\n--- tern log ({tern['log_path']}) ---\n{log_tail(tern['log_path'], 40)}")
        print(f"\n--- Open WebUI log ({openwebui['log_path']}) ---\n{log_tail(openwebui['log_path'], 40)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
