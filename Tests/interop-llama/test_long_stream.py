"""A long streamed answer while other requests reach the model server.

llama-cpp-python serves one request at a time: a new request interrupts the stream in progress,
which then ends with `[DONE]` and no `finish_reason`. Tern must never turn that into a silent
`finish_reason: "stop"` stored `complete`: the answer is either whole (with a finish reason) or
reported cut (an error frame, stored `incomplete`).
"""

import threading
import uuid

import pytest

from conftest import leaks, reachability_interval_knobs, server_kinds

STORY = {"messages": [{"role": "user", "content": "Write a very long story about a dragon, a knight and a "
                                                  "lighthouse, in ten chapters with many details."}],
         "max_tokens": 400, "temperature": 0, "seed": 11}


@pytest.mark.parametrize("kind", server_kinds())
def test_long_answer_is_whole_or_reported_cut_never_silently_stopped(isolated, kind):
    knobs = {key: "1" for key in reachability_interval_knobs()}
    print(f"\nreachability interval knobs set: {knobs or 'none documented; concurrent requests only'}")
    _, tern = isolated(kind, knobs)

    # The same request alone: what a whole answer looks like (temperature 0 and a seed).
    reference = tern.stream(STORY, str(uuid.uuid4()))
    assert reference["status"] == 200 and not reference["errors"], f"{reference}\n{tern.log_tail()}"
    print(f"alone: {len(reference['text'])} characters in {reference['seconds']:.1f} s, "
          f"finish {reference['finish_reasons']}")
    assert reference["finish_reasons"] in (["stop"], ["length"]), tern.log_tail()

    outcomes = []
    for round_number in range(2):
        conversation = str(uuid.uuid4())
        first_piece = threading.Event()
        result = {}
        reader = threading.Thread(target=lambda: result.update(
            tern.stream(STORY, conversation, on_content=lambda _: first_piece.set())))
        reader.start()
        assert first_piece.wait(60), f"no content within 60 s\n{tern.log_tail()}"
        # What disturbs the stream: readiness probes and a second user's turn.
        ready = [tern.readyz()["llm"] for _ in range(3)]
        second = tern.chat({"messages": [{"role": "user", "content": "Hi!"}], "max_tokens": 8}, str(uuid.uuid4()))
        reader.join(180)
        assert not reader.is_alive(), "the long stream never ended"
        row = tern.assistant_messages(conversation)[-1]

        cut = len(result["text"]) < len(reference["text"])
        print(f"round {round_number}: readyz {ready}; second turn {second[0]} in {second[2]:.1f} s; long answer "
              f"{len(result['text'])}/{len(reference['text'])} characters, finish {result['finish_reasons']}, "
              f"errors {[e.get('message') for e in result['errors']]}, [DONE] {result['done']}, "
              f"stored {row['status']}")
        outcomes.append((result, row, cut))
        assert result["status"] == 200
        assert second[0] == 200, f"the second turn failed: {second[1]}\n{tern.log_tail()}"
        if result["errors"]:
            # Reported cut: an OpenAI error object, stored incomplete, no upstream internals.
            error = result["errors"][0]
            assert error.get("message") and error.get("type"), error
            assert not leaks(error["message"]), error
            assert row["status"] == "incomplete", f"a cut answer stored {row['status']}\n{tern.log_tail()}"
            assert row["prompt_tokens"] is not None, "a cut answer is stored with usage too"
        else:
            assert len(result["finish_reasons"]) == 1, f"no finish_reason on an uncut stream\n{tern.log_tail()}"
            assert row["status"] == "complete"
            assert not cut, (
                f"silently cut: finish_reason {result['finish_reasons']} after {len(result['text'])} of "
                f"{len(reference['text'])} characters, stored {row['status']}\n--- tern log ---\n{tern.log_tail()}")
            assert result["finish_reasons"] == reference["finish_reasons"]
