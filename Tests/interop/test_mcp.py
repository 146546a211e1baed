"""MCP servers from PyPI in a running Tern: `tern mcp` on the command line, a full agent turn in
which the (scripted) model calls a real MCP server's tool, and no server outliving Tern."""

import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid

import openai

from conftest import start_tern, stop_tern
from test_agent import _call, chat_requests, script, wait_for_pending
from test_cli import tern_cli as _tern_cli

PYTHON = sys.executable  # the venv's python, with mcp-server-time installed
SERVERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mcp-servers")


def test_mcp_commands_add_test_list_and_remove_a_real_server(tmp_path):
    data_dir = str(tmp_path)
    added = tern_cli("mcp", "add", "time", "--command", PYTHON, "--", "-m", "mcp_server_time",
                     "--local-timezone", "UTC", data_dir=data_dir)
    assert added.returncode == 0, added.stderr
    assert "added MCP server 'time' to 'default'" in added.stdout

    tested = tern_cli("mcp", "test", "time", data_dir=data_dir)
    assert tested.returncode == 0, tested.stderr
    assert "connecting to MCP server 'time'" in tested.stderr
    assert "protocol version: 20" in tested.stdout
    assert "time__get_current_time" in tested.stdout and "time__convert_time" in tested.stdout
    assert "round trip:" in tested.stdout

    listed = tern_cli("mcp", "list", data_dir=data_dir)
    assert listed.stdout.splitlines()[1].split()[:4] == ["time", "context", "stdio", "yes"]

    disabled = tern_cli("mcp", "disable", "time", data_dir=data_dir)
    assert disabled.stdout.strip() == "MCP server 'time' is disabled in 'default'"

    refused = tern_cli("mcp", "remove", "time", data_dir=data_dir)
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    removed = tern_cli("mcp", "remove", "time", "--yes", data_dir=data_dir)
    assert removed.returncode == 0, removed.stderr
    gone = tern_cli("mcp", "test", "time", data_dir=data_dir)
    assert gone.returncode == 1
    assert "MCP server 'time'" in gone.stderr


def test_mcp_add_refuses_what_would_not_work(tmp_path):
    data_dir = str(tmp_path)
    missing = tern_cli("mcp", "add", "ghost", "--command", "no-such-mcp-server", data_dir=data_dir)
    assert missing.returncode == 1
    assert "command 'no-such-mcp-server' not found on PATH" in missing.stderr
    both = tern_cli("mcp", "add", "x", "--command", PYTHON, "--url", "https://example.com/mcp", data_dir=data_dir)
    assert both.returncode != 0
    assert "exactly one of --command" in both.stderr
    private = tern_cli("mcp", "add", "internal", "--url", "http://10.0.0.1/mcp", data_dir=data_dir)
    assert private.returncode == 1
    assert "TERN_NETWORK_ALLOW" in private.stderr
    bad_name = tern_cli("mcp", "add", "a__b", "--command", PYTHON, data_dir=data_dir)
    assert bad_name.returncode == 1 and "must not contain '__'" in bad_name.stderr
    assert "no MCP servers" in tern_cli("mcp", "list", data_dir=data_dir).stdout

    # A command that exists but is no MCP server: `test` says so instead of hanging.
    fake = tern_cli("mcp", "add", "notmcp", "--command", "/bin/true", data_dir=data_dir)
    assert fake.returncode == 0, fake.stderr
    tested = tern_cli("mcp", "test", "notmcp", data_dir=data_dir)
    assert tested.returncode == 1
    assert 'MCP server "notmcp"' in tested.stderr and "process exited" in tested.stderr


def test_a_secret_env_value_is_never_shown(tmp_path):
    data_dir = str(tmp_path)
    added = tern_cli("mcp", "add", "echo", "--command", PYTHON, "--secret-env", "API_TOKEN", "--env", "TZ=UTC",
                     "--", os.path.join(SERVERS, "echo_server.py"), data_dir=data_dir,
                     env={"API_TOKEN": "hunter2-very-secret"})
    assert added.returncode == 0, added.stderr
    listed = tern_cli("mcp", "list", data_dir=data_dir)
    assert "API_TOKEN=***" in listed.stdout and "TZ=UTC" in listed.stdout
    assert "hunter2" not in listed.stdout
    database = open(os.path.join(data_dir, "tern.sqlite"), "rb").read()
    assert b"hunter2" not in database, "secrets are encrypted at rest"


def test_the_model_calls_a_real_mcp_tool_and_answers_with_its_result(fake_llm):
    marker = uuid.uuid4().hex
    server = _tern_with_global_server(fake_llm, "time", ["-m", "mcp_server_time", "--local-timezone", "UTC"], marker)
    try:
        script(
            fake_llm,
            {"tool_calls": [{"id": "t1", "name": "time__get_current_time", "arguments": json.dumps({"timezone": "UTC"})}]},
            {"content": ["It is now known."]},
        )
        client = openai.OpenAI(base_url=server["base_url"], api_key=server["api_key"], max_retries=0, timeout=60)
        answer = client.chat.completions.create(
            model="tern", messages=[{"role": "user", "content": "what time is it in UTC?"}]
        ).choices[0].message.content
        assert answer.endswith("It is now known.")
        requests = chat_requests(fake_llm)
        offered = [t["function"]["name"] for t in requests[-2]["tools"]]
        assert "time__get_current_time" in offered and "time__convert_time" in offered
        tool_message = requests[-1]["messages"][-1]
        assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "t1"
        result = json.loads(tool_message["content"])
        assert result["timezone"] == "UTC" and "datetime" in result

        status, diagnostics = _call(server["base_url"].removesuffix("/v1") + "/admin/api/v1/diagnostics")
        assert status == 200, diagnostics
        contexts = diagnostics["mcp"]["contexts"]
        (servers,) = contexts.values()
        assert servers["time"]["state"] == "connected" and servers["time"]["tools"] == 2
        assert len(_processes_with(marker)) == 1
    finally:
        stop_tern(server)
    _wait_until_gone(marker, "a graceful stop closes every MCP server")


def test_a_destructive_mcp_tool_waits_for_a_human_and_a_denial_keeps_it_from_running(fake_llm):
    server = _tern_with_global_server(fake_llm, "echo", [os.path.join(SERVERS, "echo_server.py")])
    try:
        script(
            fake_llm,
            {"tool_calls": [{"id": "d1", "name": "echo__delete_everything", "arguments": "{}"}]},
            {"content": ["I did not delete anything."]},
        )
        client = openai.OpenAI(base_url=server["base_url"], api_key=server["api_key"], max_retries=0, timeout=60)
        result = {}
        turn = threading.Thread(target=lambda: result.update(
            answer=client.chat.completions.create(
                model="tern", messages=[{"role": "user", "content": "wipe it all"}]).choices[0].message.content))
        turn.start()
        pending = wait_for_pending(server)
        assert pending["tool"] == "echo__delete_everything", "destructiveHint makes an MCP tool dangerous"
        status, decided = _call(server["base_url"] + f"/approvals/{pending['id']}", "POST", {"decision": "deny"})
        assert status == 200 and decided["status"] == "denied"
        turn.join(timeout=60)
        assert result["answer"].endswith("I did not delete anything.")
        tool_message = chat_requests(fake_llm)[-1]["messages"][-1]
        assert tool_message["tool_call_id"] == "d1" and "denied" in tool_message["content"]
        assert "nothing deleted" not in tool_message["content"], "the tool did not run"
    finally:
        stop_tern(server)


def test_a_killed_tern_leaves_no_mcp_server_behind(fake_llm):
    marker = uuid.uuid4().hex
    server = _tern_with_global_server(fake_llm, "echo", [os.path.join(SERVERS, "echo_server.py")], marker)
    try:
        script(
            fake_llm,
            {"tool_calls": [{"id": "e1", "name": "echo__echo", "arguments": json.dumps({"text": "ping"})}]},
            {"content": ["done"]},
        )
        client = openai.OpenAI(base_url=server["base_url"], api_key=server["api_key"], max_retries=0, timeout=60)
        client.chat.completions.create(model="tern", messages=[{"role": "user", "content": "echo ping"}])
        assert chat_requests(fake_llm)[-1]["messages"][-1]["content"] == "ping"
        assert len(_processes_with(marker)) == 1
        server["process"].send_signal(signal.SIGKILL)
        server["process"].wait(timeout=10)
    finally:
        server["log"].close()
    # The server's stdin closes with Tern; an MCP stdio server exits on end of input.
    _wait_until_gone(marker, "the MCP server exits when Tern is killed")


def _tern_with_global_server(fake_llm: str, name: str, args: list, marker: str | None = None) -> dict:
    """`tern serve` on a new data dir whose mcp.yaml has one stdio server run by the venv's python;
    `marker` goes into the server's environment, to find its process."""
    data_dir = tempfile.mkdtemp(prefix=f"tern-interop-mcp-{name}-")
    env = f"    env: {{TERN_TEST_MARKER: '{marker}'}}\n" if marker else ""
    with open(os.path.join(data_dir, "mcp.yaml"), "w") as file:
        file.write(f"servers:\n  {name}:\n    command: {PYTHON}\n    args: {json.dumps(args)}\n{env}")
    return start_tern(fake_llm, data_dir)


def tern_cli(*args, data_dir, env=None):
    """`tern_cli` with `--data-dir` before a `--` (after it, everything is the server's arguments)."""
    if "--" in args:
        split = args.index("--")
        return _tern_cli(*args[:split], "--data-dir", data_dir, *args[split:], data_dir=data_dir, env=env,
                         data_dir_flag=False)
    return _tern_cli(*args, data_dir=data_dir, env=env)


def _processes_with(marker: str) -> list:
    """Pids of processes whose environment carries `TERN_TEST_MARKER=<marker>` (Linux /proc)."""
    found = []
    needle = f"TERN_TEST_MARKER={marker}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as file:
                if needle in file.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _wait_until_gone(marker: str, why: str) -> None:
    deadline = time.monotonic() + 15
    while _processes_with(marker):
        assert time.monotonic() < deadline, why
        time.sleep(0.05)
