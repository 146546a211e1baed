"""Another Tern's reachability check against a shared llama-cpp-python server.

llama-cpp-python ends a running stream with `[DONE]` and no `finish_reason` when another request
takes its model lock, and `GET /v1/models` takes it like a completion. Two Terns on one model
server (two replicas, or a second instance) each check the server every 5 s in the background:
with `GET /v1/models` one Tern's check cut the other's answers (an interop test failed that way).
On this server Tern checks FastAPI's `GET /docs` instead, which takes no lock.
"""

import re
import tempfile
import time
import uuid

import pytest

from conftest import Tern, poll

STORY = {"messages": [{"role": "user", "content": "Write a very long story about a dragon, a knight and a "
                                                  "lighthouse, in ten chapters with many details."}],
         "max_tokens": 400, "temperature": 0, "seed": 11}


def _docs_requests(model) -> int:
    return len(re.findall(r'"GET /docs HTTP/1\.[01]" 200', open(model.log_path, errors="replace").read()))


def test_the_server_cuts_a_stream_for_models_not_for_docs(isolated):
    """The real server's behaviour the check relies on (and the fake LLM's quirk models)."""
    import requests
    model, _ = isolated("llama-cpp-python")
    root = model.base_url[: -len("/v1")]
    for path, cuts in (("/docs", False), ("/v1/models", True)):
        body = dict(STORY, stream=True)
        finish = []
        with requests.post(model.base_url + "/chat/completions", json=body, stream=True, timeout=120) as response:
            lines = response.iter_lines()
            for line in lines:
                if line.startswith(b"data: {") and b'"content"' in line:
                    break
            assert requests.get(root + path, timeout=30).status_code == 200
            for line in lines:
                if line.startswith(b"data: {"):
                    finish += re.findall(rb'"finish_reason": ?"(\w+)"', line)
        print(f"\nGET {path} during a stream: finish reasons {finish}")
        assert (not finish) == cuts, f"GET {path}: finish {finish}"


def test_another_terns_checks_leave_a_long_answer_whole(isolated, work_dir):
    model, tern = isolated("llama-cpp-python")
    other = Tern(model, tempfile.mkdtemp(prefix="tern-", dir=work_dir)).start()
    try:
        # The other Tern's first call detects the server (GET /v1/models, once): before the stream.
        poll(lambda: "model server profile detected" in open(other.log_path, errors="replace").read(), 60,
             what="the other Tern detecting the model server")
        docs_before = _docs_requests(model)
        started = time.monotonic()
        result = tern.stream(STORY, str(uuid.uuid4()))
        seconds = time.monotonic() - started
        checks = _docs_requests(model) - docs_before
        print(f"\nlong answer beside another Tern: {len(result['text'])} characters in {seconds:.1f} s, "
              f"finish {result['finish_reasons']}, errors {result['errors']}, the other's checks meanwhile {checks}")
        assert result["status"] == 200 and not result["errors"], f"{result}\n{tern.log_tail()}"
        assert result["finish_reasons"] in (["stop"], ["length"]), tern.log_tail()
        if seconds > 11:
            # Checks run every 5 s while the other Tern has no call in flight: two periods and a
            # second of margin. A faster machine proves less here (the fake-LLM test covers it).
            assert checks >= 1, f"the other Tern did not check during {seconds:.1f} s\n{other.log_tail()}"
    finally:
        other.stop()
