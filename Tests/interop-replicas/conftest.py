"""Several `tern serve` replicas on one real PostgreSQL, with the fake Bot API and the fake LLM
as separate processes, for the replica fault suite (scripts/test-replicas).

The suite owns its PostgreSQL cluster (it restarts and stops it, and terminates backends), so it
never shares one with other tests: it is created with initdb in a temp dir, bound to 127.0.0.1
on a free port, and deleted at the end.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("TERN_BIN_DIR", os.path.join(ROOT, ".build", "debug")))
API_KEY = "replica-key-0123456789abcdef"
BOT_TOKEN = "123456789:AAE-fake-tern-test-token_0123456789"
TELEGRAM_USER = 7
SECRET_KEY = base64.b64encode(bytes(range(32))).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, condition, timeout: float, interval: float = 0.1):
    """Polls `condition` (a process in another address space has no signal to await) until it
    returns something truthy, which is returned; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def call(url: str, method: str = "GET", body=None, key: str | None = API_KEY, timeout: float = 10):
    """(status, JSON body) of one HTTP call; connection errors raise."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


# MARK: PostgreSQL


def _pg_bin_dir() -> str | None:
    # scripts/test-replicas sets it to binaries with pgvector (scripts/setup-pgvector): Tern's
    # memory migration needs the extension.
    if os.environ.get("TERN_PG_BIN_DIR"):
        return os.environ["TERN_PG_BIN_DIR"]
    for name in ("initdb", "pg_ctl"):
        if not shutil.which(name):
            break
    else:
        return os.path.dirname(shutil.which("initdb"))
    candidates = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True) \
        if os.path.isdir("/usr/lib/postgresql") else []
    for version in candidates:
        directory = f"/usr/lib/postgresql/{version}/bin"
        if os.access(os.path.join(directory, "initdb"), os.X_OK):
            return directory
    return None


class Postgres:
    """A throwaway cluster this suite may restart, stop and poke at."""

    def __init__(self, bin_dir: str):
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="tern-replicas-pg-")
        self.port = free_port()
        self.runner = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.dir, "postgres")
            self.runner = ["runuser", "-u", "postgres", "--"]
        psql = os.path.join(bin_dir, "psql")
        self.psql_bin = psql if os.access(psql, os.X_OK) else shutil.which("psql")
        if not self.psql_bin:
            raise AssertionError("psql not found (Debian package postgresql-client)")
        self.data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", self.data, "-U", "tern", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self.runner + [os.path.join(self.bin_dir, tool), *args],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} failed: {result.stdout}{result.stderr}{self.log_tail()}")
        return result

    def log_tail(self) -> str:
        try:
            with open(os.path.join(self.dir, "postgres.log")) as log:
                return log.read()[-3000:]
        except OSError:
            return ""

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        args = ["-D", self.data, "-w", "-t", "60"]
        if action != "stop":
            args += ["-l", os.path.join(self.dir, "postgres.log"), "-o", options]
        self._run("pg_ctl", *args, *extra, action)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://tern@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run([self.psql_bin, self.url(database), "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                                capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise AssertionError(f"psql failed on {sql!r}: {result.stderr}")
        return result.stdout.strip()

    def is_up(self) -> bool:
        return self._run("pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def destroy(self) -> None:
        if self.is_up():
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found; CI must run the replica suite")
        pytest.skip("PostgreSQL server binaries not found (install the Debian package postgresql)")
    cluster = Postgres(bin_dir)
    try:
        cluster.pg_ctl("start")
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture()
def database(postgres):
    """A fresh database per test; the cluster is started again if a test left it stopped."""
    if not postgres.is_up():
        postgres.pg_ctl("start")
    name = "replicas_" + uuid.uuid4().hex[:12]
    postgres.psql(f"CREATE DATABASE {name}")
    return name


# MARK: fakes


def _start_fake(binary: str, *args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([os.path.join(BIN, binary), "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise AssertionError(f"{binary} said: {line!r}")
    return process, line.removeprefix("listening on ")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture()
def fake_llm():
    process, url = _start_fake("tern-fake-llm")
    try:
        yield url
    finally:
        _stop(process)


class FakeTelegram:
    """The fake Bot API (`tern-fake-telegram`) as a user and an observer see it."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def api_url(self, caller: str) -> str:
        """The Bot API root for one replica: its requests are counted under `caller`."""
        return f"{self.base_url}/{caller}"

    def send(self, text: str, chat_id: int = 42, user: int = TELEGRAM_USER) -> int:
        status, body = call(self.base_url + "/_control/messages", "POST",
                            {"chat_id": chat_id, "from": user, "text": text}, key=None)
        assert status == 200, body
        return body["update_id"]

    def sent(self, chat_id: int = 42) -> list[str]:
        return call(self.base_url + f"/_control/sent?chat_id={chat_id}", key=None)[1]["data"]

    def requests(self) -> dict:
        return call(self.base_url + "/_control/requests", key=None)[1]

    def wait_for_answers(self, count: int, chat_id: int = 42, timeout: float = 20) -> list[str]:
        return wait_until(f"{count} answers in chat {chat_id}",
                          lambda: (lambda sent: sent if len(sent) >= count else None)(self.sent(chat_id)), timeout)


@pytest.fixture()
def telegram():
    process, url = _start_fake("tern-fake-telegram", "--token", BOT_TOKEN)
    try:
        yield FakeTelegram(url)
    finally:
        _stop(process)


# MARK: replicas


class Replica:
    """One `tern serve` process of several sharing a PostgreSQL database."""

    def __init__(self, name: str, env: dict):
        self.name = name
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix=f"tern-replica-{name}-")
        self.env = {**env, "TERN_PORT": str(self.port), "TERN_DATA_DIR": self.data_dir}
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = os.path.join(self.data_dir, "tern.log")

    def start(self, wait: bool = True) -> "Replica":
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([os.path.join(BIN, "tern"), "serve"], env=self.env, cwd=self.data_dir,
                                            stdout=log, stderr=log)
        if wait:
            wait_until(f"replica {self.name} to answer /readyz", self._ready_or_died, 30, 0.05)
        return self

    def _ready_or_died(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"replica {self.name} exited with {self.process.returncode}:\n{self.log()}")
        try:
            return self.readiness()[0] == 200
        except OSError:
            return False

    def readiness(self) -> tuple[int, dict]:
        return call(self.base + "/readyz", key=None, timeout=5)

    def leader_state(self) -> str | None:
        """`leading`, `waiting`, `error`, … from /readyz; None when it does not answer."""
        try:
            return self.readiness()[1].get("leader")
        except OSError:
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds until it exited). A replica still running after
        30 s is killed and the test fails."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"replica {self.name} ignored SIGTERM for 30 s:\n{self.log()}")
        return code, time.monotonic() - started

    def log(self) -> str:
        with open(self.log_path) as log:
            return log.read()

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


@pytest.fixture()
def cluster(postgres, database, fake_llm):
    """Makes replicas on this test's database; every replica is stopped at the end."""
    made: list[Replica] = []

    def make(name: str, telegram: FakeTelegram | None = None, **extra: str) -> Replica:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "TERN_DATABASE_URL": postgres.url(database),
            "TERN_SECRET_KEY": SECRET_KEY,
            "TERN_LLM_BASE_URL": fake_llm,
            "TERN_LLM_MODEL": "fake-model",
            "TERN_API_KEYS": API_KEY,
            "TERN_LOG_LEVEL": "info",
            "TERN_RATE_LIMIT_PER_MINUTE": "100000",
            "TERN_RATE_LIMIT_BURST": "10000",
        }
        if telegram is not None:
            env.update({
                "TERN_TELEGRAM_TOKEN": BOT_TOKEN,
                "TERN_TELEGRAM_API_URL": telegram.api_url(f"replica-{name}"),
                "TERN_TELEGRAM_ALLOWED_USERS": str(TELEGRAM_USER),
                "TERN_TELEGRAM_STREAM": "false",
            })
        env.update(extra)
        replica = Replica(name, env)
        made.append(replica)
        return replica

    make.postgres = postgres
    make.database = database
    try:
        yield make
    finally:
        for replica in made:
            replica.stop()
            # Shown by pytest only when the test failed.
            print(f"--- replica {replica.name} log (tail) ---\n{replica.log()[-6000:] if replica.process else ''}")
            shutil.rmtree(replica.data_dir, ignore_errors=True)
