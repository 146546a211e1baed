"""`scripts/bench --streams N`: N streamed turns held open at once (issue 15, "10,000 concurrent
streamed turns").

`tern-fake-llm --slow-stream S --tokens T` answers every streamed call with T chunks, one every
S seconds (default: a token a second for a minute). One `tern serve` (fresh SQLite data dir, a
stored API key, rate limits off, `TERN_MAX_CONNECTIONS` = N + 100, `TERN_LLM_MAX_CONNECTIONS`
= N + 100, at most 10,000, so every turn gets its own model connection; set
`TERN_LLM_MAX_CONNECTIONS` in the environment of `scripts/bench` for another pool size, e.g. 8
to see turns wait for a connection and fail) gets N streamed chat turns, opened at
--stream-rate connections a second from one epoll loop in this process (raw non-blocking
sockets; each turn its own conversation). Measured: RSS of `tern serve` before and with the
streams open (and per stream), the CPU cores each process uses meanwhile, how many turns ended
with every chunk and `[DONE]`, how many failed and how (status, error frame, connection
dropped), and the turns/s a separate client gets during the hold compared with before it (its
messages carry `[[unpaced]]`, which the fake answers at once, so only Tern stands between it
and an answer). After the last round, when gdb is installed, `malloc_trim(0)` is called in
`tern serve` and its RSS read again: memory that comes back then was free inside malloc, not
held by Tern.
"""

import http.client
import json
import os
import resource
import selectors
import shutil
import socket
import statistics
import subprocess
import threading
import time

import bench
import soak

UNPACED = "[[unpaced]] Hello from the Tern benchmark's other client"


def malloc_trim(pid):
    """Calls glibc's `malloc_trim(0)` in process `pid` through gdb and returns its RSS afterwards
    (None without gdb or when gdb fails): what malloc kept of freed memory, told from what the
    process still holds."""
    if not shutil.which("gdb"):
        return None
    done = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "call (int) malloc_trim(0)"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        bench.log(f"gdb malloc_trim failed ({done.returncode}): {done.stderr.strip()[-200:]}")
        return None
    return bench.memory(pid)


def cores_used(pids, seconds=5.0):
    """CPU cores each named process used over `seconds` (user + system), and the machine's
    idle share: on a small machine the three processes compete, which the other client feels."""
    def idle_ticks():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)

    before = {name: bench.cpu_seconds(pid) for name, pid in pids.items()}
    idle0, total0 = idle_ticks()
    time.sleep(seconds)
    used = {name: round((bench.cpu_seconds(pid) - before[name]) / seconds, 2) for name, pid in pids.items()}
    idle1, total1 = idle_ticks()
    used["machine idle"] = round((idle1 - idle0) / max(1, total1 - total0) * (os.cpu_count() or 1), 2)
    return used


def raise_fd_limit(needed):
    """Raises the soft RLIMIT_NOFILE to the hard limit; returns (soft, hard) as they end up."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(needed, soft)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Stream:
    """One streamed turn on its own socket: what has arrived so far."""

    __slots__ = ("sock", "request", "sent", "status", "head", "frames", "carry", "done", "error_frame",
                 "error_text", "closed", "opened_at", "first_frame_at", "ended_at", "failure")

    def __init__(self, sock, request, now):
        self.sock, self.request, self.sent = sock, request, 0
        self.status, self.head, self.frames, self.carry = None, b"", 0, b""
        self.done = self.error_frame = self.closed = False
        self.error_text = None
        self.opened_at, self.first_frame_at, self.ended_at, self.failure = now, None, None, None

    def feed(self, data, now):
        """Counts `data: {` frames, notices `[DONE]` and error frames, across read boundaries."""
        if self.status is None:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            head, _, data = self.head.partition(b"\r\n\r\n")
            self.status = int(head.split(b" ", 2)[1])
            self.head = head[:200]
        window = self.carry + data
        frames = window.count(b"data: {")
        if frames and self.first_frame_at is None:
            self.first_frame_at = now
        self.frames += frames
        if b'"error"' in window:
            self.error_frame = True
            if self.error_text is None:
                self.error_text = window[window.find(b'"error"'):].split(b"\n")[0][:300].decode(errors="replace")
        if b"data: [DONE]" in window:
            self.done = True
        self.carry = window[-12:]


def request_bytes(port, key, conversation, body):
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nX-Tern-Conversation-Id: {conversation}\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class StreamDriver:
    """Opens `count` streams at `rate` a second and runs the epoll loop until all ended or `deadline`."""

    def __init__(self, port, key, count, rate, tag="stream"):
        self.port, self.key, self.count, self.rate, self.tag = port, key, count, rate, tag
        self.streams = []
        self.selector = selectors.EpollSelector()
        self.connect_errors = 0
        self.all_opened_at = None

    def open_one(self, index, now):
        body = json.dumps({"model": "tern", "stream": True,
                           "messages": [{"role": "user", "content": f"Stream {index}: please answer slowly"}]})
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect_ex(("127.0.0.1", self.port))
        except OSError as error:  # EMFILE and the like: counted, not fatal
            sock.close()
            self.connect_errors += 1
            return error
        stream = Stream(sock, request_bytes(self.port, self.key, f"{self.tag}-{index}", body.encode()), now)
        self.streams.append(stream)
        self.selector.register(sock, selectors.EVENT_WRITE, stream)
        return None

    def end(self, stream, now, failure=None):
        if stream.closed:
            return
        stream.closed, stream.ended_at = True, now
        if failure and not stream.done:
            stream.failure = failure
        self.selector.unregister(stream.sock)
        stream.sock.close()

    def step(self, timeout):
        now = time.monotonic()
        for key, events in self.selector.select(timeout):
            stream = key.data
            if events & selectors.EVENT_WRITE:
                try:
                    stream.sent += stream.sock.send(stream.request[stream.sent:])
                except OSError as error:
                    self.end(stream, now, f"connect/send: {error.strerror or error}")
                    continue
                if stream.sent == len(stream.request):
                    self.selector.modify(stream.sock, selectors.EVENT_READ, stream)
                continue
            try:
                data = stream.sock.recv(65536)
            except OSError as error:
                self.end(stream, now, f"recv: {error.strerror or error}")
                continue
            if not data:
                self.end(stream, now, "closed before [DONE]")
                continue
            stream.feed(data, now)

    def run(self, deadline, on_all_open=None):
        """Opens the streams (paced), then reads until every one ended or `deadline` (monotonic)."""
        started = time.monotonic()
        opened = 0
        while time.monotonic() < deadline:
            due = min(self.count, int((time.monotonic() - started) * self.rate) + 1)
            while opened < due:
                self.open_one(opened, time.monotonic())
                opened += 1
            if opened == self.count and self.all_opened_at is None:
                self.all_opened_at = time.monotonic()
                if on_all_open:
                    on_all_open()
            self.step(0.05)
            if opened == self.count and all(s.closed for s in self.streams):
                break
        for stream in self.streams:
            self.end(stream, time.monotonic(), "still open at the deadline")
        return started


def other_client(port, key, seconds, timeout):
    """Non-streamed turns one after another for `seconds`; returns answered, failures, turns/s."""
    body = json.dumps({"model": "tern", "messages": [{"role": "user", "content": UNPACED}]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}",
               "X-Tern-Conversation-Id": "other-client"}
    answered, failures, latencies = 0, [], []
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    while time.monotonic() - started < seconds:
        t0 = time.monotonic()
        try:
            conn.request("POST", "/v1/chat/completions", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200 or b'"Echo: ' not in data:
                failures.append(f"{response.status} {data[:200]!r}")
            else:
                answered += 1
                latencies.append(time.monotonic() - t0)
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"{type(error).__name__}: {error}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    elapsed = time.monotonic() - started
    return {"answered": answered, "failures": len(failures), "first_failure": failures[0] if failures else None,
            "seconds": elapsed, "turns_per_s": answered / elapsed,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else None}


def summarize(driver, tokens):
    streams = driver.streams
    complete = [s for s in streams if s.done and s.status == 200 and not s.error_frame and s.frames >= tokens]
    failures = {}
    for s in streams:
        if s in complete:
            continue
        if s.status not in (None, 200):
            reason = f"status {s.status}"
        elif s.error_frame:
            reason = "error frame in the stream"
        elif s.done:
            reason = f"[DONE] after {s.frames} frames (fewer than {tokens})"
        else:
            reason = s.failure or "unknown"
        failures[reason] = failures.get(reason, 0) + 1
    durations = sorted(s.ended_at - s.opened_at for s in complete)
    failed_after = sorted(s.ended_at - s.opened_at for s in streams if s not in complete)
    errors = {}
    for s in streams:
        if s.error_text:
            errors[s.error_text] = errors.get(s.error_text, 0) + 1
    return {"requested": driver.count, "connect_errors": driver.connect_errors, "complete": len(complete),
            "failed": sum(failures.values()), "failures": failures,
            "duration_s": {"min": durations[0], "p50": statistics.median(durations), "max": durations[-1]}
            if durations else None,
            "failed_after_s": {"min": failed_after[0], "p50": statistics.median(failed_after), "max": failed_after[-1]}
            if failed_after else None,
            "error_texts": errors}


def run(args, workdir):
    needed = args.streams * 2 + 200
    soft, hard = raise_fd_limit(needed)
    bench.log(f"RLIMIT_NOFILE soft {soft}, hard {hard} (inherited by tern serve and the fake)")
    if soft < needed:
        # Two sockets per open turn in tern serve (the client's and the model call's).
        bench.log(f"warning: {args.streams} open turns need about {needed} file descriptors in tern serve; "
                  f"at most about {(soft - 200) // 2} fit")
    # Tern accepts at most 10,000 (its ConfigKey range).
    llm_connections = os.environ.get("TERN_LLM_MAX_CONNECTIONS") or str(min(args.streams + 100, 10_000))
    fake_cmd_extra = ["--slow-stream", str(args.slow_stream), "--tokens", str(args.tokens)]
    fake, llm_url = bench.start_fake(args.fake, workdir, extra_args=fake_cmd_extra)
    tern, port, data_dir, key = soak.start_tern_with_key(
        args, workdir, llm_url, "streams",
        extra_env={"TERN_MAX_CONNECTIONS": str(args.streams + 100), "TERN_LLM_MAX_CONNECTIONS": llm_connections})
    time.sleep(2)
    idle = bench.memory(tern.pid)
    baseline = other_client(port, key, args.other_seconds, timeout=30)
    bench.log(f"other client before the streams: {baseline['turns_per_s']:.1f} turns/s")
    time.sleep(1)
    before = bench.memory(tern.pid)  # the per-stream figure is counted from here
    driver = StreamDriver(port, key, args.streams, args.stream_rate)
    hold = args.tokens * args.slow_stream
    sampled = {}

    def sample_while_open():
        # Runs in a thread, so the epoll loop keeps reading while the other client measures.
        time.sleep(min(20.0, hold / 3))
        sampled["open"] = bench.memory(tern.pid)
        sampled["fake_open"] = bench.memory(fake.pid)
        # Receiving tokens: past Tern's first frame (the role) and one content frame, no error.
        sampled["streaming"] = sum(1 for s in driver.streams if s.frames >= 2 and not s.closed and not s.error_frame)
        sampled["fake_fds"] = len(os.listdir(f"/proc/{fake.pid}/fd"))
        sampled["connected_open"] = sum(1 for s in driver.streams if not s.closed)
        sampled["tern_fds"] = len(os.listdir(f"/proc/{tern.pid}/fd"))
        sampled["load_1m"] = os.getloadavg()[0]
        sampled["cores"] = cores_used({"tern serve": tern.pid, "the fake": fake.pid, "this driver": os.getpid()})
        sampled["other"] = other_client(port, key, args.other_seconds, timeout=30)

    sampler = threading.Thread(target=sample_while_open, daemon=True)
    # LLM read timeout (120 s) + the hold + opening time + margin.
    deadline = time.monotonic() + args.streams / args.stream_rate + hold + 180
    driver.run(deadline, on_all_open=sampler.start)
    sampler.join(timeout=120)
    results = summarize(driver, args.tokens)
    results.update(
        slow_stream_s=args.slow_stream, tokens=args.tokens, rate=args.stream_rate, fd_limit=[soft, hard],
        llm_max_connections=int(llm_connections),
        opening_s=driver.all_opened_at - driver.streams[0].opened_at if driver.streams else None,
        idle=idle, before=before, open=sampled.get("open"), fake_open=sampled.get("fake_open"),
        streaming_when_sampled=sampled.get("streaming"), connected_when_sampled=sampled.get("connected_open"),
        tern_fds_when_sampled=sampled.get("tern_fds"), fake_fds_when_sampled=sampled.get("fake_fds"),
        load_1m_when_sampled=sampled.get("load_1m"), cores_when_sampled=sampled.get("cores"),
        other_before=baseline, other_during=sampled.get("other"), after=bench.memory(tern.pid),
        turns_stored=bench.stored_turns(data_dir))
    if results["open"] and results["connected_when_sampled"]:
        results["kb_per_open_stream"] = (results["open"]["VmRSS"] - before["VmRSS"]) / results["connected_when_sampled"]
    results["more_rounds"] = [another_round(args, port, key, tern.pid, number, hold)
                              for number in range(2, args.rounds + 1)]
    results["last_after"] = bench.memory(tern.pid)
    results["tern_fds_after"] = len(os.listdir(f"/proc/{tern.pid}/fd"))
    results["after_trim"] = malloc_trim(tern.pid)
    bench.stop(tern)
    bench.stop(fake)
    return results


def another_round(args, port, key, tern_pid, number, hold):
    """The same streams again in the same `tern serve` (new conversations): does memory grow
    again (something is kept per turn) or is it reused (malloc keeps what the first round freed)?"""
    time.sleep(2)
    driver = StreamDriver(port, key, args.streams, args.stream_rate, tag=f"round{number}")
    sampled = {}

    def sample():
        time.sleep(min(20.0, hold / 3))
        sampled["open"] = bench.memory(tern_pid)
        sampled["connected_open"] = sum(1 for s in driver.streams if not s.closed)

    sampler = threading.Thread(target=sample, daemon=True)
    driver.run(time.monotonic() + args.streams / args.stream_rate + hold + 180, on_all_open=sampler.start)
    sampler.join(timeout=60)
    summary = summarize(driver, args.tokens)
    time.sleep(1)
    result = {"round": number, "complete": summary["complete"], "failed": summary["failed"],
              "open": sampled.get("open"), "connected_when_sampled": sampled.get("connected_open"),
              "after": bench.memory(tern_pid)}
    bench.log(f"round {number}: {result['complete']} complete, {result['failed']} failed, "
              f"VmRSS after {bench.mb(result['after']['VmRSS'])} MB")
    return result


def print_table(r, label):
    print(f"\n{r['requested']} streamed turns held open ({r['tokens']} tokens, one every {r['slow_stream_s']} s); "
          f"{label}")
    print(f"  TERN_LLM_MAX_CONNECTIONS {r['llm_max_connections']}; "
          f"RLIMIT_NOFILE soft/hard: {r['fd_limit'][0]}/{r['fd_limit'][1]}; opened at {r['rate']}/s "
          f"in {r['opening_s'] or 0:.1f} s; connect errors {r['connect_errors']}")
    print(f"  complete (200, every token, [DONE]): {r['complete']}; failed: {r['failed']}")
    for reason, count in sorted(r["failures"].items(), key=lambda kv: -kv[1]):
        print(f"    {count:>6}  {reason}")
    if r["duration_s"]:
        d = r["duration_s"]
        print(f"  complete turns took {d['min']:.1f} / {d['p50']:.1f} / {d['max']:.1f} s (min / median / max)")
    if r["failed_after_s"]:
        d = r["failed_after_s"]
        print(f"  failed turns ended after {d['min']:.1f} / {d['p50']:.1f} / {d['max']:.1f} s (min / median / max)")
    for text, count in sorted(r["error_texts"].items(), key=lambda kv: -kv[1])[:3]:
        print(f"    {count:>6}  {text[:240]}")
    print(f"  when sampled (load {r['load_1m_when_sampled'] or 0:.1f}): {r['connected_when_sampled']} connections open, "
          f"{r['streaming_when_sampled']} receiving tokens; open fds: tern serve {r['tern_fds_when_sampled']}, "
          f"the fake {r['fake_fds_when_sampled']}")
    if r.get("cores_when_sampled"):
        print("  CPU cores used over 5 s then: " + ", ".join(f"{k} {v}" for k, v in r["cores_when_sampled"].items()))
    if r["open"]:
        print(f"  tern serve VmRSS: idle {bench.mb(r['idle']['VmRSS'])} MB, after the other client's turns "
              f"{bench.mb(r['before']['VmRSS'])} MB, streams open {bench.mb(r['open']['VmRSS'])} MB "
              f"(RssAnon {bench.mb(r['before']['RssAnon'])} → {bench.mb(r['open']['RssAnon'])}), "
              f"after {bench.mb(r['after']['VmRSS'])} MB; {r.get('kb_per_open_stream', float('nan')):.1f} KB "
              "per open stream (open − before, over the connections open)")
    for name in ("other_before", "other_during"):
        o = r.get(name)
        if o:
            p50 = f"{o['p50_ms']:.1f} ms" if o["p50_ms"] is not None else "-"
            print(f"  other client {name.split('_')[1]:>6} the hold: {o['answered']} turns in {o['seconds']:.0f} s = "
                  f"{o['turns_per_s']:.1f} turns/s, p50 {p50}, failures {o['failures']}"
                  + (f" (first: {o['first_failure'][:160]})" if o["first_failure"] else ""))
    for more in r.get("more_rounds", []):
        opened = bench.mb(more["open"]["VmRSS"]) if more["open"] else "-"
        print(f"  round {more['round']} (same tern serve): complete {more['complete']}, failed {more['failed']}; "
              f"VmRSS with {more['connected_when_sampled']} open {opened} MB, after {bench.mb(more['after']['VmRSS'])} MB")
    trimmed = r.get("after_trim")
    print(f"  after the last round: VmRSS {bench.mb(r['last_after']['VmRSS'])} MB (RssAnon "
          f"{bench.mb(r['last_after']['RssAnon'])}), tern serve fds {r['tern_fds_after']}"
          + (f"; after malloc_trim(0): VmRSS {bench.mb(trimmed['VmRSS'])} MB (RssAnon {bench.mb(trimmed['RssAnon'])})"
             if trimmed else "; malloc_trim not run (no gdb)"))
    print(f"  turns stored: {r['turns_stored']}")
