"""`scripts/bench --soak N`: RSS of one `tern serve` over N realistic turns (issue 15, "memory flat").

One `tern serve` on a fresh SQLite data dir with a stored API key, the default LLM timeout
(120 s) and rate limits off; N non-streamed turns of the realistic request of
profile_turn.py (20 messages sent by the client, one `X-Tern-Conversation-Id`, the default
tools offered) through wrk at 16 keep-alive connections, in batches that end at 2,000 turns and
then every 10,000. After each batch: RSS while the 16 connections are still open and 1 s after
they closed, turns/s, Tern's CPU per turn and the load average. Printed as a table, written as
JSON and as an SVG line chart next to it. Any answer but a 200 with the echo fails the run.
"""

import json
import os
import subprocess
import time

import bench
import profile_turn
import svgchart

CONNECTIONS = 16


def checkpoints(total):
    """2,000, then every 10,000 up to `total` (and `total` itself)."""
    points = [p for p in [2_000] + list(range(10_000, total + 1, 10_000)) if p <= total]
    if not points or points[-1] != total:
        points.append(total)
    return points


def create_key(tern_bin, env, workdir):
    """A stored API key (`tern keys create local`), so turns take the authenticated path."""
    created = subprocess.run([tern_bin, "keys", "create", "local", "--name", "bench"], env=env, cwd=workdir,
                             capture_output=True, text=True, timeout=60)
    if created.returncode != 0:
        raise RuntimeError(f"tern keys create failed ({created.returncode}): {created.stderr.strip()}")
    return created.stdout.strip().splitlines()[-1].strip()


def start_tern_with_key(args, workdir, llm_url, name, extra_env=None):
    """`tern serve` on a fresh data dir with one stored key; returns (proc, port, data_dir, key)."""
    data_dir = os.path.join(workdir, name, "data")
    port = bench.free_port()
    env = dict(bench.tern_env(port, data_dir, llm_url), **(extra_env or {}))
    key = create_key(args.tern, env, workdir)
    started = time.perf_counter()
    tern = bench.spawn_tern(args.tern, port, data_dir, llm_url, workdir, f"tern-{name}.stderr", extra_env)
    bench.wait_ready(tern, port, started)
    return tern, port, data_dir, key


def write_request_files(workdir, key, conversation, stream=False):
    """The realistic body and the headers file for wrk; returns their paths."""
    body_file = os.path.join(workdir, f"body-{conversation}.json")
    with open(body_file, "wb") as f:
        f.write(profile_turn.request_body(stream))
    headers_file = os.path.join(workdir, f"headers-{conversation}.txt")
    with open(headers_file, "w") as f:
        f.write(f"Authorization: Bearer {key}\nX-Tern-Conversation-Id: {conversation}\n")
    return body_file, headers_file


def run(args, workdir):
    """Runs the soak; returns the results (also written as JSON and SVG under args.out)."""
    fake, llm_url = bench.start_fake(args.fake, workdir)
    tern, port, data_dir, key = start_tern_with_key(args, workdir, llm_url, "soak")
    body_file, headers_file = write_request_files(workdir, key, "soak")
    through = f"http://127.0.0.1:{port}/v1/chat/completions"
    time.sleep(2)  # the first model-server reachability check
    idle = bench.memory(tern.pid)
    samples = [{"turns": 0, "after_close": idle, "connections_open": None, "load_1m": os.getloadavg()[0]}]
    bench.log(f"idle: VmRSS {bench.mb(idle['VmRSS'])} MB; {args.soak} turns at {CONNECTIONS} connections")
    answered = 0
    for point in checkpoints(args.soak):
        batch = point - answered
        if batch <= 0:
            continue
        sample = {}

        def while_open():
            sample["open"] = bench.memory(tern.pid)

        run = bench.run_wrk(through, body_file, CONNECTIONS, batch, "json", workdir, cap_seconds=batch // 10 + 120,
                            label=f"soak to {point}", on_reached=while_open, pids={"tern": tern.pid},
                            headers_file=headers_file)
        if not run["reached_limit"]:
            raise RuntimeError(f"soak batch to {point} turns hit its time cap after {run['requests']} answers")
        answered += run["requests"]
        time.sleep(1)
        samples.append({
            "turns": answered, "turns_stored": bench.stored_turns(data_dir), "connections_open": sample.get("open"),
            "after_close": bench.memory(tern.pid), "turns_per_s": run["turns_per_s"],
            "tern_cpu_ms_per_turn": run["cpu_ms_per_turn"]["tern"], "load_1m": run["load_1m"],
            "p50_ms": run["latency_us"]["50"] / 1000, "p99_ms": run["latency_us"]["99"] / 1000,
        })
        bench.log(f"{answered} turns: VmRSS {bench.mb(samples[-1]['after_close']['VmRSS'])} MB, "
                  f"{run['turns_per_s']:.0f} turns/s, load {run['load_1m']:.1f}")
    results = {"connections": CONNECTIONS, "turns": answered, "samples": samples,
               "fake_after": bench.memory(fake.pid), "targets": targets(samples)}
    bench.stop(tern)
    bench.stop(fake)
    return results


def nearest(samples, turns):
    """The sample whose turn count is closest to `turns` (batches overshoot by up to 15)."""
    return min(samples, key=lambda s: abs(s["turns"] - turns))


def targets(samples):
    """Issue 15's memory targets, each with the two samples it compares (VmRSS after close, MB)."""
    rss = lambda s: s["after_close"]["VmRSS"] / 1024  # noqa: E731
    out = {"idle_rss_mb": {"value": rss(samples[0]), "limit": 35.0}}
    last = samples[-1]["turns"]
    for (a, b, limit) in ((2_000, 20_000, 5.0), (10_000, 100_000, 10.0)):
        if last >= b - 100:
            sa, sb = nearest(samples, a), nearest(samples, b)
            out[f"growth_{a}_to_{b}_mb"] = {"from": sa["turns"], "to": sb["turns"], "value": rss(sb) - rss(sa),
                                           "limit": limit}
    for target in out.values():
        target["met"] = target["value"] <= target["limit"]
    return out


def print_table(results, label):
    print(f"\nSoak: {results['turns']} turns through one tern serve, {results['connections']} keep-alive connections; "
          f"{label}")
    print("  turns     VmRSS  RssAnon    Pss  VmRSS(open)  turns/s  CPU ms/turn   p50 ms   p99 ms  load1")
    for s in results["samples"]:
        m, o = s["after_close"], s.get("connections_open")
        pss = bench.mb(m["Pss"]) if "Pss" in m else "-"
        rate = f"{s['turns_per_s']:8.0f}" if "turns_per_s" in s else f"{'idle':>8}"
        cpu = f"{s['tern_cpu_ms_per_turn']:12.2f}" if "tern_cpu_ms_per_turn" in s else f"{'':>12}"
        lat = f"{s['p50_ms']:8.1f} {s['p99_ms']:8.1f}" if "p50_ms" in s else f"{'':>8} {'':>8}"
        print(f"  {s['turns']:>7} {bench.mb(m['VmRSS']):>8} {bench.mb(m['RssAnon']):>8} {pss:>6} "
              f"{bench.mb(o['VmRSS']) if o else '-':>12} {rate} {cpu} {lat} {s['load_1m']:6.2f}")
    print(f"  (fake LLM after: VmRSS {bench.mb(results['fake_after']['VmRSS'])} MB; it keeps every request)")
    print("\nTargets (VmRSS after the connections closed, MB):")
    for name, t in results["targets"].items():
        span = f" ({t['from']} → {t['to']} turns)" if "from" in t else ""
        print(f"  {name}{span}: {t['value']:.1f} (limit {t['limit']:.0f}) {'met' if t['met'] else 'NOT met'}")


def write_outputs(results, out_dir, stamp, label):
    """JSON and SVG under out_dir; returns the SVG's path."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, f"soak-{stamp}.json"), "w") as f:
        json.dump(results, f, indent=1)
    points = [(s["turns"], s["after_close"]["VmRSS"] / 1024) for s in results["samples"]]
    anon = [(s["turns"], s["after_close"]["RssAnon"] / 1024) for s in results["samples"]]
    svg = svgchart.line_chart(
        title=f"tern serve RSS over {results['turns']:,} turns ({results['connections']} connections)",
        subtitle=label, x_label="turns", y_label="MB",
        series=[("VmRSS", points), ("RssAnon", anon)])
    path = os.path.join(out_dir, f"soak-{stamp}.svg")
    with open(path, "w") as f:
        f.write(svg)
    return path
