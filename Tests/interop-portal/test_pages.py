"""The portal's pages as an admin and a context owner use them, in headless Chromium: create a
context, add a member, store a credential, double-click a submit, a failure's toast, deciding
an approval, and one owner kept out of another context's pages and API."""

from __future__ import annotations

import secrets

import pytest

from pages import (body_text, by, fill, follow_nav, form_with, gated_turn, open_page, session_cookies, submit,
                   submit_button, toasts, until)
from portal import ADMIN_EMAIL, SESSION_COOKIE, sign_in, snap

NAV = ["Dashboard", "Contexts", "Conversations", "Users", "Approvals", "Credentials", "MCP servers", "Skills",
       "Diagnostics", "Settings", "Audit log"]


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def contexts_named(tern, name: str) -> list[dict]:
    answer = tern.api("GET", "contexts")
    assert answer.status_code == 200, answer.text
    return [c for c in answer.json()["data"] if c["name"] == name]


def new_user(tern, provider, email: str) -> str:
    """A user made through the admin API, whom the provider signs in with the same email."""
    made = tern.api("POST", "users", {"email": email, "display_name": email.split("@")[0].title()})
    assert made.status_code == 201, made.text
    provider.set_user(email, email=email, email_verified=True)
    return made.json()["user"]["id"]


def create_context_in_browser(browser, name: str):
    form = form_with(browser, "name", "idempotency")
    fill(form, {"name": name})
    submit(browser, form)


def test_navigation_has_exactly_the_issues_labels(browser, tern, provider):
    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    if not browser.find_elements(by().CSS_SELECTOR, "nav.main"):
        pytest.skip("the portal's pages (Dashboard and its navigation) do not exist yet")
    labels = [a.text.strip() for a in browser.find_elements(by().CSS_SELECTOR, "nav.main a")]
    assert labels == NAV, labels
    for label in NAV:
        follow_nav(browser, label, "nav-" + label.lower().replace(" ", "-"))
        assert "Sign-in failed" not in body_text(browser)


def test_create_context_add_member_store_credential(browser, tern, provider):
    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "Contexts", "contexts")
    name = unique("research")
    create_context_in_browser(browser, name)
    snap(browser, "context-created")
    [created] = contexts_named(tern, name)
    assert name in body_text(browser)

    member_email = unique("bob") + "@example.com"
    member_id = new_user(tern, provider, member_email)
    form = form_with(browser, "email", "role", "idempotency")
    fill(form, {"email": member_email, "role": "member"})
    submit(browser, form)
    snap(browser, "context-member-added")
    members = tern.api("GET", f"contexts/{created['id']}/members").json()["data"]
    assert any(m.get("user_id") == member_id and m.get("role") == "member" for m in members), members
    assert member_email in body_text(browser)

    detail = browser.current_url
    secret = "sk-live-" + secrets.token_hex(16)
    follow_nav(browser, "Credentials", "credentials")
    form = form_with(browser, "name", "value")
    assert form.find_element(by().CSS_SELECTOR, "[name='value']").get_attribute("type") == "password"
    fill(form, {"context": created["id"], "name": "SEARCH_API_KEY", "value": secret})
    submit(browser, form)
    snap(browser, "credential-stored")
    assert "SEARCH_API_KEY" in body_text(browser)
    stored = tern.api("GET", f"contexts/{created['id']}/credentials").json()["data"]
    assert [c["name"] for c in stored] == ["SEARCH_API_KEY"], stored

    # The value is write-only: no page shows it again, not even in its source.
    assert secret not in browser.page_source
    for label in NAV:
        follow_nav(browser, label, "after-credential-" + label.lower().replace(" ", "-"))
        assert secret not in browser.page_source, f"the credential's value is in {browser.current_url}"
    browser.get(detail)
    snap(browser, "context-with-credential")
    assert "SEARCH_API_KEY" in body_text(browser) and secret not in browser.page_source


def test_double_click_on_create_makes_exactly_one_context(browser, tern, provider):
    from selenium.webdriver.common.action_chains import ActionChains

    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "Contexts", "contexts")
    name = unique("twice")
    form = form_with(browser, "name", "idempotency")
    fill(form, {"name": name})
    old = browser.find_element(by().TAG_NAME, "html")
    ActionChains(browser).double_click(submit_button(form)).perform()
    until(browser, lambda d: name in body_text(d) and d.find_element(by().TAG_NAME, "html") != old)
    snap(browser, "double-click")
    assert toasts(browser) == [], toasts(browser)
    assert len(contexts_named(tern, name)) == 1


def test_same_form_posted_twice_without_javascript_makes_one_context(browser, tern, provider):
    import requests

    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "Contexts", "contexts")
    form = form_with(browser, "name", "idempotency")
    fields = {e.get_attribute("name"): e.get_attribute("value") or ""
              for e in form.find_elements(by().CSS_SELECTOR, "input[name]")}
    name = unique("resent")
    fields["name"] = name
    action = form.get_attribute("action")
    cookies = session_cookies(browser)
    answers = [requests.post(action, data=fields, cookies=cookies, allow_redirects=False, timeout=30,
                             headers={"Origin": tern.root}) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303], [a.text for a in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert len(contexts_named(tern, name)) == 1


def test_a_refused_create_shows_the_servers_message_in_a_toast(browser, tern, provider):
    name = unique("taken")
    assert tern.api("POST", "contexts", {"name": name}).status_code == 201
    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "Contexts", "contexts")
    form = form_with(browser, "name", "idempotency")
    fill(form, {"name": name})
    submit_button(form).click()
    shown = until(browser, lambda d: toasts(d))
    snap(browser, "toast-duplicate-name")
    assert any(f"a context named '{name}' already exists" in t for t in shown), shown
    assert submit_button(form_with(browser, "name", "idempotency")).is_enabled(), "the button comes back after a failure"
    assert len(contexts_named(tern, name)) == 1


def test_decide_an_approval(browser, tern, provider, fake_llm):
    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "Approvals", "approvals-empty")
    expression = f"{secrets.randbelow(900) + 100}*7"
    turn, result = gated_turn(tern, fake_llm, expression)
    browser.refresh()
    snap(browser, "approvals-pending")
    row = until(browser, lambda d: [r for r in d.find_elements(by().CSS_SELECTOR, "tr, li, article")
                                    if expression in r.text and r.find_elements(by().TAG_NAME, "button")])[0]
    assert "calculator" in row.text
    old = browser.find_element(by().TAG_NAME, "html")
    row.find_element(by().XPATH, ".//button[normalize-space()='Approve']").click()
    until(browser, lambda d: d.find_element(by().TAG_NAME, "html") != old)
    turn.join(timeout=60)
    assert result.get("status") == 200, result
    assert result["body"]["choices"][0]["message"]["content"].endswith("Approved and done.")
    browser.refresh()
    snap(browser, "approvals-decided")
    assert "approved" in body_text(browser).lower()


def test_owner_of_one_context_cannot_reach_anothers_pages_or_api(browser, tern, provider):
    owner_email = unique("olga") + "@example.com"
    owner_id = new_user(tern, provider, owner_email)
    mine = tern.api("POST", "contexts", {"name": unique("olgas"), "owner_id": owner_id}).json()
    theirs = tern.api("POST", "contexts", {"name": unique("others")}).json()
    key = tern.api("POST", "keys", {"user_id": owner_id, "name": "olga-laptop"})
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]

    # The JSON admin API: her context yes, the other no.
    assert tern.api("GET", f"contexts/{mine['id']}/members", key=secret).status_code == 200
    refused = tern.api("GET", f"contexts/{theirs['id']}/members", key=secret)
    assert refused.status_code == 403, refused.text

    sign_in(browser, tern, provider, owner_email)
    open_page(browser, tern, f"/admin/contexts/{mine['id']}", "owner-own-context", "context detail")
    assert mine["name"] in body_text(browser)
    answer = tern.get(f"/admin/contexts/{theirs['id']}", cookies={SESSION_COOKIE: session_cookies(browser)[SESSION_COOKIE]})
    assert answer.status_code == 403, answer.status_code
    browser.get(f"{tern.root}/admin/contexts/{theirs['id']}")
    snap(browser, "owner-other-context-403")
    assert theirs["name"] not in browser.page_source
    listing = tern.get("/admin/contexts", cookies={SESSION_COOKIE: session_cookies(browser)[SESSION_COOKIE]})
    assert mine["name"] in listing.text and theirs["name"] not in listing.text
