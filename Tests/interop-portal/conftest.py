"""Starts a real OIDC provider (PyPI `oidc-provider-mock`), the scripted fake LLM and a real
`tern serve` signing in through that provider, and headless Chromium to drive the portal.

Run with the portal venv's python (scripts/test-portal does): the provider is found as
`oidc-provider-mock` next to that python. Every process is stopped at the end of the session;
Tern's log stays in its temp data dir and its tail is printed under a failing test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest
import requests

from portal import ADMIN_EMAIL, Provider, Tern, log_tail, missing, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "interop-shared"))
import shared  # noqa: E402

interop = shared.interop_helpers()
fake_llm = interop.fake_llm  # session fixture: the fake LLM's base URL (…/v1)


@pytest.fixture(scope="session")
def provider():
    """`oidc-provider-mock` on a free loopback port; its issuer is its URL with no trailing slash."""
    binary = os.path.join(os.path.dirname(sys.executable), "oidc-provider-mock")
    if not os.access(binary, os.X_OK):
        missing(f"oidc-provider-mock not installed at {binary}; run scripts/setup-portal and use its venv's python")
    port = interop._free_port()
    log_path = os.path.join(tempfile.mkdtemp(prefix="tern-oidc-"), "provider.log")
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [binary, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}, start_new_session=True,
    )
    found = Provider(f"http://127.0.0.1:{port}", log_path)

    def discovered():
        if process.poll() is not None:
            raise AssertionError(f"oidc-provider-mock exited with {process.returncode}:\n{log_tail(log_path, 40)}")
        try:
            return requests.get(found.issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for("the OIDC provider's discovery document", discovered, 30)
        yield found
    finally:
        interop._stop(process)
        log.close()


def start_portal_tern(fake_llm: str, provider: Provider, extra_env: dict | None = None) -> Tern:
    """`tern serve` on a fresh data dir, signing in through `provider`, its calculator gated by approval."""
    for binary in ("tern", "tern-fake-llm"):
        if not os.access(os.path.join(interop.BIN, binary), os.X_OK):
            missing(f"{binary} not built in {interop.BIN}; run swift build")
    data_dir = tempfile.mkdtemp(prefix="tern-portal-")
    with open(os.path.join(data_dir, "tools.yaml"), "w") as file:
        file.write("require_approval: [calculator]\n")
    port = interop._free_port()
    env = {
        "TERN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TERN_OIDC_ISSUER": provider.issuer,
        "TERN_OIDC_CLIENT_ID": "tern-portal-tests",
        "TERN_OIDC_CLIENT_SECRET": "portal-client-secret",
        "TERN_ADMIN_EMAILS": ADMIN_EMAIL,
        "TERN_LOG_LEVEL": os.environ.get("TERN_LOG_LEVEL", "info"),
        **(extra_env or {}),
    }
    server = interop.start_tern(fake_llm, data_dir, extra_env=env, port=port)
    return Tern(server, root=f"http://127.0.0.1:{port}", api_key=interop.API_KEY,
                log_path=os.path.join(data_dir, "tern.log"))


@pytest.fixture(scope="session")
def tern(fake_llm, provider):
    server = start_portal_tern(fake_llm, provider)
    try:
        yield server
    finally:
        interop.stop_tern(server.raw)


@pytest.fixture(scope="module")
def proxied_tern(fake_llm, provider):
    """A second server that trusts 127.0.0.1 as a TLS-terminating proxy (TERN_TRUSTED_PROXIES)."""
    server = start_portal_tern(fake_llm, provider, {"TERN_TRUSTED_PROXIES": "127.0.0.1/32"})
    try:
        yield server
    finally:
        interop.stop_tern(server.raw)


@pytest.fixture
def browser():
    """A fresh headless Chromium (no cookies) for one test."""
    with shared.headless_chromium(missing, "scripts/setup-portal", window="1280,1000") as driver:
        yield driver


@pytest.fixture(autouse=True)
def diagnostics(request):
    """On failure, prints the tail of Tern's and the provider's logs under the test's report."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for name in ("tern", "proxied_tern", "provider"):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            print(f"\n--- {name} log ({server.log_path}) ---\n{log_tail(server.log_path, 40)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
