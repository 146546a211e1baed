"""Plain chat through Tern against the real server: the SDK, forwarded sampling parameters, usage."""

import uuid

import openai

from conftest import API_KEY


def test_openai_sdk_streams_end_to_end(tern):
    client = openai.OpenAI(base_url=tern.base_url, api_key=API_KEY, max_retries=0, timeout=120)
    stream = client.chat.completions.create(
        model="tern", messages=[{"role": "user", "content": "Say hello in one short sentence."}],
        stream=True, max_tokens=40, stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    print(f"\nSDK stream: {len(chunks)} chunks, {len(text)} characters, finish {finishes}, usage {chunks[-1].usage}")
    assert text.strip(), f"no content streamed\n{tern.log_tail()}"
    assert finishes in (["stop"], ["length"]), f"one finish_reason expected\n{tern.log_tail()}"
    assert len({c.id for c in chunks}) == 1
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0, \
        f"include_usage asked for a usage chunk; llama-cpp-python streams none, Tern must fill it\n{tern.log_tail()}"


def test_max_tokens_is_honoured(tern):
    conversation = str(uuid.uuid4())
    status, body, _ = tern.chat({"messages": [{"role": "user", "content": "Write a long essay about the sea."}],
                                 "max_tokens": 5}, conversation)
    assert status == 200, f"{body}\n{tern.log_tail()}"
    content = body["choices"][0]["message"]["content"] or ""
    usage = body.get("usage") or {}
    print(f"\nmax_tokens 5: {len(content)} characters, usage {usage}, finish {body['choices'][0]['finish_reason']}")
    assert len(content) <= 40, f"max_tokens 5 not forwarded: {len(content)} characters came back"
    if usage.get("completion_tokens") is not None:
        assert usage["completion_tokens"] <= 5
    assert body["choices"][0]["finish_reason"] == "length"


def test_temperature_zero_and_seed_give_the_same_answer_twice(tern):
    body = {"messages": [{"role": "user", "content": "Name three colours and say why you like them."}],
            "temperature": 0, "seed": 42, "max_tokens": 60}
    answers = []
    for _ in range(3):
        status, answer, _ = tern.chat(body, str(uuid.uuid4()))
        assert status == 200, f"{answer}\n{tern.log_tail()}"
        answers.append(answer["choices"][0]["message"]["content"])
    print(f"\ntemperature 0 answers: {[a[:40] for a in answers]}")
    assert answers[0].strip()
    assert len(set(answers)) == 1, "temperature 0 + seed gave different answers: sampling parameters not forwarded"


def test_usage_is_returned_and_stored(tern):
    conversation = str(uuid.uuid4())
    status, body, _ = tern.chat({"messages": [{"role": "user", "content": "What is a cat?"}], "max_tokens": 30},
                                conversation)
    assert status == 200, f"{body}\n{tern.log_tail()}"
    usage = body.get("usage")
    print(f"\nnon-streamed usage: {usage}")
    assert usage, f"a non-streamed answer carries usage\n{tern.log_tail()}"
    assert usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= 30
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    streamed = str(uuid.uuid4())
    result = tern.stream({"messages": [{"role": "user", "content": "What is a dog?"}], "max_tokens": 30}, streamed)
    assert result["status"] == 200 and not result["errors"], result

    columns = tern.message_columns()
    print(f"messages columns: {columns}")
    for conv in (conversation, streamed):
        row = tern.assistant_messages(conv)[-1]
        print(f"stored: status={row['status']} prompt={row['prompt_tokens']} completion={row['completion_tokens']} "
              f"total={row['total_tokens']} estimated={row.get('usage_estimated', '(no column)')}")
        assert row["status"] == "complete"
        assert row["prompt_tokens"] is not None and row["prompt_tokens"] > 0, \
            f"stored assistant message without prompt tokens\n{tern.log_tail()}"
        assert row["completion_tokens"] is not None and row["completion_tokens"] > 0
        if "usage_estimated" in columns:
            assert row["usage_estimated"] in (0, 1)
    assert "usage_estimated" in columns, "no flag saying whether stored counts were reported or estimated"


def test_every_stored_assistant_message_has_token_counts(tern):
    """Runs last in this file: whatever the other tests stored must carry counts (complete or cut)."""
    rows = tern.query("SELECT id, status, prompt_tokens, completion_tokens FROM messages WHERE role = 'assistant'")
    missing = [r for r in rows if r["prompt_tokens"] is None or r["completion_tokens"] is None]
    print(f"\n{len(rows)} assistant messages stored, {len(missing)} without token counts")
    assert rows and not missing, missing[:5]
