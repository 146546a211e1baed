"""The real Open WebUI (PyPI, 0.12.x) in front of a real `tern serve`, driven as its web page drives it.

Each test sends chats through Open WebUI's own API with the web client's request shape (see
owui.py), reads the answers back from Open WebUI, and checks what Tern stored in its SQLite file.
The fake LLM answers `Echo: <last user message>`; Open WebUI's background tasks (title, tags,
follow-ups) reach it through Tern as single `### Task:` user messages.
"""

from __future__ import annotations

import secrets

import pytest
import requests

from conftest import PROXY_KEY, start_openwebui, stop_openwebui
from owui import dumps, fake_llm_requests, last_user_text, log_tail, wait_for

TASK_PROMPTS = {
    "title": "Generate a concise title",
    "tags": "Generate 1-3 broad tags",
    "follow_ups": "Predict 3-5 useful messages",
}


def marker() -> str:
    """A word that makes one test's messages unique in the shared Tern and fake LLM."""
    return "m" + secrets.token_hex(4)


def assert_answer(user, turn, text: str) -> dict:
    message = user.wait_answer(turn)
    error = message.get("error")
    assert not error, f"Open WebUI shows an error instead of the answer: {dumps(error)}"
    assert message["content"].strip() == f"Echo: {text}", f"unexpected answer: {message['content']!r}"
    return message


def chat(user, texts: list[str]) -> tuple[str, list]:
    """Sends `texts` as consecutive turns of one new chat; returns the chat id and the turns."""
    turns = []
    chat_id, parent = None, None
    for text in texts:
        turn = user.send(text, chat_id=chat_id, parent_id=parent)
        assert_answer(user, turn, text)
        chat_id, parent = turn.chat_id, turn.assistant_message_id
        turns.append(turn)
    return chat_id, turns


def task_requests(fake_llm: str, needle: str) -> dict[str, list[dict]]:
    """The background task calls that reached the fake LLM and mention `needle`, by kind."""
    found: dict[str, list[dict]] = {kind: [] for kind in TASK_PROMPTS}
    for body in fake_llm_requests(fake_llm):
        text = last_user_text(body)
        if not text.startswith("### Task:") or needle not in text:
            continue
        for kind, prompt in TASK_PROMPTS.items():
            if prompt in text:
                found[kind].append(body)
    return found


def wait_background_tasks(fake_llm: str, needle: str, kinds: set[str], timeout: float = 45) -> dict:
    return wait_for(
        f"Open WebUI's {sorted(kinds)} task calls about {needle!r} to reach the model through Tern",
        lambda: (lambda found: found if all(found[k] for k in kinds) else None)(task_requests(fake_llm, needle)),
        timeout, interval=0.25,
        on_timeout=lambda: f"; seen: { {k: len(v) for k, v in task_requests(fake_llm, needle).items()} }",
    )


def conversations_for(db, email: str, first_text: str) -> dict[str, list[tuple[str, str]]]:
    return {cid: t for cid, t in db.conversations_of(email).items() if t and t[0] == ("user", first_text)}


def assert_no_task_turns(db) -> None:
    stored = [c for c in db.all_message_contents() if "### Task:" in c]
    assert not stored, f"Tern stored {len(stored)} background task message(s), e.g. {stored[0][:200]!r}"


# --- identities ---------------------------------------------------------------------------------


def test_signup_forwards_exact_names(openwebui, admin, new_user, tern):
    bob = new_user("Bøb Økland")
    text = f"Hello from Bøb {marker()}"
    chat(bob, [text])
    chat(admin, [f"Hello from the admin {marker()}"])

    db = tern["db"]
    stored = db.user(bob.email)
    assert stored is not None, f"Tern has no user for {bob.email}"
    assert stored["display_name"] == "Bøb Økland", (
        f"Open WebUI percent-encodes X-OpenWebUI-User-Name; Tern stored {stored['display_name']!r}"
    )
    assert db.user(admin.email)["display_name"] == "Ada Admin"
    assert db.default_context(stored["id"]) != db.default_context(db.user(admin.email)["id"])


def test_model_list_offers_tern_to_every_user(openwebui, admin, new_user, tern):
    carol = new_user("Carol")
    chat(carol, [f"make my context {marker()}"])  # Carol now has a personal context in Tern
    db = tern["db"]
    personal = [r["name"] for r in db.query("SELECT name FROM contexts WHERE kind = 'personal'")]
    assert personal, "expected personal contexts in Tern after two users chatted"
    for user in (admin, carol):
        ids = [m["id"] for m in user.get("/api/models").json()["data"]]
        assert "tern" in ids, f"{user.email} sees {ids}"
        leaked = [i for i in ids if i.removeprefix("tern/") in personal and i.startswith("tern/")]
        assert not leaked, f"personal contexts listed as models (break for other users): {leaked}"


# --- chats as the web client sends them -----------------------------------------------------------


def test_web_chat_streams_answers_and_runs_background_tasks(openwebui, admin, new_user, tern, fake_llm):
    dave = new_user("Dave")
    tag = marker()
    first, second = f"What is a tern {tag}?", f"And where do terns live {tag}?"
    chat_id, turns = chat(dave, [first, second])

    # The page's socket got the streamed answer, not only the saved chat.
    types = dave.event_types(chat_id)
    assert any(t in ("chat:completion", "response:completion") for t in types), f"socket events: {types}"

    # Builtin tools were attached and reached the model through Tern.
    main_calls = [b for b in fake_llm_requests(fake_llm) if last_user_text(b) == first]
    assert main_calls, "the chat never reached the fake LLM"
    offered = {t.get("function", {}).get("name") for b in main_calls for t in b.get("tools") or []}
    assert "get_current_timestamp" in offered, f"Open WebUI's builtin tools not offered to the model: {offered}"

    # Title, tags and follow-ups fired and were answered (Tern answers them as plain model calls).
    found = wait_background_tasks(fake_llm, tag, {"title", "tags", "follow_ups"})
    for kind, bodies in found.items():
        for body in bodies:
            assert not body.get("tools"), f"{kind} task call was offered tools: {[t['function']['name'] for t in body['tools']]}"
    dave.wait_tasks_idle(chat_id)
    assert dave.chat(chat_id)["chat"]["title"] != "New Chat", "the title task did not complete"


def test_one_conversation_per_chat(openwebui, admin, new_user, tern, fake_llm):
    erin = new_user("Erin")
    tag = marker()
    opening = f"Tell me about birds {tag}"
    chat_a, _ = chat(erin, [opening, f"Seabirds please {tag}"])
    chat_b, _ = chat(erin, [opening, f"Songbirds please {tag}"])
    assert chat_a != chat_b
    wait_background_tasks(fake_llm, tag, {"title", "tags", "follow_ups"})
    erin.wait_tasks_idle(chat_a)
    erin.wait_tasks_idle(chat_b)

    db = tern["db"]
    conversations = db.conversations_of(erin.email)
    assert len(conversations) == 2, (
        f"two Open WebUI chats (same first words) should be two Tern conversations, got "
        f"{len(conversations)}:\n{dumps(conversations)}"
    )
    transcripts = sorted(conversations.values(), key=lambda t: t[2][1] if len(t) > 2 else "")
    expected = sorted(
        [
            [("user", opening), ("assistant", f"Echo: {opening}"),
             ("user", f"{second} please {tag}"), ("assistant", f"Echo: {second} please {tag}")]
            for second in ("Seabirds", "Songbirds")
        ],
        key=lambda t: t[2][1],
    )
    assert transcripts == expected, f"stored transcripts:\n{dumps(transcripts)}"
    assert_no_task_turns(db)


def test_users_are_isolated(openwebui, admin, new_user, tern):
    frank, grace = new_user("Frank"), new_user("Grace")
    secret = f"Frank's secret {marker()}"
    frank_chat, _ = chat(frank, [secret])
    chat(grace, [f"Grace says hi {marker()}"])

    db = tern["db"]
    frank_id, grace_id = db.user(frank.email)["id"], db.user(grace.email)["id"]
    frank_context, grace_context = db.default_context(frank_id), db.default_context(grace_id)
    assert frank_context and grace_context and frank_context != grace_context
    assert frank_context not in db.memberships(grace_id), "Grace is a member of Frank's personal context"
    members = {r["user_id"] for r in db.query("SELECT user_id FROM context_members WHERE context_id = ?", frank_context)}
    assert members == {frank_id}, f"Frank's context has members {members}"
    grace_texts = [c for t in db.conversations_of(grace.email).values() for _, c in t]
    assert not any(secret in c for c in grace_texts), "Frank's message is in Grace's conversations"
    assert conversations_for(db, frank.email, secret), "Frank's chat is not in his own context"
    # Open WebUI itself keeps Frank's chat from Grace too.
    assert grace.get(f"/api/v1/chats/{frank_chat}").status_code in (401, 403, 404)


def test_regenerate_does_not_duplicate_history(openwebui, admin, new_user, tern, fake_llm):
    """Regenerate (the page's `regenerateResponse`): the same user message gets a new assistant sibling.

    Open WebUI rebuilds the thread from its DB up to the new assistant placeholder, so Tern
    receives the same messages as for the original second turn. Tern must keep one active
    user/assistant pair per turn (the replaced answer may be kept as superseded).
    """
    heidi = new_user("Heidi")
    tag = marker()
    first, second = f"Count to two {tag}", f"Now to three {tag}"
    chat_id, turns = chat(heidi, [first, second])
    original = heidi.user_message(chat_id, turns[1].user_message_id)
    again = heidi.send(second, chat_id=chat_id, user_message=original)
    assert_answer(heidi, again, second)
    heidi.wait_tasks_idle(chat_id)

    db = tern["db"]
    conversations = conversations_for(db, heidi.email, first)
    assert len(conversations) == 1, f"regenerate made extra conversations:\n{dumps(conversations)}"
    (conversation_id, transcript), = conversations.items()
    assert transcript == [
        ("user", first), ("assistant", f"Echo: {first}"), ("user", second), ("assistant", f"Echo: {second}"),
    ], f"active history after regenerate:\n{dumps(transcript)}"
    everything = db.transcript(conversation_id, include_superseded=True)
    print(f"regenerate: {len(everything)} stored messages ({len(everything) - len(transcript)} superseded)")
    assert_no_task_turns(db)


def fake_supports_call_directive(fake_llm: str) -> bool:
    """Whether tern-fake-llm understands `[[call:<tool> <json>]]` (added alongside these tests)."""
    body = {
        "model": "fake-model",
        "messages": [{"role": "user", "content": "[[call:probe_tool {}]]"}],
        "tools": [{"type": "function", "function": {"name": "probe_tool", "parameters": {"type": "object"}}}],
    }
    answer = requests.post(fake_llm + "/chat/completions", json=body, timeout=10).json()
    return bool(answer["choices"][0]["message"].get("tool_calls"))


def test_client_tool_round_trip(openwebui, admin, new_user, tern, fake_llm):
    """Native function calling: the model calls one of Open WebUI's builtin tools, Open WebUI runs it.

    Relies on the fake LLM's directive contract: a user message containing
    `[[call:<tool name> <json args>]]` makes it answer with a call to that tool when the tool is
    offered; after a `tool` message it answers `Tool result: <content>`.
    """
    if not fake_supports_call_directive(fake_llm):
        pytest.fail("tern-fake-llm does not implement the [[call:<tool> <json>]] directive yet")
    ivan = new_user("Ivan")
    text = f"What time is it? {marker()} [[call:get_current_timestamp {{}}]]"
    turn = ivan.send(text)
    message = ivan.wait_answer(turn)
    assert not message.get("error"), f"Open WebUI shows an error: {dumps(message.get('error'))}"
    assert "Tool result:" in message["content"], f"answer: {message['content']!r}"

    db = tern["db"]
    conversations = conversations_for(db, ivan.email, text)
    assert len(conversations) == 1, f"conversations:\n{dumps(db.conversations_of(ivan.email))}"
    (transcript,) = conversations.values()
    roles = [role for role, _ in transcript]
    assert roles[0] == "user" and "tool" in roles and roles[-1] == "assistant", f"stored: {dumps(transcript)}"
    assert transcript[-1][1].startswith("Tool result:"), f"stored: {dumps(transcript)}"


# --- fail closed ------------------------------------------------------------------------------------

FORWARDING_SETTING = "ENABLE_FORWARD_USER_INFO_HEADERS"


def test_proxy_key_without_identity_is_refused(tern):
    """What Open WebUI sends with ENABLE_FORWARD_USER_INFO_HEADERS=false: the key, no user headers."""
    before = tern["db"].query("SELECT COUNT(*) AS n FROM conversations")[0]["n"]
    response = requests.post(
        tern["base_url"] + "/chat/completions",
        headers={"Authorization": f"Bearer {PROXY_KEY}", "Content-Type": "application/json"},
        json={"model": "tern", "stream": True, "messages": [{"role": "user", "content": "who am I?"}]},
        timeout=30,
    )
    assert response.status_code == 401, f"{response.status_code} {response.text}"
    assert FORWARDING_SETTING in response.json()["error"]["message"], response.text
    assert tern["db"].query("SELECT COUNT(*) AS n FROM conversations")[0]["n"] == before


@pytest.fixture(scope="module")
def openwebui_without_forwarding(tern, fake_llm, openwebui):
    server = start_openwebui(tern, fake_llm, forward_user_info=False)
    try:
        yield server
    finally:
        stop_openwebui(server)


def test_openwebui_without_forwarded_headers_fails_closed(openwebui_without_forwarding, tern):
    from owui import signup

    base = openwebui_without_forwarding["base_url"]
    user = signup(base, "Judy", "judy@example.com")
    before = tern["db"].query("SELECT COUNT(*) AS n FROM messages")[0]["n"]
    try:
        ids = [m["id"] for m in user.get("/api/models").json()["data"]]
        if "tern" not in ids:
            # Tern refused Open WebUI's /v1/models as well (no identity): the page offers no model,
            # so the user never reaches the chat that would show Tern's 401.
            log = log_tail(openwebui_without_forwarding["log_path"], 400)
            pytest.fail(
                f"Open WebUI offers no model ({ids}): Tern refused its /v1/models request, so the user "
                f"never sees Tern's message naming {FORWARDING_SETTING} "
                f"(Open WebUI's log {'names' if FORWARDING_SETTING in log else 'does not name'} it)"
            )
        turn = user.send(f"Who am I? {marker()}")
        message = user.wait_answer(turn)
        error = dumps(message.get("error"))
        assert message.get("error") and FORWARDING_SETTING in error, (
            f"expected Tern's 401 naming {FORWARDING_SETTING}; Open WebUI shows content "
            f"{message.get('content')!r}, error {error}"
        )
    finally:
        user.disconnect_socket()
    assert tern["db"].query("SELECT COUNT(*) AS n FROM messages")[0]["n"] == before, "Tern stored messages"
