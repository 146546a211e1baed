"""Drives a real Open WebUI the way its web client does, and reads Tern's stored data.

The request shapes follow Open WebUI 0.12's `src/lib/components/chat/Chat.svelte`
(`sendMessage` / `sendMessageSocket` / `regenerateResponse`) and the backend that turns them into
calls to the OpenAI connection (`main.py chat_completion`, `utils/middleware.py`):

- no `POST /api/v1/chats/new` for a normal chat: the first `POST /api/chat/completions` carries
  `parent_id: null` and no `chat_id`, and the backend creates the chat and answers
  `{"status": true, "task_ids": [...], "chat_id": "..."}`;
- the page sends its socket.io `session_id`, which is what makes the backend attach Open WebUI's
  builtin tools (`get_current_timestamp`, `search_chats`, notes, memories, …) as `tools`;
- the answer streams over socket.io (`events` to room `user:<id>`) and is saved to the chat when
  done, so it is read by polling `GET /api/v1/chats/<id>` until the assistant message is `done`;
- `background_tasks` asks for title and tags (first message only) and follow-ups (every message).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

PASSWORD = "interop-password-0123"


def wait_for(what: str, check, timeout: float, interval: float = 0.1, on_timeout=None):
    """Polls `check()` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass
class Turn:
    """One sent message: the ids the page made up, and what the backend answered."""

    chat_id: str
    user_message_id: str
    assistant_message_id: str
    response: dict


@dataclass
class WebUser:
    """A signed-up Open WebUI user with the page's socket.io connection."""

    base_url: str
    name: str
    email: str
    token: str
    id: str
    role: str
    events: list = field(default_factory=list)
    sio: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base_url + path, headers=self.headers, timeout=30, **kwargs)

    def post(self, path: str, body: dict, **kwargs) -> requests.Response:
        return requests.post(self.base_url + path, headers=self.headers, json=body, timeout=60, **kwargs)

    # --- socket.io, as `src/lib/stores` + `+layout.svelte` connect it -------------------------

    def connect_socket(self) -> str:
        """Connects socket.io like the page (path /ws/socket.io, auth token, `user-join`); returns the sid."""
        import socketio  # python-socketio ships with Open WebUI

        client = socketio.Client(reconnection=False)

        @client.on("events")
        def _on_event(data):  # noqa: ANN001 - socket.io payload
            with self._lock:
                self.events.append(data)

        client.connect(
            self.base_url, socketio_path="/ws/socket.io", auth={"token": self.token},
            transports=["websocket", "polling"], wait_timeout=30,
        )
        client.call("user-join", {"auth": {"token": self.token}}, timeout=30)
        self.sio = client
        return client.get_sid()

    def disconnect_socket(self) -> None:
        if self.sio is not None:
            self.sio.disconnect()
            self.sio = None

    def event_types(self, chat_id: str) -> list[str]:
        with self._lock:
            return [
                (e.get("data") or {}).get("type", "") for e in self.events if e.get("chat_id") == chat_id
            ]

    @property
    def session_id(self) -> str:
        if self.sio is None:
            self.connect_socket()
        return self.sio.get_sid()

    # --- the chat flow of Chat.svelte ----------------------------------------------------------

    def model_item(self, model: str) -> dict:
        response = self.get("/api/models")
        response.raise_for_status()
        models = {m["id"]: m for m in response.json()["data"]}
        assert model in models, f"Open WebUI offers no model {model!r}; it has {sorted(models)}"
        return models[model]

    def send(self, text: str, chat_id: str | None = None, parent_id: str | None = None,
             model: str = "tern", user_message: dict | None = None) -> Turn:
        """Sends a message as `sendMessageSocket` does; `chat_id`/`parent_id` for later turns.

        Pass an existing `user_message` (with its id and parentId) to regenerate its answer the
        way `regenerateResponse` does: same user message, a fresh assistant message id.
        """
        item = self.model_item(model)
        assistant_id = str(uuid.uuid4())
        if user_message is None:
            user_message = {
                "id": str(uuid.uuid4()), "parentId": parent_id, "childrenIds": [], "role": "user",
                "user": {"id": self.id, "name": self.name}, "user_id": self.id, "content": text,
                "timestamp": int(time.time()), "models": [model],
            }
        first = chat_id is None
        body = {
            "stream": True,
            "model": model,
            "params": {"model_controls": {}},
            "tool_ids": [],
            "tool_servers": [],
            "features": {"voice": False, "image_generation": False, "code_interpreter": False,
                         "web_search": False, "memory": True},
            "variables": {"{{USER_NAME}}": self.name, "{{USER_EMAIL}}": self.email,
                          "{{CURRENT_DATE}}": time.strftime("%Y-%m-%d"),
                          "{{CURRENT_TIME}}": time.strftime("%H:%M:%S"),
                          "{{USER_LANGUAGE}}": "en-US"},
            "model_item": item,
            "session_id": self.session_id,
            "id": assistant_id,
            "message_ids": [{"model_id": model, "message_id": assistant_id, "modelIdx": 0}],
            "parent_id": user_message["parentId"],
            "user_message": user_message,
            "background_tasks": (
                {"title_generation": True, "tags_generation": True, "follow_up_generation": True}
                if first else {"follow_up_generation": True}
            ),
        }
        if first:
            body["chat_variables"] = {}
        else:
            body["chat_id"] = chat_id
        response = self.post("/api/chat/completions", body)
        assert response.status_code == 200, f"POST /api/chat/completions: {response.status_code} {response.text}"
        answer = response.json()
        assert answer.get("status") is True and answer.get("chat_id"), f"unexpected answer {answer}"
        return Turn(answer["chat_id"], user_message["id"], assistant_id, answer)

    def chat(self, chat_id: str) -> dict:
        response = self.get(f"/api/v1/chats/{chat_id}")
        response.raise_for_status()
        return response.json()

    def wait_answer(self, turn: Turn, timeout: float = 60) -> dict:
        """The assistant message once Open WebUI marked it done (content or error)."""

        def done():
            message = self.chat(turn.chat_id)["chat"]["history"]["messages"].get(turn.assistant_message_id)
            return message if message and message.get("done") else None

        return wait_for(
            f"the answer in chat {turn.chat_id}", done, timeout, interval=0.2,
            on_timeout=lambda: f"; events: {self.event_types(turn.chat_id)}",
        )

    def wait_tasks_idle(self, chat_id: str, timeout: float = 60) -> None:
        """Waits until the chat has no running task (main answer and background tasks)."""

        def idle():
            response = self.get(f"/api/tasks/chat/{chat_id}")
            return response.status_code == 200 and not response.json().get("task_ids")

        wait_for(f"the tasks of chat {chat_id} to finish", idle, timeout, interval=0.2)

    def enable_signup(self) -> None:
        """What an admin does in Admin Settings → General → "Enable New Sign Ups" (the first
        sign-up turns sign-ups off)."""
        response = self.get("/api/v1/auths/admin/config")
        response.raise_for_status()
        config = {**response.json(), "ENABLE_SIGNUP": True}
        response = self.post("/api/v1/auths/admin/config", config)
        assert response.status_code == 200, f"enable sign-ups: {response.status_code} {response.text}"

    def user_message(self, chat_id: str, message_id: str) -> dict:
        return self.chat(chat_id)["chat"]["history"]["messages"][message_id]


def signup(base_url: str, name: str, email: str) -> WebUser:
    """`POST /api/v1/auths/signup`, as the sign-up page does. The first user becomes admin."""
    response = requests.post(
        base_url + "/api/v1/auths/signup", json={"name": name, "email": email, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, f"signup {email}: {response.status_code} {response.text}"
    body = response.json()
    return WebUser(base_url, name, email, body["token"], body["id"], body["role"])


# --- Tern's stored data ---------------------------------------------------------------------------


class TernDB:
    """Read-only views of Tern's SQLite store (`<data dir>/tern.sqlite`)."""

    def __init__(self, path: str):
        self.path = path

    def query(self, sql: str, *args) -> list[sqlite3.Row]:
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            connection.row_factory = sqlite3.Row
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def columns(self, table: str) -> set[str]:
        return {row["name"] for row in self.query(f"PRAGMA table_info({table})")}

    def user(self, email: str) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM users WHERE email = ?", email)
        return rows[0] if rows else None

    def default_context(self, user_id: str) -> str | None:
        rows = self.query(
            "SELECT context_id FROM context_members WHERE user_id = ? AND is_default = 1", user_id
        )
        return rows[0]["context_id"] if rows else None

    def memberships(self, user_id: str) -> set[str]:
        return {r["context_id"] for r in self.query("SELECT context_id FROM context_members WHERE user_id = ?", user_id)}

    def conversations(self, context_id: str) -> list[sqlite3.Row]:
        return self.query(
            "SELECT * FROM conversations WHERE context_id = ? ORDER BY created_at, id", context_id
        )

    def messages(self, conversation_id: str, include_superseded: bool = False) -> list[sqlite3.Row]:
        active = ""
        if not include_superseded and "superseded_at" in self.columns("messages"):
            active = "AND m.superseded_at IS NULL"
        return self.query(
            f"""SELECT m.* FROM messages m JOIN sessions s ON m.session_id = s.id
                WHERE s.conversation_id = ? {active} ORDER BY m.created_at, m.rowid""",
            conversation_id,
        )

    def all_message_contents(self) -> list[str]:
        return [r["content"] for r in self.query("SELECT content FROM messages")]

    def transcript(self, conversation_id: str, include_superseded: bool = False) -> list[tuple[str, str]]:
        return [(m["role"], m["content"]) for m in self.messages(conversation_id, include_superseded)]

    def conversations_of(self, email: str) -> dict[str, list[tuple[str, str]]]:
        """Every conversation in the user's default context, as transcripts."""
        user = self.user(email)
        assert user is not None, f"Tern has no user {email}"
        context = self.default_context(user["id"])
        return {c["id"]: self.transcript(c["id"]) for c in self.conversations(context)}


def fake_llm_requests(fake_llm: str) -> list[dict]:
    """The chat-completion bodies the fake LLM has received (its `GET /_requests`)."""
    root = fake_llm.removesuffix("/v1")
    response = requests.get(root + "/_requests", timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def last_user_text(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


def log_tail(path: str, lines: int = 60) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


def dumps(value) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)
