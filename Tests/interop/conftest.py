"""Starts a real `tern serve` against the scripted fake LLM for the interop tests."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TERN_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
API_KEY = "interop-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def fake_llm():
    process = subprocess.Popen(
        [os.path.join(BIN, "tern-fake-llm"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("listening on "), f"fake LLM said: {line!r}"
        yield line.removeprefix("listening on ")
    finally:
        _stop(process)


def start_tern(fake_llm: str, data_dir: str, extra_env: dict | None = None, port: int | None = None) -> dict:
    """Starts `tern serve` on `data_dir` and waits until it is ready. Stop it with `stop_tern`."""
    port = port or _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERN_PORT": str(port),
        "TERN_DATA_DIR": data_dir,
        "TERN_LLM_BASE_URL": fake_llm,
        "TERN_LLM_MODEL": "fake-model",
        "TERN_API_KEYS": API_KEY,
        "TERN_LOG_LEVEL": "warning",
        # The tests poll approvals and replay whole threads as one user, far faster than the
        # default 120 requests a minute allow; the limits themselves are tested in Swift.
        "TERN_RATE_LIMIT_PER_MINUTE": "100000",
        "TERN_RATE_LIMIT_BURST": "10000",
        **(extra_env or {}),
    }
    log = open(os.path.join(data_dir, "tern.log"), "a")
    process = subprocess.Popen(
        [os.path.join(BIN, "tern"), "serve"], env=env, cwd=data_dir, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    server = {"base_url": base + "/v1", "api_key": API_KEY, "data_dir": data_dir, "process": process,
              "log": log, "port": port}
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.close()
            raise AssertionError(open(log.name).read())
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            if time.monotonic() > deadline:
                stop_tern(server)
                raise
            time.sleep(0.05)


def stop_tern(server: dict) -> None:
    _stop(server["process"])
    server["log"].close()


@pytest.fixture(scope="session")
def tern(fake_llm):
    server = start_tern(fake_llm, tempfile.mkdtemp(prefix="tern-interop-"))
    try:
        yield server
    finally:
        stop_tern(server)
