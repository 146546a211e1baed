#!/usr/bin/env python3
"""SQL statements per chat turn on PostgreSQL, counted by pg_stat_statements.

pg_stat_statements must be in shared_preload_libraries, which needs a server restart, so this
starts a throwaway PostgreSQL cluster of its own (initdb + pg_ctl from --pg-bin, a free port on
127.0.0.1, fsync off; removed at the end) with the extension loaded and utility statements
(BEGIN, COMMIT) tracked. Then `tern-fake-llm` and `tern serve` against a database there, with a
stored API key and rate limits off, and the realistic request of profile_turn.py (20 messages,
non-streamed, one connection):

  1. warm-up turns in one conversation (caches filled);
  2. steady state: the statistics are reset, TURNS turns in that same conversation, counted. The
     client resends its whole thread as Open WebUI does: the 20 messages, then every question
     and answer of this conversation so far (it grows by two messages a turn), so what Tern
     stored is always the thread's tail and nothing is superseded;
  3. regenerate: reset, TURNS turns in another conversation, each the same 20 messages again.
     Once Tern has stored more questions than the client sends, each such turn is a regenerate
     of the last answer (the stored tail is superseded): what phase 2 measured until 2026-12-06;
  4. new conversation: reset, TURNS turns each with a new `X-Tern-Conversation-Id`, counted;
  5. background: reset, nothing sent for as long as phase 4 took, counted (scheduler polls,
     heartbeats), subtracted from 2-4;
  6. order: one more steady, regenerate and new-conversation turn each whose model call streams
     slowly (the fake runs with --slow-stream; phases 1-5 carry `[[unpaced]]` and get answers at
     once), with every statement logged (log_statement=all): the statements before the model
     call's pause and after it, in order.

Prints statements per turn (calls / TURNS) in each phase, with every statement and its calls,
then the order.

Usage: scripts/bench.d/pg_statements.py [--bin-dir .build-release/release] [--turns 100]
       [--pg-bin $TERN_PG_BIN_DIR or /usr/lib/postgresql/15/bin; needs pgvector]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import profile_turn

STATS_SQL = """
SELECT coalesce(json_agg(json_build_object('query', query, 'calls', calls) ORDER BY calls DESC), '[]')
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = 'tern' AND query NOT ILIKE '%pg_stat_statements%'
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster with pg_stat_statements preloaded."""

    def __init__(self, pg_bin):
        # PostgreSQL refuses to run as root: then the cluster belongs to the postgres user.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.home = tempfile.mkdtemp(prefix="tern-pgstat-cluster-")
        if self.as_owner:
            shutil.chown(self.home, "postgres", "postgres")
        self.pg_bin, self.dir, self.port = pg_bin, os.path.join(self.home, "data"), free_port()
        self.run("initdb", "-D", self.dir, "-U", "tern", "--auth=trust", "-E", "UTF8")
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on "
                   "-c pg_stat_statements.max=10000 -c log_statement=all -c log_line_prefix=%m@%p@")  # no shell metacharacters: pg_ctl runs a shell
        self.log = os.path.join(self.home, "pg.log")
        try:
            self.run("pg_ctl", "-D", self.dir, "-o", options, "-l", self.log, "-w", "-t", "60", "start")
        except BaseException:
            self.stop()  # a half-started server, and the files
            raise
        self.url = f"postgres://tern@127.0.0.1:{self.port}/tern"
        self.sql(f"postgres://tern@127.0.0.1:{self.port}/postgres", "CREATE DATABASE tern")
        self.sql(self.url, "CREATE EXTENSION pg_stat_statements")

    def run(self, program, *arguments):
        done = subprocess.run(self.as_owner + [os.path.join(self.pg_bin, program), *arguments], capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    @staticmethod
    def sql(url, statement):
        done = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", statement], check=True,
                              capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    def reset(self):
        self.sql(self.url, "SELECT pg_stat_statements_reset()")

    def stats(self):
        return json.loads(self.sql(self.url, STATS_SQL))

    def stop(self):
        """Stops the cluster and removes its files."""
        try:
            self.run("pg_ctl", "-D", self.dir, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def turns(port, key, body, conversations):
    """One turn per entry of `conversations` (its `X-Tern-Conversation-Id`), one after another;
    returns the last answer's text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    answer = None
    for conversation in conversations:
        conn.request("POST", "/v1/chat/completions", body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {key}",
            "X-Tern-Conversation-Id": conversation})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200 or b'"Echo: ' not in data:
            raise RuntimeError(f"turn in {conversation}: {response.status} {data[:300]!r}")
        answer = json.loads(data)["choices"][0]["message"]["content"]
    conn.close()
    return answer


class Thread:
    """A client that resends its whole thread every turn (Open WebUI): the request's messages
    before its last, then each question it asked in this conversation and the answer it got."""

    def __init__(self, port, key, request, conversation):
        self.port, self.key, self.conversation = port, key, conversation
        self.base, self.last = request["messages"][:-1], request["messages"][-1]
        self.exchanged = []

    def turn(self, question=None):
        asked = dict(self.last, content=question or self.last["content"])
        body = json.dumps({"model": "tern", "messages": self.base + self.exchanged + [asked]}).encode()
        answer = turns(self.port, self.key, body, [self.conversation])
        self.exchanged += [asked, {"role": "assistant", "content": answer}]


def per_turn(stats, background, count):
    """{query: calls per turn}, background calls subtracted, zeros dropped."""
    base = {row["query"]: row["calls"] for row in background}
    out = {}
    for row in stats:
        calls = row["calls"] - base.get(row["query"], 0)
        if calls > 0:
            out[row["query"]] = calls / count
    return out


def logged_statements(log, offset):
    """(seconds, statement) of every statement logged after `offset`, the background services'
    (instance heartbeat and cleanup, the approvals sweep) left out."""
    import datetime

    out = []
    with open(log, errors="replace") as f:
        f.seek(offset)
        for line in f:
            stamp, _, rest = line.partition("@")
            _, _, message = rest.partition("@")
            for marker in ("LOG:  statement: ", "LOG:  execute "):
                if message.startswith(marker):
                    text = message[len(marker):].strip()
                    text = text.split(": ", 1)[1] if marker.endswith("execute ") and ": " in text else text
                    if '"instances"' in text or 'UPDATE "approvals"' in text:
                        continue
                    when = datetime.datetime.strptime(stamp.rsplit(" ", 1)[0], "%Y-%m-%d %H:%M:%S.%f")
                    out.append((when.timestamp(), text))
    return out


def report_order(title, statements):
    """Splits a turn's statements at their longest pause (the slow model call)."""
    gaps = [(statements[i + 1][0] - statements[i][0], i) for i in range(len(statements) - 1)]
    pause, at = max(gaps) if gaps else (0.0, len(statements) - 1)
    print(f"\n{title}: {at + 1} statements before the model call, {len(statements) - at - 1} after "
          f"(longest pause {pause:.1f} s)")
    for index, (_, text) in enumerate(statements):
        if index == at + 1:
            print("  --- model call ---")
        print(f"  {' '.join(text.split())[:150]}")


def report(title, rows, unit="statements per turn"):
    total = sum(rows.values())
    print(f"\n{title}: {total:.2f} {unit}")
    for query, calls in sorted(rows.items(), key=lambda kv: -kv[1]):
        print(f"  {calls:5.2f}  {' '.join(query.split())[:150]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=".build-release/release")
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    # Tern's memory migration needs pgvector: scripts/setup-pgvector prints such binaries.
    parser.add_argument("--pg-bin", default=os.environ.get("TERN_PG_BIN_DIR", "/usr/lib/postgresql/15/bin"))
    args = parser.parse_args()
    bin_dir = os.path.abspath(args.bin_dir)
    workdir = tempfile.mkdtemp(prefix="tern-pgstat-")
    cluster, procs = None, []
    try:
        cluster = Cluster(args.pg_bin)
        fake = subprocess.Popen([os.path.join(bin_dir, "tern-fake-llm"), "--port", "0", "--slow-stream", "1",
                                 "--tokens", "3"], stdout=subprocess.PIPE,
                                stderr=open(os.path.join(workdir, "fake.stderr"), "ab"))
        procs.append(fake)
        llm_url = fake.stdout.readline().decode().split("listening on ", 1)[1].strip()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
        env.update(TERN_HOST="127.0.0.1", TERN_PORT=str(port), TERN_DATA_DIR=os.path.join(workdir, "data"),
                   TERN_DATABASE_URL=cluster.url, TERN_LLM_BASE_URL=llm_url, TERN_LLM_MODEL="fake-model",
                   TERN_LOG_LEVEL="warning", TERN_RATE_LIMIT_PER_MINUTE="0", TERN_MAX_CONCURRENT_TURNS="0")
        tern = os.path.join(bin_dir, "tern")
        created = subprocess.run([tern, "keys", "create", "local", "--name", "bench"], env=env, cwd=workdir,
                                 capture_output=True, text=True, check=True, timeout=60)
        key = created.stdout.strip().splitlines()[-1].strip()
        server = subprocess.Popen([tern, "serve"], env=env, cwd=workdir, stdin=subprocess.DEVNULL,
                                  stdout=open(os.path.join(workdir, "tern.stderr"), "ab"), stderr=subprocess.STDOUT)
        procs.append(server)
        profile_turn.wait_ready(port, server, 30)
        paced_body = profile_turn.request_body(False)
        request = json.loads(paced_body)
        request["messages"][-1]["content"] = "[[unpaced]] " + request["messages"][-1]["content"]
        body = json.dumps(request).encode()
        thread = Thread(port, key, request, "steady")
        for _ in range(args.warmup):
            thread.turn()
        turns(port, key, body, ["regenerate"] * args.warmup)
        time.sleep(1)

        cluster.reset()
        for _ in range(args.turns):
            thread.turn()
        steady = cluster.stats()
        cluster.reset()
        turns(port, key, body, ["regenerate"] * args.turns)
        regenerate = cluster.stats()
        cluster.reset()
        started = time.monotonic()
        turns(port, key, body, [f"new-{i}" for i in range(args.turns)])
        fresh = cluster.stats()
        took = time.monotonic() - started
        cluster.reset()
        time.sleep(took)
        background = cluster.stats()

        offset = os.path.getsize(cluster.log)
        thread.turn(json.loads(paced_body)["messages"][-1]["content"])
        steady_order = logged_statements(cluster.log, offset)
        offset = os.path.getsize(cluster.log)
        turns(port, key, paced_body, ["regenerate"])
        regenerate_order = logged_statements(cluster.log, offset)
        offset = os.path.getsize(cluster.log)
        turns(port, key, paced_body, ["order-new"])
        fresh_order = logged_statements(cluster.log, offset)

        print(f"pg_stat_statements, {args.turns} turns per phase, PostgreSQL at {cluster.url}; "
              f"load average {os.getloadavg()[0]:.2f}")
        report(f"background (no turns for {took:.1f} s, as long as the new-conversation phase)",
               {r["query"]: float(r["calls"]) for r in background}, unit="statements in all")
        report("steady-state turn (same conversation, the thread resent and grown)",
               per_turn(steady, background, args.turns))
        report("regenerate turn (same conversation, the same 20 messages again)",
               per_turn(regenerate, background, args.turns))
        report("turn that opens a new conversation", per_turn(fresh, background, args.turns))
        report_order("order, steady-state turn", steady_order)
        report_order("order, regenerate turn", regenerate_order)
        report_order("order, turn that opens a new conversation", fresh_order)
    except Exception as error:
        print(f"pg_statements: {error}; logs in {workdir}", file=sys.stderr)
        for proc in procs:
            proc.terminate()
        if cluster:
            cluster.stop()
        sys.exit(1)
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=60)
    cluster.stop()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
