"""The MCP servers page in headless Chromium: an admin adds a stdio server through the form,
sees it listed, tests it (a native form post, so the browser's own Origin and Sec-Fetch-Site
headers meet the CSRF check) and reads why it failed; the context's owner gets the server's
buttons and an add form offering HTTP only (a stdio server is a command on the host: admins)."""

from __future__ import annotations

import secrets

from pages import body_text, by, fill, follow_nav, form_with, open_page, submit, until
from portal import ADMIN_EMAIL, sign_in, snap
from test_pages import new_user, unique


def test_admin_adds_and_tests_a_server_owner_may_add_http_only(browser, tern, provider):
    owner_email = unique("omar") + "@example.com"
    owner_id = new_user(tern, provider, owner_email)
    team = tern.api("POST", "contexts", {"name": unique("mcp"), "owner_id": owner_id}).json()
    name = "broken-" + secrets.token_hex(2)

    sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin")
    follow_nav(browser, "MCP servers", "mcp-servers")
    form = form_with(browser, "transport", "command", "idempotency")
    fill(form, {"name": name, "context": team["id"], "transport": "stdio", "command": "/bin/false"})
    submit(browser, form)
    snap(browser, "mcp-server-added")
    text = body_text(browser)
    assert name in text and "/bin/false" in text, text
    servers = tern.api("GET", f"contexts/{team['id']}/mcp-servers").json()["data"]
    assert [s["name"] for s in servers if s["scope"] == "context"] == [name], servers

    row = [r for r in browser.find_elements(by().CSS_SELECTOR, "tbody tr") if name in r.text][0]
    old = browser.find_element(by().TAG_NAME, "html")
    row.find_element(by().XPATH, ".//button[normalize-space()='Test']").click()
    until(browser, lambda d: d.find_element(by().TAG_NAME, "html") != old and "failed" in body_text(d))
    snap(browser, "mcp-server-test-failed")
    assert f"The test of MCP server {name} failed" in body_text(browser)

    browser.delete_all_cookies()  # a fresh browser for the owner: no admin session left
    sign_in(browser, tern, provider, owner_email)
    open_page(browser, tern, "/admin/mcp-servers", "mcp-servers-owner", "MCP servers")
    text = body_text(browser)
    assert name in text and "You can add HTTP servers" in text, text
    row = [r for r in browser.find_elements(by().CSS_SELECTOR, "tbody tr") if name in r.text][0]
    assert row.find_elements(by().XPATH, ".//button[normalize-space()='Test']"), row.text
    options = [o.get_attribute("value") for o in browser.find_elements(by().CSS_SELECTOR, "select[name=transport] option")]
    assert options == ["http"], options
