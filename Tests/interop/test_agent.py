"""The agent end to end: real `tern serve`, the scripted fake LLM, the official openai SDK."""

import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest

from conftest import API_KEY, start_tern, stop_tern


def _call(url: str, method: str = "GET", body: dict | None = None, key: str | None = API_KEY):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def script(fake_llm: str, *replies: dict) -> None:
    root = fake_llm.removesuffix("/v1")
    status, _ = _call(root + "/_script", "POST", {"replies": list(replies)}, key=None)
    assert status == 200


def chat_requests(fake_llm: str) -> list:
    return _call(fake_llm.removesuffix("/v1") + "/_requests", key=None)[1]["data"]


def calculator_call(expression: str) -> dict:
    return {"tool_calls": [{"id": "c1", "name": "calculator", "arguments": json.dumps({"expression": expression})}]}


def wait_for_pending(server: dict) -> dict:
    """Polls the approvals list of another process (there is no in-process signal to await)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, body = _call(server["base_url"] + "/approvals")
        assert status == 200, body
        if body["data"]:
            return body["data"][0]
        time.sleep(0.02)
    raise AssertionError("no approval request appeared")


def test_builtin_tool_call_streams_progress_to_the_sdk(tern, fake_llm):
    script(fake_llm, calculator_call("6*7"), {"content": ["It is ", "42."]})
    client = openai.OpenAI(base_url=tern["base_url"], api_key=tern["api_key"], max_retries=0)
    stream = client.chat.completions.create(
        model="tern", messages=[{"role": "user", "content": "what is 6*7?"}], stream=True,
        extra_headers={"X-Tern-Verbosity": "verbose"},
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "> → `calculator`" in text
    assert "> ← `calculator`: 42" in text
    assert text.endswith("It is 42.")
    last = chat_requests(fake_llm)[-1]
    assert last["messages"][-1] == {"role": "tool", "content": "42", "tool_call_id": "c1"}
    offered = [t["function"]["name"] for t in chat_requests(fake_llm)[-2]["tools"]]
    assert offered == ["calculator", "clock", "git_clone", "list_files", "read_file", "recall", "remember",
                       "search_files", "web_fetch", "web_search", "write_file", "tern_plan"]


@pytest.fixture()
def gated_tern(fake_llm):
    """A server whose tools.yaml makes the calculator need human approval."""
    data_dir = tempfile.mkdtemp(prefix="tern-interop-approval-")
    with open(os.path.join(data_dir, "tools.yaml"), "w") as file:
        file.write("require_approval: [calculator]\n")
    server = start_tern(fake_llm, data_dir)
    yield server
    if server["process"].poll() is None:
        stop_tern(server)
    else:
        server["log"].close()  # a test killed it


def test_approval_over_http_lets_the_waiting_turn_go_on(gated_tern, fake_llm):
    script(fake_llm, calculator_call("2+2"), {"content": ["Four."]})
    client = openai.OpenAI(base_url=gated_tern["base_url"], api_key=API_KEY, max_retries=0, timeout=30)
    result = {}
    turn = threading.Thread(target=lambda: result.update(
        answer=client.chat.completions.create(
            model="tern", messages=[{"role": "user", "content": "2+2?"}]).choices[0].message.content))
    turn.start()
    pending = wait_for_pending(gated_tern)
    assert pending["tool"] == "calculator"
    assert json.loads(pending["arguments"]) == {"expression": "2+2"}
    status, decided = _call(gated_tern["base_url"] + f"/approvals/{pending['id']}", "POST", {"decision": "approve"})
    assert status == 200 and decided["status"] == "approved"
    turn.join(timeout=30)
    assert "Approval needed" in result["answer"]
    assert result["answer"].endswith("Four.")
    assert chat_requests(fake_llm)[-1]["messages"][-1]["content"] == "4"


def test_restart_while_waiting_denies_the_request(gated_tern, fake_llm):
    script(fake_llm, calculator_call("1+1"))
    client = openai.OpenAI(base_url=gated_tern["base_url"], api_key=API_KEY, max_retries=0, timeout=30)
    failed = []

    def ask():
        try:
            client.chat.completions.create(model="tern", messages=[{"role": "user", "content": "1+1?"}])
        except openai.APIError as error:  # the server goes away mid-turn
            failed.append(error)

    turn = threading.Thread(target=ask)
    turn.start()
    pending = wait_for_pending(gated_tern)
    gated_tern["process"].kill()
    gated_tern["process"].wait(timeout=10)
    turn.join(timeout=30)
    assert failed, "the turn should have failed with the server"

    restarted = start_tern(fake_llm, gated_tern["data_dir"], port=gated_tern["port"])
    try:
        status, body = _call(restarted["base_url"] + "/approvals")
        assert status == 200 and body["data"] == []
        status, body = _call(restarted["base_url"] + f"/approvals/{pending['id']}", "POST", {"decision": "approve"})
        assert status == 409
        assert body["error"]["message"] == (
            f"approval {pending['id']} cannot be decided: the turn that asked is gone (its server instance stopped)")
    finally:
        stop_tern(restarted)


@pytest.fixture()
def page_server(tmp_path):
    (tmp_path / "page.html").write_text("<title>Interop</title><h1>Fetched</h1><p>through the guard</p>")
    process = subprocess.Popen(
        ["python3", "-m", "http.server", "--bind", "127.0.0.1", "0", "--directory", str(tmp_path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = process.stdout.readline()
    port = int(line.split(" port ")[1].split(" ")[0])
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_web_fetch_in_a_full_turn_only_through_the_allow_list(fake_llm, page_server):
    url = f"http://127.0.0.1:{page_server}/page.html"
    fetch = {"tool_calls": [{"id": "f1", "name": "web_fetch", "arguments": json.dumps({"url": url})}]}
    data_dir = tempfile.mkdtemp(prefix="tern-interop-fetch-")
    # The second server opens the port but not the address: the loopback rule refuses it, and the
    # page the first one cached is not served either.
    for env, expected in (
        ({"TERN_NETWORK_ALLOW": f"127.0.0.1:{page_server}"}, "# Fetched"),
        ({"TERN_NETWORK_PORTS": f"80,443,{page_server}"}, "is a loopback address"),
    ):
        server = start_tern(fake_llm, data_dir, env)
        try:
            script(fake_llm, fetch, {"content": ["Done."]})
            client = openai.OpenAI(base_url=server["base_url"], api_key=API_KEY, max_retries=0)
            answer = client.chat.completions.create(
                model="tern", messages=[{"role": "user", "content": "fetch it"}]).choices[0].message.content
            assert answer.endswith("Done.")
            tool_message = chat_requests(fake_llm)[-1]["messages"][-1]
            assert tool_message["role"] == "tool"
            assert expected in tool_message["content"], tool_message["content"]
            status, diagnostics = _call(server["base_url"].removesuffix("/v1") + "/admin/api/v1/diagnostics")
            assert status == 200
            assert set(diagnostics["web_cache"]) == {"hits", "misses", "evictions", "entries", "bytes"}
        finally:
            stop_tern(server)
