"""Two `tern serve` replicas on one PostgreSQL 15 meet the faults a real deployment meets: a
killed leader, a terminated lock connection, a PostgreSQL restart, a killed replica with a turn
waiting for approval, a restarted replica while another's turn waits, retention, SIGTERM in
every state. The Bot API and the model are fakes in their own processes; PostgreSQL is real.

What "exactly one poller" means here: after the fault, both replicas say where they stand
(`/readyz` `leader`), and then, over a window in which a user writes to the bot, every
`getUpdates` the fake Bot API receives comes from the leader and no long poll is cut off by
another (Telegram's 409 Conflict) — two pollers cannot hide, they cut each other off at once.
"""

import json
import threading
import time

import pytest

from conftest import API_KEY, FakeTelegram, call, wait_until


def wait_for_roles(replicas, timeout: float) -> tuple:
    """Waits until exactly one replica leads and every other waits; returns (leader, followers)."""
    def roles():
        states = {replica.name: replica.leader_state() for replica in replicas}
        leaders = [r for r in replicas if states[r.name] == "leading"]
        if len(leaders) == 1 and all(states[r.name] == "waiting" for r in replicas if r is not leaders[0]):
            return leaders[0], [r for r in replicas if r is not leaders[0]]
        return None
    return wait_until("one leader and only followers", roles, timeout)


def assert_only_poller(telegram: FakeTelegram, leader, text: str, answers_before: int) -> None:
    """Over a window in which a user writes `text`, only `leader` calls getUpdates, no long poll
    is cut off, and the message is answered exactly once."""
    caller = f"replica-{leader.name}"
    # The window opens once the leader's long poll is parked (earlier requests, and polls a
    # stopped replica left behind, which its successor's first poll cuts off, are history).
    wait_until(f"{caller}'s long poll", lambda: telegram.requests()["waiting"] == caller, 10)
    start = telegram.requests()
    telegram.send(text)
    answers = telegram.wait_for_answers(answers_before + 1)
    time.sleep(1.5)  # let a second poller (if there were one) show itself
    end = telegram.requests()
    window = end["requests"][len(start["requests"]):]
    pollers = {r["caller"] for r in window if r["method"] == "getUpdates"}
    assert pollers == {caller}, f"getUpdates in the window came from {pollers}"
    assert end["conflicts"][len(start["conflicts"]):] == [], "long polls were cut off by another poller"
    assert telegram.sent() == answers and answers[-1] == f"Echo: {text}"
    assert answers.count(f"Echo: {text}") == 1


def test_leader_killed_a_follower_takes_over_and_nothing_is_lost_or_doubled(cluster, telegram):
    a = cluster("a", telegram).start()
    wait_until("a to lead", lambda: a.leader_state() == "leading", 15)
    b = cluster("b", telegram).start()
    wait_for_roles([a, b], 10)
    telegram.send("before")
    assert telegram.wait_for_answers(1) == ["Echo: before"]

    a.kill()
    killed = time.monotonic()
    wait_until("b to lead", lambda: b.leader_state() == "leading", 10)
    takeover = time.monotonic() - killed
    print(f"takeover after kill -9 of the leader: {takeover:.2f} s")
    assert takeover < 5, f"b took {takeover:.1f} s to lead"
    assert_only_poller(telegram, b, "after", answers_before=1)
    telegram.send("and again")
    assert telegram.wait_for_answers(3) == ["Echo: before", "Echo: after", "Echo: and again"]


def _lock_holder_pid(cluster) -> int:
    rows = cluster.postgres.psql(
        "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        f"WHERE l.locktype = 'advisory' AND l.granted AND d.datname = '{cluster.database}'")
    pids = [int(row) for row in rows.split()]
    assert len(pids) == 1, f"advisory lock holders: {pids}"
    return pids[0]


def test_terminated_lock_connection_leaves_exactly_one_poller(cluster, telegram):
    a = cluster("a", telegram).start()
    wait_until("a to lead", lambda: a.leader_state() == "leading", 15)
    b = cluster("b", telegram).start()
    wait_for_roles([a, b], 10)
    assert_only_poller(telegram, a, "first", answers_before=0)

    pid = _lock_holder_pid(cluster)
    assert cluster.postgres.psql(f"SELECT pg_terminate_backend({pid})") == "t"
    terminated = time.monotonic()
    # Either replica may win the lock back; exactly one must lead and poll.
    wait_until("the leadership to change hands or be re-taken",
               lambda: _lock_holder_pid_or_none(cluster) not in (None, pid), 10)
    leader, _ = wait_for_roles([a, b], 10)
    print(f"one leader again {time.monotonic() - terminated:.2f} s after pg_terminate_backend: {leader.name}")
    assert_only_poller(telegram, leader, "second", answers_before=1)


def _lock_holder_pid_or_none(cluster):
    try:
        return _lock_holder_pid(cluster)
    except AssertionError:
        return None


def test_postgres_restart_leaves_exactly_one_poller_and_messages_are_answered_once(cluster, telegram):
    a = cluster("a", telegram).start()
    wait_until("a to lead", lambda: a.leader_state() == "leading", 15)
    b = cluster("b", telegram).start()
    wait_for_roles([a, b], 10)
    assert_only_poller(telegram, a, "before restart", answers_before=0)

    cluster.postgres.pg_ctl("restart", "-m", "fast")
    restarted = time.monotonic()
    leader, _ = wait_for_roles([a, b], 15)
    print(f"one leader {time.monotonic() - restarted:.2f} s after PostgreSQL accepted connections: {leader.name}")
    wait_until("both replicas to be ready again", lambda: all(r.readiness()[0] == 200 for r in (a, b)), 15)
    assert_only_poller(telegram, leader, "after restart", answers_before=1)
    assert telegram.sent() == ["Echo: before restart", "Echo: after restart"]


# MARK: approvals


def _gate_calculator(replica) -> None:
    with open(f"{replica.data_dir}/tools.yaml", "w") as file:
        file.write("require_approval: [calculator]\n")


def _script(fake_llm: str, *replies: dict) -> None:
    status, _ = call(fake_llm.removesuffix("/v1") + "/_script", "POST", {"replies": list(replies)}, key=None)
    assert status == 200


def _ask_in_background(replica, question: str) -> dict:
    """Starts a chat turn on `replica`; the returned dict gets `status`/`body` or `error`."""
    outcome: dict = {}

    def ask():
        try:
            outcome["status"], outcome["body"] = call(
                replica.base + "/v1/chat/completions", "POST",
                {"model": "tern", "messages": [{"role": "user", "content": question}]}, timeout=60)
        except OSError as error:  # the replica goes away mid-turn
            outcome["error"] = error
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _pending(replica) -> list:
    status, body = call(replica.base + "/v1/approvals")
    assert status == 200, body
    return body["data"]


CALCULATOR = {"tool_calls": [{"id": "c1", "name": "calculator", "arguments": json.dumps({"expression": "6*7"})}]}


def _turn_waiting_on_a(cluster, fake_llm, answer: str) -> tuple:
    """Replicas a (the calculator needs approval) and b; a turn on a waits for approval of a
    calculator call, and b lists it. Returns (a, b, turn, pending approval)."""
    a = cluster("a")
    b = cluster("b")
    _gate_calculator(a)
    a.start()
    b.start()
    _script(fake_llm, CALCULATOR, {"content": [answer]})
    turn = _ask_in_background(a, "6*7?")
    pending = wait_until("the approval to show on the other replica", lambda: _pending(b), 20)[0]
    assert pending["tool"] == "calculator"
    return a, b, turn, pending


def test_approvals_of_a_killed_replica_expire_and_cannot_be_approved(cluster, fake_llm):
    a, b, turn, pending = _turn_waiting_on_a(cluster, fake_llm, "never")

    a.kill()
    killed = time.monotonic()
    wait_until("the orphaned approval to expire", lambda: _pending(b) == [], 30)
    print(f"orphaned approval expired {time.monotonic() - killed:.2f} s after kill -9")
    status, body = call(b.base + f"/v1/approvals/{pending['id']}", "POST", {"decision": "approve"})
    assert status == 409, body
    assert "the turn that asked is gone" in body["error"]["message"]
    turn["thread"].join(timeout=10)
    assert "error" in turn, f"the turn on the killed replica should have lost its connection: {turn}"


def test_restarting_one_replica_never_denies_another_replicas_waiting_turn(cluster, fake_llm):
    _, b, turn, pending = _turn_waiting_on_a(cluster, fake_llm, "Forty-two.")

    code, _ = b.terminate()
    assert code == 0
    b.start()  # a new instance: it must not expire what a live replica waits on
    assert [p["id"] for p in _pending(b)] == [pending["id"]]
    status, body = call(b.base + f"/v1/approvals/{pending['id']}", "POST", {"decision": "approve"})
    assert status == 200 and body["status"] == "approved", body
    turn["thread"].join(timeout=30)
    assert turn.get("status") == 200, turn
    assert turn["body"]["choices"][0]["message"]["content"].endswith("Forty-two.")


# MARK: retention


def test_retention_runs_on_one_replica_and_deletes_each_row_once(cluster):
    seed = cluster("seed").start()
    for n in range(3):
        status, body = call(seed.base + "/v1/chat/completions", "POST",
                            {"model": "tern", "messages": [{"role": "user", "content": f"old {n}"}]})
        assert status == 200, body
    code, _ = seed.terminate()
    assert code == 0
    postgres, database = cluster.postgres, cluster.database
    old = 10 * 86_400 * 1_000_000  # ten days, in the stored microseconds
    for table in ("messages", "sessions", "conversations"):
        postgres.psql(f"UPDATE {table} SET created_at = created_at - {old}", database)
    messages = int(postgres.psql("SELECT COUNT(*) FROM messages", database))
    assert messages == 6  # three questions, three answers

    replicas = [cluster(name, TERN_RETENTION_DAYS="1") for name in ("a", "b")]
    for replica in replicas:
        replica.start(wait=False)
    for replica in replicas:
        wait_until(f"{replica.name} to start", replica._ready_or_died, 30, 0.05)
    wait_until("a retention pass", lambda: any("retention pass done" in r.log() for r in replicas), 20)
    wait_for_roles(replicas, 10)
    time.sleep(1)  # a second pass on the other replica would have logged by now
    passes = [(r.name, line) for r in replicas for line in r.log().splitlines() if "retention pass done" in line]
    assert len(passes) == 1, passes
    assert "messages=6" in passes[0][1], passes
    assert postgres.psql("SELECT COUNT(*) FROM messages", database) == "0"


# MARK: SIGTERM


def test_sigterm_stops_a_leader_and_a_follower_within_5_s_with_exit_code_0(cluster, telegram):
    a = cluster("a", telegram).start()
    wait_until("a to lead", lambda: a.leader_state() == "leading", 15)
    b = cluster("b", telegram).start()
    wait_for_roles([a, b], 10)
    code, seconds = b.terminate()
    print(f"follower stopped in {seconds:.2f} s")
    assert (code, seconds < 5) == (0, True), f"follower: exit {code} after {seconds:.1f} s\n{b.log()}"
    code, seconds = a.terminate()
    print(f"leader stopped in {seconds:.2f} s")
    assert (code, seconds < 5) == (0, True), f"leader: exit {code} after {seconds:.1f} s\n{a.log()}"


def test_sigterm_stops_replicas_that_lost_the_database_within_5_s_with_exit_code_0(cluster, telegram):
    a = cluster("a", telegram).start()
    wait_until("a to lead", lambda: a.leader_state() == "leading", 15)
    b = cluster("b", telegram).start()
    wait_for_roles([a, b], 10)
    cluster.postgres.pg_ctl("stop", "-m", "fast")
    try:
        wait_until("both replicas to notice", lambda: all(r.leader_state() == "error" for r in (a, b)), 15)
        for replica in (a, b):
            code, seconds = replica.terminate()
            print(f"{replica.name} stopped without its database in {seconds:.2f} s")
            assert (code, seconds < 5) == (0, True), f"{replica.name}: exit {code} after {seconds:.1f} s"
    finally:
        cluster.postgres.pg_ctl("start")
