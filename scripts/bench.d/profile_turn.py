#!/usr/bin/env python3
"""Steady-state chat turns against one `tern serve`, for CPU and instruction counts per turn.

Starts the fake LLM and `tern serve` on a fresh SQLite data dir with a stored API key (not open
mode), sends WARMUP turns and then TURNS turns of one realistic request (20 messages of history
sent by the client, the same `X-Tern-Conversation-Id` every time, the default tools offered),
at CONCURRENCY keep-alive connections, and prints the server's user+system CPU per measured
turn. Every answer is checked (status 200 and the fake's echo).

With --callgrind, `tern serve` runs under `valgrind --tool=callgrind` with collection off;
collection is switched on (callgrind_control -i on) after the warm-up and the profile dumped
after the measured turns, so the dump holds exactly TURNS turns: instructions per turn is
its total Ir / TURNS. Read it with `callgrind_annotate --inclusive=yes FILE`.

With --perf, `perf record -e cpu-clock -g` samples `tern serve` during the measured turns (no
hardware counters needed): read it with `perf report -i FILE --no-children` (self) or
`--children` (inclusive). Valgrind 3.19 (Debian 12) crashes on the release `tern` binary
(internal SIGSEGV at start, also with --tool=none), so on that system use --perf.

With --postgres ADMIN_URL (e.g. the dev cluster's postgres://user:pw@host:port/postgres) each run
gets a fresh database on that server (created with psql, dropped after the run) instead of
SQLite; the rest is the same, so the CPU per turn of the two stores compare directly.

Usage:
  scripts/bench.d/profile_turn.py [--bin-dir .build-release/release] [--turns 2000]
      [--warmup 200] [--concurrency 8] [--stream] [--runs 3] [--postgres ADMIN_URL]
      [--grow N] [--callgrind OUT_FILE | --perf OUT_FILE]

By default every turn resends the same thread to one conversation, which Tern reads as a
regenerate of the last answer (it supersedes the previous one). --grow N measures the common
shape instead: each connection's thread grows by the answer and a new question every turn, in a
conversation of its own, and a new conversation starts every N turns.
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
import threading
import time

LAST = "Hello from the Tern benchmark, please echo this sentence back"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_body(stream):
    messages = [{"role": "system", "content": "You are a helpful assistant. Answer briefly."}]
    for i in range(9):
        messages.append({"role": "user", "content": f"Question {i}: what is {i} plus {i}? Please explain."})
        messages.append({"role": "assistant", "content": f"{i} plus {i} is {2 * i}. Adding a number to itself doubles it."})
    messages.append({"role": "user", "content": LAST})
    assert len(messages) == 20
    return json.dumps({"model": "tern", "messages": messages, "stream": stream}).encode()


def wait_ready(port, proc, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tern serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("tern serve did not become ready")


def answer_text(data, stream):
    """The assistant's answer in a chat completion response (streamed or not)."""
    if not stream:
        return json.loads(data)["choices"][0]["message"]["content"]
    parts = []
    for line in data.split(b"\n"):
        if line.startswith(b"data: ") and line != b"data: [DONE]":
            for choice in json.loads(line[6:]).get("choices", []):
                parts.append((choice.get("delta") or {}).get("content") or "")
    return "".join(parts)


def drive(port, key, body, turns, concurrency, stream, grow=0):
    """Sends `turns` turns over `concurrency` keep-alive connections; returns the wall time.

    grow=0: the same request every time, to one conversation (a regenerate of the last answer
    each turn). grow=N: each connection holds its own conversation and sends the thread grown by
    the previous answer and a new question, as a chat client does, starting a new conversation
    after N turns (the thread goes from 20 to 20 + 2N messages)."""
    lock = threading.Lock()
    left = [turns]
    errors = []
    conversations = [0]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}",
               "X-Tern-Conversation-Id": "profile-turn"}
    needle = b"data: [DONE]" if stream else b'"Echo: '

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        own_headers, thread, sent = dict(headers), None, 0
        while True:
            with lock:
                if left[0] == 0 or errors:
                    return
                left[0] -= 1
                if grow and (thread is None or sent == grow):
                    conversations[0] += 1
                    own_headers["X-Tern-Conversation-Id"] = f"profile-grow-{os.getpid()}-{conversations[0]}"
                    thread, sent = json.loads(body)["messages"], 0
            payload = body
            if grow:
                payload = json.dumps({"model": "tern", "messages": thread, "stream": stream}).encode()
            conn.request("POST", "/v1/chat/completions", body=payload, headers=own_headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200 or needle not in data:
                with lock:
                    errors.append(f"{response.status} {data[:300]!r}")
                return
            if grow:
                sent += 1
                thread = thread + [{"role": "assistant", "content": answer_text(data, stream)},
                                   {"role": "user", "content": f"Follow-up {sent}: and what is {sent} times {sent}?"}]

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"a turn failed: {errors[0]}")
    return time.monotonic() - started


def database_url(admin_url, name):
    """`admin_url` with its database replaced by `name`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def psql(admin_url, sql):
    subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True,
                   text=True, timeout=60)


def run_once(args, bin_dir, workdir, index):
    database = None
    if args.postgres:
        database = f"tern_profile_{os.getpid()}_{index}"
        psql(args.postgres, f"CREATE DATABASE {database}")
    try:
        return run_on(args, bin_dir, workdir, index, database)
    finally:
        if database:
            psql(args.postgres, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def run_on(args, bin_dir, workdir, index, database):
    data_dir = os.path.join(workdir, f"data-{index}")
    fake = subprocess.Popen([os.path.join(bin_dir, "tern-fake-llm"), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=open(os.path.join(workdir, "fake.stderr"), "ab"))
    line = fake.stdout.readline().decode()
    llm_url = line.split("listening on ", 1)[1].strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    port = free_port()
    env.update(TERN_HOST="127.0.0.1", TERN_PORT=str(port), TERN_DATA_DIR=data_dir, TERN_LLM_BASE_URL=llm_url,
               TERN_LLM_MODEL="fake-model", TERN_LOG_LEVEL="warning",
               # The benchmark is one user sending as fast as it can: no rate limits.
               TERN_RATE_LIMIT_PER_MINUTE="0", TERN_MAX_CONCURRENT_TURNS="0")
    if database:
        env["TERN_DATABASE_URL"] = database_url(args.postgres, database)
    tern = os.path.join(bin_dir, "tern")
    created = subprocess.run([tern, "keys", "create", "local", "--name", "bench"], env=env, cwd=workdir,
                             capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1].strip()
    command = [tern, "serve"]
    if args.callgrind:
        command = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                   f"--callgrind-out-file={os.path.abspath(args.callgrind)}"] + command
    server = subprocess.Popen(command, env=env, cwd=workdir, stdin=subprocess.DEVNULL,
                              stdout=open(os.path.join(workdir, "tern.stderr"), "ab"), stderr=subprocess.STDOUT)
    try:
        wait_ready(port, server, 120 if args.callgrind else 20)
        body = request_body(args.stream)
        drive(port, key, body, args.warmup, args.concurrency, args.stream, args.grow)
        if args.callgrind:
            subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True)
        recorder = None
        if args.perf:
            recorder = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4000", "-g", "-p", str(server.pid),
                                         "-o", os.path.abspath(args.perf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            time.sleep(1)  # perf attaches
        load = os.getloadavg()[0]
        cpu_before = cpu_seconds(server.pid)
        wall = drive(port, key, body, args.turns, args.concurrency, args.stream, args.grow)
        cpu = cpu_seconds(server.pid) - cpu_before
        if args.callgrind:
            subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True, capture_output=True)
        if recorder:
            recorder.send_signal(2)
            recorder.wait(timeout=120)
        result = {"store": "postgres" if database else "sqlite", "turns": args.turns,
                  "concurrency": args.concurrency, "stream": args.stream, "grow": args.grow,
                  "cpu_ms_per_turn": round(cpu * 1000 / args.turns, 3), "turns_per_s": round(args.turns / wall, 1),
                  "load_1m_before": round(load, 2), "load_1m_after": round(os.getloadavg()[0], 2)}
        print(json.dumps(result), flush=True)
        return result
    finally:
        for proc in (server, fake):
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=".build-release/release")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--grow", type=int, default=0, metavar="N",
                        help="grow each connection's thread turn by turn, a new conversation every N turns "
                             "(default 0: resend one thread to one conversation, a regenerate every turn)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="a fresh database on this server instead of SQLite")
    parser.add_argument("--callgrind", metavar="OUT_FILE")
    parser.add_argument("--perf", metavar="OUT_FILE", help="perf record -e cpu-clock -g of the measured turns")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tern-profile-")
    try:
        results = [run_once(args, os.path.abspath(args.bin_dir), workdir, i) for i in range(args.runs)]
        cpus = sorted(r["cpu_ms_per_turn"] for r in results)
        print(f"CPU ms/turn over {args.runs} run(s): {' / '.join(str(c) for c in cpus)} (nproc {os.cpu_count()})")
    except Exception as error:
        print(f"profile_turn: {error}; logs in {workdir}", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
