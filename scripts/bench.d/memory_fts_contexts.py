#!/usr/bin/env python3
"""The keyword side of a memory recall with other contexts in the same SQLite file (issue 18).

Tern's SQLite full-text index of memories (migration 14) indexes `text` alone: a keyword recall
matches the words in every context's rows, joins each match to `memories` to test its context,
and ranks the survivors with bm25. This compares it with a layout that was tried and not adopted
(docs/benchmarks.md, "Issue 18: the context in the full-text index, tried"): a second FTS5 column
holding the context's key (`c` + hex of the ID), queried as `context_key : "c…" AND text : (…)`.

Both files hold the same rows: `--mine` memories in the queried context and `--others` spread
over `--contexts` other contexts, 12 words each from a 5,000-word vocabulary (as
tern-bench-memory makes them). For two of a memory's words, each query runs the store's keyword
statement on both layouts, interleaved, plus the context-column match alone without ranking
(`count(*)`), and prints p50/p99, the rows the index matched, and whether both layouts gave the
same 40 IDs in the same order.

This times the SQL alone, through Python's sqlite3 (the system's SQLite, not the copy SQLiteNIO
bundles), since what differs is the statement and the index. A benchmark, not a test.

    python3 scripts/bench.d/memory_fts_contexts.py --mine 10000 --others 200000
    python3 scripts/bench.d/memory_fts_contexts.py --mine 100000 --others 0 --contexts 1
"""

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def key_sql(column):
    return f"'c' || lower(hex({column}))"


def schema(by_context):
    base = """
    CREATE TABLE memories (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        context_id TEXT NOT NULL, text TEXT NOT NULL);
    CREATE INDEX memories_context_seq_idx ON memories (context_id, seq);
    """
    if by_context:
        return base + f"""
        CREATE VIEW memories_fts_source AS SELECT seq, text, {key_sql('context_id')} AS context_key FROM memories;
        CREATE VIRTUAL TABLE memories_fts USING fts5(text, context_key, content='memories_fts_source',
            content_rowid='seq', {TOKENIZE});
        CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts (rowid, text, context_key) VALUES (new.seq, new.text, {key_sql('new.context_id')});
        END;
        """
    return base + f"""
    CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='memories', content_rowid='seq', {TOKENIZE});
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
    END;
    """


def statement(by_context):
    ranking = "bm25(memories_fts, 1.0, 0.0)" if by_context else "bm25(memories_fts)"
    return f"""
    SELECT m.id FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
    WHERE memories_fts MATCH ? AND m.context_id = ?
    ORDER BY {ranking}, m.seq LIMIT 40
    """


def match(words, context, by_context):
    any_word = " OR ".join(f'"{w}"' for w in words)
    if not by_context:
        return any_word
    return f'context_key : "c{context.encode().hex()}" AND text : ({any_word})'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mine", type=int, default=10_000, help="memories in the queried context")
    parser.add_argument("--others", type=int, default=100_000, help="memories in the other contexts")
    parser.add_argument("--contexts", type=int, default=10, help="how many other contexts")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary = [f"w{rng.randrange(36**6):06x}{i}" for i in range(5000)]
    mine = "00000000-0000-0000-0000-00000000000a"
    others = [f"00000000-0000-0000-0000-{i:012d}" for i in range(args.contexts)]
    rows = [(mine, " ".join(rng.choices(vocabulary, k=12))) for _ in range(args.mine)]
    rows += [(others[i % len(others)], " ".join(rng.choices(vocabulary, k=12))) for i in range(args.others)]
    rng.shuffle(rows)
    queries = [rng.choice([r for r in rows[:5000] if r[0] == mine])[1].split()[:2] for _ in range(args.queries)]

    directory = tempfile.mkdtemp(prefix="tern-fts-bench-")
    databases = {}
    for by_context in (False, True):
        path = os.path.join(directory, f"by_context_{by_context}.sqlite")
        db = sqlite3.connect(path)
        db.executescript(schema(by_context))
        start = time.perf_counter()
        with db:
            db.executemany(
                "INSERT INTO memories (id, context_id, text) VALUES (?, ?, ?)",
                ((f"m{i}", c, t) for i, (c, t) in enumerate(rows)),
            )
        load = time.perf_counter() - start
        size = os.path.getsize(path)
        databases[by_context] = db
        print(f"{'text + context column' if by_context else 'text only'}: loaded {len(rows)} rows in {load:.1f} s, file {size / 1e6:.1f} MB")

    times = {False: [], True: [], "count": []}
    ranked = {False: [], True: []}
    answers_equal = 0
    count_sql = "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?"
    for words in queries:
        answers = {}
        for by_context in (False, True):
            db = databases[by_context]
            query = match(words, mine, by_context)
            start = time.perf_counter()
            answers[by_context] = [r[0] for r in db.execute(statement(by_context), (query, mine))]
            times[by_context].append(time.perf_counter() - start)
            start = time.perf_counter()
            counted = db.execute(count_sql, (query,)).fetchone()[0]
            if by_context:
                times["count"].append(time.perf_counter() - start)
            ranked[by_context].append(counted)
        answers_equal += answers[False] == answers[True]

    print(f"SQLite {sqlite3.sqlite_version}; {args.mine} memories in the queried context, {args.others} in {args.contexts} others; {len(queries)} queries of two words")
    print("| index | keyword statement p50 / p99 | rows the index matched (mean) |")
    print("|---|---|---|")
    labels = {
        False: "text only (Tern, migration 14)",
        True: "text + context column (tried)",
        "count": "text + context column, match alone, no bm25",
    }
    for variant, label in labels.items():
        ms = sorted(t * 1000 for t in times[variant])
        p50 = statistics.median(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        layout = variant if isinstance(variant, bool) else True  # "count" runs on the context-column file
        matched = statistics.mean(ranked[layout])
        print(f"| {label} | {p50:.2f} / {p99:.2f} ms | {matched:.0f} |")
    print(f"same 40 IDs in the same order: {answers_equal} of {len(queries)} queries")


if __name__ == "__main__":
    main()
