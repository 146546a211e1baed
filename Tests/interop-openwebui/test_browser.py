"""Smoke test in a real browser: headless Chromium signs in to Open WebUI, chats, sees Tern's answer.

Needs Debian `chromium` and `chromium-driver` (scripts/setup-openwebui installs them) and selenium.
Saves a screenshot to ${TERN_ARTIFACTS_DIR:-.build/artifacts}/openwebui-chat.png.
"""

from __future__ import annotations

import os
import secrets

import pytest

import shared
from conftest import ROOT, _missing
from owui import PASSWORD, signup

ANSWER_TIMEOUT = 90


@pytest.fixture
def browser():
    with shared.headless_chromium(_missing, "scripts/setup-openwebui") as driver:
        yield driver


def artifacts_dir() -> str:
    path = os.environ.get("TERN_ARTIFACTS_DIR") or os.path.join(ROOT, ".build", "artifacts")
    os.makedirs(path, exist_ok=True)
    return path


def saved_error(user) -> str | None:
    """The error Open WebUI saved on the user's newest chat, if its answer failed."""
    chats = user.get("/api/v1/chats/").json()
    if not chats:
        return None
    messages = user.chat(chats[0]["id"])["chat"]["history"]["messages"].values()
    errors = [m["error"] for m in messages if m.get("error")]
    return str(errors[0]) if errors else None


def test_browser_chat_shows_terns_answer(openwebui, admin, browser, tern):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    user = signup(openwebui["base_url"], "Browser Bøb", f"browser-{secrets.token_hex(4)}@example.com")
    wait = WebDriverWait(browser, 60)
    screenshot = os.path.join(artifacts_dir(), "openwebui-chat.png")
    try:
        # Sign in through the page's own form.
        browser.get(openwebui["base_url"] + "/auth")
        wait.until(EC.visibility_of_element_located((By.ID, "email"))).send_keys(user.email)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        # The chat page: pick `tern` if the page has not selected it (DEFAULT_MODELS=tern does).
        box = wait.until(EC.element_to_be_clickable((By.ID, "chat-input")))
        wait.until(lambda d: "tern" in d.find_element(By.TAG_NAME, "body").text)
        text = f"Hello from Chromium {secrets.token_hex(3)}"
        box.click()
        box.send_keys(text)
        wait.until(lambda d: text in d.find_element(By.ID, "chat-input").text)
        box.send_keys(Keys.ENTER)

        expected = f"Echo: {text}"
        WebDriverWait(browser, ANSWER_TIMEOUT).until(
            lambda d: expected in d.find_element(By.TAG_NAME, "body").text
            or saved_error(user)
        )
        errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-sonner-toast][data-type=error]")]
        body = browser.find_element(By.TAG_NAME, "body").text
        assert expected in body, (
            f"no answer; saved error: {saved_error(user)}; error toasts: {errors}; page text:\n{body[-1500:]}"
        )
    finally:
        browser.save_screenshot(screenshot)
        print(f"screenshot: {screenshot}")
