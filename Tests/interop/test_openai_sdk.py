"""The official `openai` Python SDK talks to Tern as it would to OpenAI."""

import openai
import pytest


@pytest.fixture()
def client(tern):
    return openai.OpenAI(base_url=tern["base_url"], api_key=tern["api_key"], max_retries=0)


def test_models_list(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["tern", "tern/default"]
    assert models.data[0].owned_by == "tern"


def test_plain_chat(client):
    completion = client.chat.completions.create(
        model="tern", messages=[{"role": "user", "content": "hello interop"}]
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "Echo: hello interop"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_streamed_chat(client):
    stream = client.chat.completions.create(
        model="tern",
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: stream please"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_bad_request_is_a_typed_sdk_error(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="tern", messages=[])
    assert caught.value.status_code == 400
    assert "at least one message" in caught.value.message
    assert caught.value.body["param"] == "messages"


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "x"}])
    assert caught.value.body["code"] == "model_not_found"


def test_wrong_key_is_an_authentication_error(tern):
    bad = openai.OpenAI(base_url=tern["base_url"], api_key="wrong-key-0123456789abcdef", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
