#!/usr/bin/env python3
"""Tern's benchmark driver (run it through scripts/bench, which builds the binaries first).

Measures, against the fake LLM (tern-fake-llm), on loopback:
  1. start to the first `GET /readyz` 200: fresh data dir (creates SQLite, runs migrations)
     and existing data dir;
  2. RSS of `tern serve`: idle after start, after 10,000 and 20,000 non-streamed turns;
  3. latency of a non-streamed turn through Tern vs. the same body sent to the fake directly,
     at concurrency 1 and 64 (wrk, closed loop, keep-alive);
  4. streamed turns per second through Tern and directly, at concurrency 1 and 64.

Standard library only. Every process it starts is stopped on exit, including Ctrl-C.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "turns.lua")

PROMPT = "Hello from the Tern benchmark, please echo this sentence back"
BODY = {"model": "tern", "messages": [{"role": "user", "content": PROMPT}]}
STREAM_BODY = dict(BODY, stream=True)

children = []  # every Popen we started, stopped in cleanup()

# soak.py and streams.py `import bench`: let them share this module (and its `children`) when it
# runs as __main__ instead of loading a second copy.
sys.modules.setdefault("bench", sys.modules[__name__])


def log(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# processes


def _die_with_parent():
    """Linux: the child gets SIGTERM if this driver dies without cleaning up (even SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def popen(cmd, **kwargs):
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent if sys.platform == "linux" else None, **kwargs)
    children.append(proc)
    return proc


def stop(proc, timeout=10.0):
    """SIGTERM, then SIGKILL after `timeout`; returns the seconds it took to exit."""
    if proc.poll() is not None:
        return 0.0
    start = time.perf_counter()
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.perf_counter() - start


def cleanup():
    for proc in reversed(children):
        try:
            if proc.poll() is None:
                stop(proc, timeout=5)
        except Exception:
            pass


def on_signal(number, _frame):
    raise KeyboardInterrupt(f"signal {number}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(fake_bin, workdir, extra_args=()):
    err = open(os.path.join(workdir, "fake-llm.stderr"), "ab")
    proc = popen([fake_bin, "--port", "0", *extra_args], stdout=subprocess.PIPE, stderr=err, cwd=workdir)
    line = read_line(proc.stdout, timeout=15)
    prefix = "listening on "
    if not line.startswith(prefix):
        raise RuntimeError(f"tern-fake-llm printed {line!r}, expected 'listening on http://…/v1'")
    return proc, line[len(prefix):].strip()


def read_line(stream, timeout):
    import select

    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            raise RuntimeError("timed out waiting for the fake LLM to print its address")
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            raise RuntimeError("the fake LLM exited before printing its address")
        data += chunk
    return data.decode()


def tern_env(port, data_dir, llm_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    env.update(
        TERN_HOST="127.0.0.1",
        TERN_PORT=str(port),
        TERN_DATA_DIR=data_dir,
        TERN_LLM_BASE_URL=llm_url,
        TERN_LLM_MODEL="fake-model",
        TERN_LOG_LEVEL="warning",
        # One client sending as fast as it can: rate limits off, so no 429 pollutes the numbers
        # (and any non-200 answer still fails the run).
        TERN_RATE_LIMIT_PER_MINUTE="0",
        TERN_MAX_CONCURRENT_TURNS="0",
    )
    return env


def spawn_tern(tern_bin, port, data_dir, llm_url, workdir, log_name, extra_env=None):
    err = open(os.path.join(workdir, log_name), "ab")
    # cwd = the scratch dir, so no tern.yaml of the checkout is picked up.
    proc = popen(
        [tern_bin, "serve"], env=dict(tern_env(port, data_dir, llm_url), **(extra_env or {})), cwd=workdir,
        stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    return proc


def http_status(port, path, timeout=1.0):
    """Status code of GET path, or None when nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(256)
                if not chunk:
                    return None
                head += chunk
            return int(head.split(b" ", 2)[1])
    except (ConnectionRefusedError, ConnectionResetError, socket.timeout, ValueError, IndexError):
        return None


def wait_ready(proc, port, started, limit=15.0):
    """Polls /readyz every 0.5 ms until 200; returns seconds since `started` (perf_counter)."""
    while True:
        if http_status(port, "/readyz") == 200:
            return time.perf_counter() - started
        if proc.poll() is not None:
            raise RuntimeError(f"tern serve exited with {proc.returncode} before /readyz answered 200")
        if time.perf_counter() - started > limit:
            raise RuntimeError(f"/readyz did not answer 200 within {limit} s")
        time.sleep(0.0005)


def memory(pid):
    """VmRSS, VmHWM, RssAnon, RssFile (and Pss when the kernel has smaps_rollup) in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                values[key] = int(rest.split()[0])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key == "Pss":
                    values["Pss"] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (clock-tick resolution)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(url, body, timeout=10):
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode()


# ---------------------------------------------------------------------------------------------
# measurements


def measure_starts(tern_bin, llm_url, workdir, count):
    """Start to /readyz 200 on fresh data dirs, then on one existing data dir."""
    results = {"fresh_ms": [], "existing_ms": [], "stop_ms": []}

    def one(data_dir):
        port = free_port()
        started = time.perf_counter()
        proc = spawn_tern(tern_bin, port, data_dir, llm_url, workdir, "tern-starts.stderr")
        ready = wait_ready(proc, port, started)
        results["stop_ms"].append(stop(proc) * 1000)
        if proc.returncode not in (0, None):
            raise RuntimeError(f"tern serve exited with {proc.returncode} after SIGTERM")
        return ready * 1000

    # One unrecorded start so the binary and its libraries are in the page cache for all runs.
    one(os.path.join(workdir, "starts", "warmup", "data"))
    for i in range(count):
        results["fresh_ms"].append(one(os.path.join(workdir, "starts", f"fresh-{i}", "data")))
    existing = os.path.join(workdir, "starts", "existing", "data")
    one(existing)  # creates it; not recorded
    for _ in range(count):
        results["existing_ms"].append(one(existing))

    # The floor: exec the binary, load the Swift runtime and Foundation, print, exit.
    version_ms = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run([tern_bin, "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=10)
        version_ms.append((time.perf_counter() - started) * 1000)
    results["version_ms"] = version_ms
    return results


def run_wrk(url, body_file, connections, limit, expect, workdir, cap_seconds, label, on_reached=None, pids=None,
            headers_file=None):
    """One bounded wrk run: stops after `limit` answers or `cap_seconds`, whichever is first.

    `on_reached` runs once the limit is reached, before wrk exits (its connections still open).
    `pids` ({name: pid}): processes whose CPU time per answer is reported.
    `headers_file`: more request headers, one `Name: value` a line (e.g. the API key).
    """
    cpu_before = {name: cpu_seconds(pid) for name, pid in (pids or {}).items()}
    done_file = os.path.join(workdir, f"wrk-done-{time.monotonic_ns()}")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{cap_seconds}s", "--timeout", "10s",
           "-s", LUA, url, "--", body_file, str(limit), done_file, expect] + ([headers_file] if headers_file else [])
    started = time.perf_counter()
    proc = popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir)
    reached = False
    elapsed = None
    deadline = time.monotonic() + cap_seconds + 15
    while proc.poll() is None:
        if os.path.exists(done_file):
            reached = True
            elapsed = time.perf_counter() - started
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.002)
    cpu_ms = None
    if reached:
        cpu_ms = {name: (cpu_seconds(pid) - cpu_before[name]) * 1000 for name, pid in (pids or {}).items()}
        if on_reached:
            on_reached()
        proc.send_signal(signal.SIGINT)  # wakes wrk's main thread, which prints the summary
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    text = out.decode(errors="replace")
    lines = [l for l in text.splitlines() if l.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk gave no result for {label}:\n{text}")
    result = json.loads(lines[-1][len("BENCH_JSON "):])
    # Rate over the time to the last answer as seen here (wrk start to DONE_FILE, polled every
    # 2 ms), not wrk's own duration, which runs until the SIGINT.
    seconds = elapsed if reached else result["duration_us"] / 1e6
    result.update(label=label, connections=connections, limit=limit, reached_limit=reached,
                  cap_seconds=cap_seconds, seconds=seconds, turns_per_s=result["requests"] / seconds,
                  cpu_ms_per_turn={k: v / result["requests"] for k, v in (cpu_ms or {}).items()})
    errors = sum(result["errors"].values())
    if result["bad"] or errors:
        raise RuntimeError(
            f"{label}: {result['bad']} bad answers, errors {result['errors']}; first bad: {result['first_bad']}")
    if not reached:
        log(f"warning: {label} hit the {cap_seconds} s cap after {result['requests']} answers")
    result["load_1m"] = os.getloadavg()[0]
    return result


def stored_turns(data_dir):
    path = os.path.join(data_dir, "tern.sqlite")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute("SELECT count(*) FROM messages WHERE role = 'assistant'").fetchone()[0]


def memory_probe(args, workdir):
    """Where does RSS growth come from? Same turns, different connection reuse and LLM timeout.

    TERN_LLM_TIMEOUT_SECONDS bounds how long a finished turn's cancelled watchdog sleep keeps
    its timer alive; a single keep-alive connection shows what Tern keeps per connection.
    """
    body_file = os.path.join(workdir, "body.json")
    with open(body_file, "w") as f:
        json.dump(BODY, f)
    fake, llm_url = start_fake(args.fake, workdir)
    cases = [
        ("LLM timeout 120 s (default), 64 connections, new connections every 10000 turns", "120", 64, [10_000] * 5),
        ("LLM timeout 5 s, 64 connections, new connections every 10000 turns", "5", 64, [10_000] * 5),
        ("LLM timeout 5 s, 1 connection, a new one every 5000 turns", "5", 1, [5_000] * 4),
        ("LLM timeout 5 s, 1 connection kept for all 20000 turns", "5", 1, [20_000]),
    ]
    print("\nMemory probe: RssAnon of tern serve (MB) after each batch of non-streamed turns")
    for number, (title, timeout, conns, batches) in enumerate(cases):
        data_dir = os.path.join(workdir, f"probe-{number}", "data")
        port = free_port()
        started = time.perf_counter()
        tern = spawn_tern(args.tern, port, data_dir, llm_url, workdir, "tern-probe.stderr",
                          extra_env={"TERN_LLM_TIMEOUT_SECONDS": timeout})
        wait_ready(tern, port, started)
        time.sleep(1)
        line = [f"{mb(memory(tern.pid)['RssAnon'])} idle"]
        log(title)
        total = 0
        for batch in batches:
            run = run_wrk(f"http://127.0.0.1:{port}/v1/chat/completions", body_file, conns, batch, "json",
                          workdir, args.cap * 4, title)
            total += run["requests"]
            time.sleep(0.5)
            line.append(f"{mb(memory(tern.pid)['RssAnon'])} @{total}")
        stop(tern)
        print(f"  {title}:\n    " + ", ".join(line))
    stop(fake)


def measure_all(args, workdir, results):
    """The whole benchmark (starts, memory steps, latency and streamed runs) into `results`."""
    body_file = os.path.join(workdir, "body.json")
    stream_file = os.path.join(workdir, "stream-body.json")
    with open(body_file, "w") as f:
        json.dump(BODY, f)
    with open(stream_file, "w") as f:
        json.dump(STREAM_BODY, f)

    fake, llm_url = start_fake(args.fake, workdir)
    direct = llm_url + "/chat/completions"

    log(f"start to /readyz: {args.starts} fresh data dirs, {args.starts} starts on an existing one")
    results["starts"] = measure_starts(args.tern, llm_url, workdir, args.starts)

    log("tern serve on a fresh data dir; idle memory")
    data_dir = os.path.join(workdir, "main", "data")
    port = free_port()
    started = time.perf_counter()
    tern = spawn_tern(args.tern, port, data_dir, llm_url, workdir, "tern-main.stderr")
    wait_ready(tern, port, started)
    time.sleep(2)  # let the first model-server reachability check finish
    results["memory"] = {"idle": memory(tern.pid), "fake_idle": memory(fake.pid)}
    through = f"http://127.0.0.1:{port}/v1/chat/completions"

    # Sanity: both paths answer the echo, plain and streamed.
    for url in (direct, through):
        status, text = post(url, BODY)
        assert status == 200 and "Echo: " + PROMPT in text, (url, status, text[:300])
        status, text = post(url, STREAM_BODY)
        assert status == 200 and "data: [DONE]" in text, (url, status, text[:300])

    steps = []
    for step in (1, 2):
        log(f"{args.turns} non-streamed turns through tern (64 connections), memory step {step}")
        sample = {}

        def while_open():
            sample["open"] = memory(tern.pid)  # the 64 keep-alive connections are still open

        run = run_wrk(through, body_file, 64, args.turns, "json", workdir, args.cap * 2,
                      f"memory step {step}", on_reached=while_open, pids={"tern": tern.pid})
        time.sleep(1)
        steps.append({
            "answers": run["requests"], "turns_stored": stored_turns(data_dir),
            "connections_open": sample.get("open"), "after_close": memory(tern.pid),
            "turns_per_s": run["turns_per_s"], "tern_cpu_ms_per_turn": run["cpu_ms_per_turn"].get("tern"),
        })
    results["memory"]["steps"] = steps
    results["memory"]["fake_after"] = memory(fake.pid)

    runs = []
    for stream in (False, True):
        for conns, limit in ((1, args.c1_requests), (64, args.c64_requests)):
            kind = "sse" if stream else "json"
            body = stream_file if stream else body_file
            for path, url in (("direct", direct), ("tern", through)):
                # Short warm-up of this exact combination (connections, path, body); not recorded.
                run_wrk(url, body, conns, min(500, limit), kind, workdir, args.cap, "warm-up")
            for path, url in (("direct", direct), ("tern", through)):
                label = f"{'streamed' if stream else 'plain'} c={conns} {path}"
                log(label)
                run = run_wrk(url, body, conns, limit, kind, workdir, args.cap, label,
                              pids={"tern": tern.pid, "fake": fake.pid})
                run.update(path=path, stream=stream)
                runs.append(run)
    results["runs"] = runs
    results["memory"]["after_all"] = memory(tern.pid)
    results["memory"]["turns_stored_total"] = stored_turns(data_dir)
    results["stop_main_ms"] = stop(tern) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--label", default="", help="what was built (commit), printed in the header")
    parser.add_argument("--out", required=True, help="directory for the JSON results")
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10_000, help="turns per memory step")
    parser.add_argument("--c1-requests", type=int, default=5_000)
    parser.add_argument("--c64-requests", type=int, default=20_000)
    parser.add_argument("--cap", type=int, default=60, help="seconds any one wrk run may take")
    parser.add_argument("--keep-temp", action="store_true", help="keep the scratch dir (logs, databases)")
    parser.add_argument("--memory-probe", action="store_true",
                        help="instead of the benchmark: RSS growth by connection reuse and LLM timeout (~8 min)")
    parser.add_argument("--soak", type=int, metavar="TURNS",
                        help="instead: RSS over TURNS realistic turns at 16 connections, sampled every 10,000")
    parser.add_argument("--streams", type=int, metavar="N", help="instead: N slow streamed turns held open at once")
    parser.add_argument("--slow-stream", type=float, default=1.0, help="--streams: seconds between tokens")
    parser.add_argument("--tokens", type=int, default=60, help="--streams: tokens per answer")
    parser.add_argument("--stream-rate", type=int, default=500, help="--streams: connections opened a second")
    parser.add_argument("--rounds", type=int, default=1,
                        help="--streams: open the N streams this many times in the same tern serve")
    parser.add_argument("--other-seconds", type=float, default=10.0,
                        help="--streams: how long the other client sends turns, before and during the hold")
    args = parser.parse_args()

    if args.soak or args.streams:
        run_special(args)
        return

    if args.memory_probe:
        in_scratch_dir("tern-bench-", False, lambda workdir: memory_probe(args, workdir))
        return

    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"warning: load average is {load_before[0]:.1f} before the run; other work on this machine "
            "skews the numbers")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    began = time.perf_counter()
    results = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "label": args.label,
        "machine": {
            "nproc": os.cpu_count(),
            "kernel": platform.release(),
            "memory_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20,
        },
    }
    in_scratch_dir("tern-bench-", args.keep_temp, lambda workdir: measure_all(args, workdir, results))
    results["seconds"] = round(time.perf_counter() - began, 1)
    results["loadavg_1m"] = {"before": load_before[0], "after": os.getloadavg()[0]}

    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_file = os.path.join(args.out, f"bench-{stamp}.json")
    with open(out_file, "w") as f:
        json.dump(results, f, indent=1)
    print_table(results)
    print(f"\nfull results: {os.path.relpath(out_file)}")


def in_scratch_dir(prefix, keep, work):
    """Runs `work(workdir)` in a fresh temp dir; stops every child after it and shows the
    servers' logs when it fails; removes the dir unless `keep`."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    try:
        return work(workdir)
    except BaseException:
        cleanup()
        show_logs(workdir)
        raise
    finally:
        cleanup()
        if keep:
            print(f"scratch dir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_special(args):
    """--soak or --streams: one measurement, its table, its JSON (and the soak's SVG) under --out."""
    import soak
    import streams

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    kind = "soak" if args.soak else "streams"
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    results = in_scratch_dir(f"tern-bench-{kind}-", args.keep_temp,
                             lambda workdir: (soak if args.soak else streams).run(args, workdir))
    results.update(
        label=args.label, seconds=round(time.perf_counter() - began, 1),
        date_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        loadavg_1m={"before": load_before, "after": os.getloadavg()[0]}, nproc=os.cpu_count())
    label = (f"{results['date_utc']}, {args.label}, {os.cpu_count()} CPUs, load {load_before:.1f} before, "
             f"{results['loadavg_1m']['after']:.1f} after, {results['seconds']:.0f} s")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(args.out, exist_ok=True)
    if args.soak:
        soak.print_table(results, label)
        chart = soak.write_outputs(results, args.out, stamp, label)
        print(f"\nchart: {os.path.relpath(chart)}")
        failed = [name for name, t in results["targets"].items() if not t["met"]]
    else:
        with open(os.path.join(args.out, f"streams-{stamp}.json"), "w") as f:
            json.dump(results, f, indent=1)
        streams.print_table(results, label)
        failed = ["streams dropped"] if results["failed"] or results["connect_errors"] else []
    print(f"full results: {os.path.relpath(args.out)}/{kind}-{stamp}.json")
    if failed:
        print(f"targets not met: {', '.join(failed)}")


def show_logs(workdir):
    """The tail of every server log, so a failed run says why."""
    for name in sorted(os.listdir(workdir)):
        if name.endswith(".stderr"):
            with open(os.path.join(workdir, name), "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace").strip()
            if tail:
                print(f"--- {name} (last lines)\n{tail}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# report


def mb(kib):
    return f"{kib / 1024:.1f}"


def ms(us):
    return f"{us / 1000:.2f}"


def cpu(run):
    c = run.get("cpu_ms_per_turn") or {}
    return f"{c.get('tern', float('nan')):>8.2f}  {c.get('fake', float('nan')):>8.2f}"


def print_table(r):
    m = r["machine"]
    print(f"\nTern benchmark, {r['date_utc']}, {r['label']}")
    print(f"{m['nproc']} CPUs shared by wrk, tern and the fake LLM; {m['memory_mib']} MiB RAM; "
          f"wall time {r['seconds']:.0f} s")
    load = r["loadavg_1m"]
    print(f"1-minute load average before {load['before']:.2f}, after {load['after']:.2f} "
          f"(the run itself adds about 2; more before means other work was running)")

    s = r["starts"]
    print("\nStart to first /readyz 200 (ms)        median    max    n")
    for key, name in (("fresh_ms", "fresh data dir (create + migrate)"),
                      ("existing_ms", "existing data dir"),
                      ("version_ms", "floor: `tern --version` exits")):
        v = s[key]
        print(f"  {name:<36} {statistics.median(v):6.1f} {max(v):6.1f} {len(v):4d}")
    print(f"  (SIGTERM to exit: median {statistics.median(s['stop_ms']):.1f} ms)")

    mem = r["memory"]
    print("\nMemory of tern serve (MB)         VmRSS  RssAnon  RssFile    Pss  VmHWM")

    def row(name, v):
        if v:
            pss = mb(v["Pss"]) if "Pss" in v else "-"
            print(f"  {name:<31} {mb(v['VmRSS']):>6} {mb(v['RssAnon']):>8} {mb(v['RssFile']):>8} "
                  f"{pss:>6} {mb(v['VmHWM']):>6}")

    row("idle after start", mem["idle"])
    for step in mem["steps"]:
        row(f"after {step['turns_stored']} turns", step["after_close"])
    row(f"after all ({mem['turns_stored_total']} turns)", mem["after_all"])
    for i, step in enumerate(mem["steps"], 1):
        print(f"  (step {i}: {step['answers']} answers at {step['turns_per_s']:.0f} turns/s, 64 connections, "
              f"tern CPU {step['tern_cpu_ms_per_turn']:.2f} ms/turn)")
    print(f"  (fake LLM: idle {mb(mem['fake_idle']['VmRSS'])} MB, after the memory steps "
          f"{mb(mem['fake_after']['VmRSS'])} MB; it keeps every request)")

    print("\nNon-streamed turn latency (ms)   n      p50     p90     p99    max   turns/s  tern-cpu  fake-cpu")
    for conns in (1, 64):
        pair = {x["path"]: x for x in r["runs"] if not x["stream"] and x["connections"] == conns}
        for path in ("direct", "tern"):
            x = pair[path]
            lat = x["latency_us"]
            rate = x["turns_per_s"]
            print(f"  c={conns:<3} {path:<10} {x['requests']:>7} {ms(lat['50']):>7} {ms(lat['90']):>7} "
                  f"{ms(lat['99']):>7} {ms(lat['max']):>6} {rate:>8.0f}  {cpu(x)}")
        d, t = pair["direct"]["latency_us"], pair["tern"]["latency_us"]
        print(f"  c={conns:<3} {'added':<10} {'':>7} {ms(t['50'] - d['50']):>7} {'':>7} "
              f"{ms(t['99'] - d['99']):>7}")
        # Tern always calls the model with stream: true, so the fake does more work per turn than
        # in the direct plain call; this row compares with the fake streaming the same answer.
        ds = next(x for x in r["runs"] if x["stream"] and x["connections"] == conns and x["path"] == "direct")
        s_ = ds["latency_us"]
        print(f"  c={conns:<3} {'added¹':<10} {'':>7} {ms(t['50'] - s_['50']):>7} {'':>7} "
              f"{ms(t['99'] - s_['99']):>7}")
    print("  added = tern - direct plain; added¹ = tern - direct stream:true (what Tern sends upstream);"
          "\n  both are differences of percentiles, not percentiles of differences")

    print("  tern-cpu, fake-cpu: milliseconds of CPU (user + system) each process spent per turn")
    print("\nStreamed turns (stream: true)    n    turns/s    p50     p99  tern-cpu  fake-cpu")
    for conns in (1, 64):
        for path in ("direct", "tern"):
            x = next(x for x in r["runs"] if x["stream"] and x["connections"] == conns and x["path"] == path)
            lat = x["latency_us"]
            rate = x["turns_per_s"]
            print(f"  c={conns:<3} {path:<10} {x['requests']:>7} {rate:>8.0f} {ms(lat['50']):>7} "
                  f"{ms(lat['99']):>7}  {cpu(x)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted; every started process was stopped", file=sys.stderr)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - report and exit non-zero
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        sys.exit(1)
