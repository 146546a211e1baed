"""Helpers for the portal's browser tests: the OIDC provider, Tern's admin API, signing in
through the provider's real login form, cookies, screenshots."""

from __future__ import annotations

import os
import time
import urllib.parse
from dataclasses import dataclass

import pytest
import requests

ADMIN_EMAIL = "ada@example.com"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SESSION_COOKIE = "tern_session"
LOGIN_COOKIE = "tern_login"
WAIT = 30


def missing(why: str):
    """A missing prerequisite fails under CI=true and skips elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def wait_for(what: str, check, timeout: float = WAIT, interval: float = 0.05):
    """Polls `check()` (another process's state) until it is truthy; fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def log_tail(path: str, lines: int) -> str:
    try:
        with open(path, errors="replace") as file:
            return "".join(file.readlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


def artifacts_dir() -> str:
    path = os.environ.get("TERN_ARTIFACTS_DIR") or os.path.join(ROOT, ".build", "artifacts")
    os.makedirs(path, exist_ok=True)
    return path


def snap(driver, name: str) -> str:
    """Saves a full-page screenshot to <artifacts>/portal-<name>.png."""
    path = os.path.join(artifacts_dir(), f"portal-{name}.png")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(1000, min(int(height or 0), 4000)))
    driver.save_screenshot(path)
    return path


@dataclass
class Provider:
    """The running oidc-provider-mock."""

    issuer: str
    log_path: str

    def set_user(self, sub: str, **claims) -> None:
        """Sets the claims (email, name, groups, …) the provider puts in `sub`'s id_token."""
        response = requests.put(f"{self.issuer}/users/{urllib.parse.quote(sub, safe='')}", json=claims, timeout=10)
        assert response.status_code == 204, f"PUT /users/{sub}: {response.status_code} {response.text}"


@dataclass
class Tern:
    """A running `tern serve` with the portal's sign-in configured."""

    raw: dict
    root: str
    api_key: str
    log_path: str

    def api(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> requests.Response:
        """Calls `/admin/api/v1/<path>` with a bearer key (the server's static admin key by default)."""
        return requests.request(
            method, f"{self.root}/admin/api/v1/{path}", json=body, timeout=30,
            headers={"Authorization": f"Bearer {key or self.api_key}"},
        )

    def get(self, path: str, cookies: dict | None = None, headers: dict | None = None) -> requests.Response:
        """A GET that does not follow redirects, with exactly the cookies given."""
        cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
        return requests.get(self.root + path, allow_redirects=False, timeout=30,
                            headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})})


def provider_form_url(driver, tern: Tern) -> str:
    """Opens the portal signed out and lands on the provider's login form; returns its URL."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(tern.root + "/admin/")
    WebDriverWait(driver, WAIT).until(EC.visibility_of_element_located((By.NAME, "sub")))
    return driver.current_url


def submit_provider_form(driver, sub: str) -> None:
    """Types `sub` into the provider's login form and presses Authorize."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, "input[name=sub]")
    field.send_keys(sub)
    field.find_element(By.XPATH, "./ancestor::form//button[@type='submit']").click()


def sign_in(driver, tern: Tern, provider: Provider, email: str, name: str | None = None, shot: str | None = None) -> dict:
    """Signs in as `email` through the provider's real login form; returns the authorize request's
    query parameters (what Tern sent the browser to the provider with)."""
    provider.set_user(email, email=email, email_verified=True, name=name or email.split("@")[0].title())
    authorize = provider_form_url(driver, tern)
    if shot:
        snap(driver, shot)
    submit_provider_form(driver, email)
    wait_for("the session cookie after the OIDC callback", lambda: session_cookie(driver))
    wait_for("the portal after sign-in", lambda: driver.current_url.startswith(tern.root + "/admin"))
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))


def session_cookie(driver) -> dict | None:
    """The browser's portal session cookie (with its flags), if it has one."""
    for cookie in driver.get_cookies():
        if cookie["name"] in (SESSION_COOKIE, "__Host-" + SESSION_COOKIE):
            return cookie
    return None


def set_cookie_attributes(header: str) -> tuple[str, str, dict]:
    """Splits one Set-Cookie value into (name, value, {attribute lowercased: value or True})."""
    first, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    flags = {}
    for attribute in attributes:
        key, equals, flag = attribute.partition("=")
        flags[key.lower()] = flag if equals else True
    return name, value, flags


def set_cookies(response: requests.Response) -> dict:
    """Every Set-Cookie of a response, by cookie name."""
    headers = response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []
    return {name: (value, flags) for name, value, flags in map(set_cookie_attributes, headers)}
