"""Signing in to the portal through a real OIDC provider, in headless Chromium: the login form,
PKCE, a tampered `state`, cookie flags (also behind a trusted TLS proxy) and logout."""

from __future__ import annotations

import re
import secrets
import urllib.parse

import requests

from portal import (ADMIN_EMAIL, LOGIN_COOKIE, SESSION_COOKIE, WAIT, provider_form_url, session_cookie,
                    set_cookies, sign_in, snap, submit_provider_form, wait_for)

BASE64URL_SHA256 = re.compile(r"^[A-Za-z0-9_-]{43}$")


def test_sign_in_through_the_providers_form_with_pkce_s256(browser, tern, provider):
    sent = sign_in(browser, tern, provider, ADMIN_EMAIL, name="Ada Admin", shot="provider-login")
    snap(browser, "signed-in")

    # The provider does not enforce PKCE, so check what Tern asked for: S256 with a fresh challenge.
    assert sent["code_challenge_method"] == "S256", sent
    assert BASE64URL_SHA256.match(sent["code_challenge"]), sent["code_challenge"]
    assert sent["response_type"] == "code" and sent["client_id"] == "tern-portal-tests"
    assert sent["redirect_uri"] == tern.root + "/admin/oidc/callback"
    assert "openid" in sent["scope"].split() and sent["state"] and sent["nonce"]

    body = browser.find_element("tag name", "body").text
    assert ADMIN_EMAIL in body, f"the portal should say who is signed in:\n{body[:1500]}"
    cookie = session_cookie(browser)
    assert cookie["name"] == SESSION_COOKIE, "plain http: no __Host- prefix"
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["secure"] is False, cookie
    assert all(c["name"] != LOGIN_COOKIE for c in browser.get_cookies()), "the login cookie is cleared after the callback"


def test_each_login_sends_a_new_challenge_state_and_nonce(tern):
    first, second = (requests.get(tern.root + "/admin/login", allow_redirects=False, timeout=30) for _ in range(2))
    queries = [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query)) for r in (first, second)]
    for key in ("code_challenge", "state", "nonce"):
        assert queries[0][key] != queries[1][key], f"{key} repeated across logins"


def test_tampered_state_is_refused(browser, tern, provider):
    email = f"mallory-{secrets.token_hex(3)}@example.com"
    provider.set_user(email, email=email, email_verified=True)
    authorize = provider_form_url(browser, tern)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    state = query["state"]
    query["state"] = ("A" if state[0] != "A" else "B") + state[1:]
    tampered = authorize.split("?")[0] + "?" + urllib.parse.urlencode(query)
    # The form posts to its own URL: point it at the same request with the tampered state, so
    # the provider sends the browser back with a real code and the wrong state.
    browser.execute_script("document.querySelector('input[name=sub]').form.action = arguments[0]", tampered)
    submit_provider_form(browser, email)
    wait_for("the callback's answer", lambda: "/admin/oidc/callback" in browser.current_url)
    body = browser.find_element("tag name", "body").text
    snap(browser, "tampered-state")
    assert "state does not match" in body, body
    assert session_cookie(browser) is None
    assert all(c["name"] != LOGIN_COOKIE for c in browser.get_cookies()), "a refused callback clears the login cookie"


def test_logout_ends_the_session_for_a_replayed_cookie(browser, tern, provider):
    sign_in(browser, tern, provider, f"lou-{secrets.token_hex(3)}@example.com")
    token = session_cookie(browser)["value"]
    assert tern.get("/admin/", cookies={SESSION_COOKIE: token}).status_code == 200, "the cookie works before logout"

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "form[action$='/admin/logout'] button"))).click()
    wait_for("the signed-out page", lambda: session_cookie(browser) is None)
    snap(browser, "signed-out")

    replayed = tern.get("/admin/", cookies={SESSION_COOKIE: token})
    assert replayed.status_code == 303 and replayed.headers["Location"] == "/admin/login", (
        f"the old cookie still works after logout: {replayed.status_code} {replayed.headers}")


def login_with_requests(tern, provider, headers: dict) -> tuple[dict, requests.Response]:
    """Runs the whole code flow without a browser, sending `headers` to Tern; returns the login
    cookies Tern set and its answer to the callback."""
    email = f"proxy-{secrets.token_hex(3)}@example.com"
    provider.set_user(email, email=email, email_verified=True)
    login = requests.get(tern.root + "/admin/login", headers=headers, allow_redirects=False, timeout=30)
    assert login.status_code == 303, login.text
    cookies = set_cookies(login)
    authorized = requests.post(login.headers["Location"], data={"sub": email}, allow_redirects=False, timeout=30)
    assert authorized.status_code == 302, authorized.text
    callback = urllib.parse.urlsplit(authorized.headers["Location"])
    sent = "; ".join(f"{name}={value}" for name, (value, _) in cookies.items())
    answer = tern.get(f"{callback.path}?{callback.query}", headers={**headers, "Cookie": sent})
    return cookies, answer


def test_cookies_are_secure_with_host_prefix_behind_a_trusted_tls_proxy(proxied_tern, provider):
    login_cookies, answer = login_with_requests(proxied_tern, provider, {"X-Forwarded-Proto": "https"})
    assert set(login_cookies) == {"__Host-" + LOGIN_COOKIE}, login_cookies
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/", answer.text
    cookies = set_cookies(answer)
    value, flags = cookies["__Host-" + SESSION_COOKIE]
    assert value and flags.get("secure") and flags.get("httponly") and flags.get("samesite") == "Lax", flags
    assert flags.get("path") == "/" and "domain" not in flags, flags
    signed_in = proxied_tern.get("/admin/", cookies={"__Host-" + SESSION_COOKIE: value},
                                 headers={"X-Forwarded-Proto": "https"})
    assert signed_in.status_code == 200, signed_in.text
    # Over https a plain-named cookie (which anyone on the network path could have set) is ignored.
    plain = proxied_tern.get("/admin/", cookies={SESSION_COOKIE: value}, headers={"X-Forwarded-Proto": "https"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/admin/login", plain.text


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(tern, provider):
    login_cookies, answer = login_with_requests(tern, provider, {"X-Forwarded-Proto": "https"})
    assert set(login_cookies) == {LOGIN_COOKIE}, login_cookies
    value, flags = set_cookies(answer)[SESSION_COOKIE]
    assert "secure" not in flags and flags.get("httponly") and flags.get("samesite") == "Lax", flags
