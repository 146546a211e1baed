"""Driving the portal's pages in the browser: navigation by the labels people see, forms found
by their fields, the toast, and the page source checks."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from portal import WAIT, Tern, snap, wait_for


def by():
    from selenium.webdriver.common.by import By

    return By


def until(driver, condition, timeout: float = WAIT):
    """Waits for `condition`; an element gone stale because the page navigated while the
    condition read it (a form posted, the next page loading) only means "not yet". Chromium
    reports one detached between finding and reading it as "Node with given id does not belong
    to the document" (a plain WebDriverException), which means the same; any other error fails."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def settled(d):
        try:
            return condition(d)
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise

    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(settled)


def open_page(driver, tern: Tern, path: str, shot: str, page: str):
    """Opens `path` signed in; skips naming `page` only if the portal has no such page yet (404)."""
    if tern.get(path, cookies=session_cookies(driver)).status_code == 404:
        pytest.skip(f"the portal's {page} page ({path}) does not exist yet")
    driver.get(tern.root + path)
    until(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    snap(driver, shot)


def follow_nav(driver, label: str, shot: str):
    """Clicks the main navigation's `label` link and waits for that page."""
    from selenium.webdriver.support import expected_conditions as EC

    xpath = f"//nav//a[normalize-space()='{label}']"
    if not driver.find_elements(by().XPATH, xpath):
        pytest.skip(f"the portal has no '{label}' page in its navigation yet")
    link = until(driver, EC.element_to_be_clickable((by().XPATH, xpath)))
    href = link.get_attribute("href")
    link.click()
    until(driver, lambda d: d.current_url == href and d.execute_script("return document.readyState") == "complete")
    snap(driver, shot)


def session_cookies(driver) -> dict:
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def form_with(driver, *fields: str):
    """The one visible form holding every field named in `fields`."""
    selector = "form" + "".join(f":has([name='{name}'])" for name in fields)
    forms = [f for f in driver.find_elements(by().CSS_SELECTOR, selector) if f.is_displayed()]
    assert len(forms) == 1, f"expected one form with {fields} on {driver.current_url}, found {len(forms)}"
    return forms[0]


def fill(form, values: dict) -> None:
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        field = form.find_element(by().CSS_SELECTOR, f"[name='{name}']")
        if field.tag_name == "select":
            chooser = Select(field)
            try:
                chooser.select_by_value(value)
            except Exception:  # noqa: BLE001 - the option may be labelled instead of valued
                chooser.select_by_visible_text(value)
        else:
            field.clear()
            field.send_keys(value)


def submit_button(form):
    return form.find_element(by().CSS_SELECTOR, "button[type=submit], button:not([type])")


def submit(driver, form) -> None:
    """Clicks the form's submit button and waits until the page it leads to has loaded."""
    old = driver.find_element(by().TAG_NAME, "html")
    submit_button(form).click()
    until(driver, lambda d: is_stale(old) and d.execute_script("return document.readyState") == "complete")


def is_stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except Exception:  # noqa: BLE001 - StaleElementReferenceException: the page was replaced
        return True


def toasts(driver) -> list[str]:
    return [t.text for t in driver.find_elements(by().CSS_SELECTOR, "#toasts .toast") if t.text]


def body_text(driver) -> str:
    return driver.find_element(by().TAG_NAME, "body").text


def gated_turn(tern: Tern, fake_llm: str, expression: str) -> tuple[threading.Thread, dict]:
    """Starts a chat turn (the server's admin key) whose calculator call waits for approval."""
    root = fake_llm.removesuffix("/v1")
    call = {"tool_calls": [{"id": "c1", "name": "calculator", "arguments": json.dumps({"expression": expression})}]}
    scripted = requests.post(root + "/_script", json={"replies": [call, {"content": ["Approved and done."]}]}, timeout=10)
    assert scripted.status_code == 200, scripted.text
    result: dict = {}

    def ask():
        response = requests.post(
            tern.root + "/v1/chat/completions", timeout=120, headers={"Authorization": f"Bearer {tern.api_key}"},
            json={"model": "tern", "messages": [{"role": "user", "content": f"what is {expression}?"}]})
        result["status"] = response.status_code
        result["body"] = response.json()

    turn = threading.Thread(target=ask, daemon=True)
    turn.start()

    def pending():
        answer = requests.get(tern.root + "/v1/approvals", timeout=10, headers={"Authorization": f"Bearer {tern.api_key}"})
        assert answer.status_code == 200, answer.text
        return [a for a in answer.json()["data"] if json.loads(a["arguments"]).get("expression") == expression]

    result["approval"] = wait_for(f"the approval request for {expression}", pending)[0]
    return turn, result
