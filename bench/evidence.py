"""Evidence-log benchmark: appends, inclusion proofs and `log verify`, against pymerkle.

Measured in one run, on one machine, each part bounded in time:

* in-process append (leaves/s): RFC 9162 leaf hashes appended with `append_nodes` into a
  compact in-memory subtree store (one bytearray per level), growing to 1 M and then 10 M leaves;
  also from raw entries (leaf hash included), which is what pymerkle's `append_entry` does;
* inclusion proofs at 1 M and 10 M leaves: generation (`inclusion_proof_from_nodes`) and
  verification (`verify_inclusion`) per second, random leaves, from the in-memory store, and
  from the same nodes bulk-loaded into SQLite (the server's `merkle_nodes` table), where one proof
  is O(log n) point reads;
* durable append (leaves/s): events and their subtree nodes written and one signed checkpoint per
  group committed by `EvidenceLog.extend` (SQLite WAL, synchronous=FULL; PostgreSQL with
  --postgres), as the server's writer does;
* `log verify` (leaves/s): `hanano.evidence.audit.verify_log` over that durable store;
* the same operations with pymerkle (`InmemoryTree`, `SqliteTree`), as ratios hanano / pymerkle.

    .venv/bin/pip install pymerkle   # for the benchmark only
    .venv/bin/python bench/evidence.py [--budget 90] [--postgres URL] [--small]

The last line printed is machine-readable: key=value pairs of the figures.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import os
import platform
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hanano.evidence import merkle, merkle_store

MILLION = 1_000_000
GROUP = 512  # the sequencer's default group-commit size
PROOF_SAMPLES = 20_000
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


class CompactStore:
    """Complete-subtree hashes in one bytearray per level: 64 bytes per leaf, nothing else.

    A dict of 20 M (level, index) keys would need several GB; this needs 640 MB for 10 M leaves.
    """

    def __init__(self) -> None:
        self.levels: list[bytearray] = []
        self.size = 0

    def get(self, level: int, index: int) -> bytes:
        data = self.levels[level]
        start = index * 32
        if start + 32 > len(data):
            raise KeyError((level, index))
        return bytes(data[start : start + 32])

    def put(self, level: int, index: int, node: bytes) -> None:
        if level == len(self.levels):
            self.levels.append(bytearray())
        data = self.levels[level]
        if index * 32 != len(data):
            raise ValueError(f"node ({level}, {index}) written out of order")
        data += node


@dataclass
class Figures:
    values: dict[str, float | int | str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def put(self, key: str, value: float | int | str) -> None:
        self.values[key] = value

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def entry(n: int) -> bytes:
    """An entry about the size of an event's canonical bytes."""
    return b'{"actor":"bench","data":{"n":%d,"pad":"%s"},"seq":%d}' % (n, b"x" * 300, n + 1)


def leaf_for(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(8, "big")).digest()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


# --- hanano in process -------------------------------------------------------------------------


def hanano_in_process(figures: Figures, target: int, budget: float) -> tuple[CompactStore, int]:
    print(f"hanano in-process append, up to {target:,} leaves (budget {budget:.0f} s)", flush=True)
    store = CompactStore()
    append_nodes, put, get = merkle_store.append_nodes, store.put, store.get
    wall = time.perf_counter()
    elapsed = 0.0  # time spent appending, not making the leaves
    size = 0
    at_million = None
    while size < target and time.perf_counter() - wall < budget:
        leaves = [leaf_for(n) for n in range(size, min(size + 100_000, target))]
        t0 = time.perf_counter()
        for leaf in leaves:
            for level, index, node in append_nodes(size, leaf, get):
                put(level, index, node)
            size += 1
        elapsed += time.perf_counter() - t0
        if at_million is None and size >= MILLION:
            at_million = elapsed
    store.size = size
    if at_million is not None:
        figures.put("append_leaves_per_s", round(rate(MILLION, at_million)))
    figures.put("append_leaves_per_s_overall", round(rate(size, elapsed)))
    figures.put("inprocess_size", size)
    print(
        f"  {size:,} leaves in {elapsed:.1f} s: {rate(size, elapsed):,.0f} leaves/s overall "
        f"(first 1 M: {figures.values.get('append_leaves_per_s', 'n/a')}/s); "
        f"rss {rss_mb():.0f} MB",
        flush=True,
    )
    if size < target:
        figures.note(f"in-process store reached {size:,} of {target:,} leaves within the budget")
    return store, size


def timed_appends(count: int, fn: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for n in range(count):
        fn(n)
    return time.perf_counter() - start


def hanano_from_entries(figures: Figures, count: int) -> None:
    """Appends that start from raw entries, hashing each one, as pymerkle's append_entry does."""
    store = CompactStore()
    entries = [entry(n) for n in range(count)]
    append_nodes, leaf_hash = merkle_store.append_nodes, merkle.leaf_hash
    put, get = store.put, store.get
    start = time.perf_counter()
    for n, data in enumerate(entries):
        for level, index, node in append_nodes(n, leaf_hash(data), get):
            put(level, index, node)
    elapsed = time.perf_counter() - start
    figures.put("append_entries_per_s", round(rate(count, elapsed)))
    print(f"  from raw entries: {rate(count, elapsed):,.0f} entries/s ({count:,})", flush=True)


def proofs(
    figures: Figures,
    prefix: str,
    size: int,
    get: Callable[[int, int], bytes],
    samples: int,
    budget: float,
) -> None:
    """Generation and verification of inclusion proofs for random leaves of a tree of `size`."""
    rng = random.Random(size)
    root = merkle_store.root_from_nodes(size, get)
    indexes = [rng.randrange(size) for _ in range(samples)]
    generated: list[tuple[int, list[bytes]]] = []
    start = time.perf_counter()
    deadline = start + budget
    worst = 0.0
    for index in indexes:
        t0 = time.perf_counter()
        generated.append((index, merkle_store.inclusion_proof_from_nodes(index, size, get)))
        worst = max(worst, time.perf_counter() - t0)
        if t0 > deadline:
            break
    gen_elapsed = time.perf_counter() - start
    leaves = [get(0, index) for index, _ in generated]
    start = time.perf_counter()
    ok = 0
    for leaf, (index, proof) in zip(leaves, generated, strict=True):
        ok += merkle.verify_inclusion(leaf, index, size, proof, root)
    ver_elapsed = time.perf_counter() - start
    if ok != len(generated):
        raise SystemExit(f"{prefix}: {len(generated) - ok} proofs failed to verify")
    count = len(generated)
    figures.put(f"{prefix}_proofs_per_s", round(rate(count, gen_elapsed)))
    figures.put(f"{prefix}_proof_ms", round(1000 * gen_elapsed / count, 4))
    figures.put(f"{prefix}_proof_max_ms", round(1000 * worst, 3))
    figures.put(f"{prefix}_verifies_per_s", round(rate(count, ver_elapsed)))
    print(
        f"  {prefix}: {count:,} proofs, {rate(count, gen_elapsed):,.0f}/s generated "
        f"(mean {1000 * gen_elapsed / count:.4f} ms, max {1000 * worst:.3f} ms), "
        f"{rate(count, ver_elapsed):,.0f}/s verified",
        flush=True,
    )


def nodes_to_sqlite(figures: Figures, store: CompactStore, path: Path, budget: float) -> bool:
    """Bulk-load every stored node into a `merkle_nodes` table shaped like the server's."""
    print(f"loading {store.size:,} leaves' nodes into SQLite (budget {budget:.0f} s)", flush=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
        "hash BLOB NOT NULL, PRIMARY KEY (level, idx))"
    )
    start = time.perf_counter()
    rows = 0
    for level, data in enumerate(store.levels):
        count = len(data) // 32
        for first in range(0, count, 200_000):
            last = min(first + 200_000, count)
            con.executemany(
                "INSERT INTO merkle_nodes VALUES (?, ?, ?)",
                ((level, i, bytes(data[i * 32 : i * 32 + 32])) for i in range(first, last)),
            )
            rows += last - first
            if time.perf_counter() - start > budget:
                con.rollback()
                con.close()
                figures.note(f"SQLite node load stopped after {rows:,} rows at the budget")
                return False
    con.commit()
    con.close()
    elapsed = time.perf_counter() - start
    print(f"  {rows:,} nodes in {elapsed:.1f} s; file {path.stat().st_size / 2**20:.0f} MiB")
    return True


def sqlite_getter(path: Path) -> tuple[Callable[[int, int], bytes], sqlite3.Connection]:
    con = sqlite3.connect(path)
    cursor = con.cursor()
    query = "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?"

    def get(level: int, index: int) -> bytes:
        row = cursor.execute(query, (level, index)).fetchone()
        if row is None:
            raise LookupError((level, index))
        return bytes(row[0])

    return get, con


# --- hanano durable --------------------------------------------------------------------------


def hanano_durable(figures: Figures, url: str, prefix: str, budget: float) -> Any:
    """Events, nodes and one signed checkpoint per group, committed durably, as the writer does."""
    from sqlalchemy import insert

    from hanano.clock import SystemClock
    from hanano.domains import MIGRATIONS
    from hanano.evidence import note
    from hanano.evidence.keys import LogKey
    from hanano.evidence.log import EvidenceLog
    from hanano.store import schema
    from hanano.store.engine import make_engine
    from hanano.store.log import canonical_bytes, leaf_document
    from hanano.store.log import leaf_hash as event_leaf_hash
    from hanano.store.migrations import migrate
    from hanano.store.records import RecordedEvent

    print(f"hanano durable append on {prefix} (groups of {GROUP}, budget {budget:.0f} s)")
    engine = make_engine(url)
    migrate(engine, MIGRATIONS)
    signer, verifier = note.generate_key("bench/evidence")
    log = EvidenceLog(LogKey(signer, verifier), "bench/evidence", SystemClock())
    seq = 0
    start = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    with engine.connect() as conn:
        conn.info["writer"] = True
        while time.perf_counter() - start < budget:
            rows = []
            recorded = []
            for _ in range(GROUP):
                seq += 1
                canonical = canonical_bytes(
                    leaf_document(seq, now, "bench", "bench.entry", 1, {"n": seq, "pad": "x" * 300})
                )
                leaf = event_leaf_hash(canonical)
                row = {
                    "seq": seq,
                    "time": now,
                    "actor": "bench",
                    "type": "bench.entry",
                    "version": 1,
                    "canonical": canonical,
                    "leaf_hash": leaf,
                }
                rows.append(row)
                recorded.append(
                    RecordedEvent(seq, now, "bench", "bench.entry", 1, {}, canonical, leaf)
                )
            with conn.begin():
                conn.execute(insert(schema.events), rows)
                log.extend(conn, recorded)
    elapsed = time.perf_counter() - start
    figures.put(f"{prefix}_durable_append_leaves_per_s", round(rate(seq, elapsed)))
    figures.put(f"{prefix}_durable_size", seq)
    print(
        f"  {seq:,} events in {elapsed:.1f} s: {rate(seq, elapsed):,.0f} leaves/s durable "
        f"({rate(seq // GROUP, elapsed):,.0f} signed checkpoints/s)",
        flush=True,
    )
    return engine, verifier, seq


def hanano_verify(figures: Figures, engine: Any, verifier: str, size: int, prefix: str) -> None:
    from hanano.evidence.audit import verify_log

    # Three passes, the median reported: one pass takes a second or two, short enough for
    # another process on this shared machine to skew it either way.
    rates = []
    with engine.connect() as conn:
        for _ in range(3):
            start = time.perf_counter()
            report = verify_log(conn, verifier)
            rates.append(rate(size, time.perf_counter() - start))
            if not report.ok or report.events != size:
                raise SystemExit(f"verify failed: {report.problems[:3]}")
    figures.put(f"{prefix}_verify_leaves_per_s", round(sorted(rates)[1]))
    print(
        f"  log verify: {size:,} events, {report.checkpoints:,} checkpoints, 3 passes: "
        f"{', '.join(f'{r:,.0f}' for r in rates)} leaves/s",
        flush=True,
    )


def hanano_durable_proofs(figures: Figures, engine: Any, size: int, prefix: str) -> None:
    from hanano.evidence import log

    with engine.connect() as conn:
        proofs(
            figures,
            prefix,
            size,
            log.NodeReader(conn),
            min(PROOF_SAMPLES, 5000),
            10.0,
        )
        # What the API does: size check, proof, and the root it is checked against.
        rng = random.Random(1)
        start = time.perf_counter()
        count = 0
        while time.perf_counter() - start < 3.0:
            index = rng.randrange(size)
            log.inclusion(conn, index, size)
            log.root_at(conn, size)
            count += 1
        elapsed = time.perf_counter() - start
    figures.put(f"{prefix}_api_proof_ms", round(1000 * elapsed / count, 3))
    print(f"  as the API serves it (proof + root): {1000 * elapsed / count:.3f} ms each")


# --- pymerkle --------------------------------------------------------------------------------


def pymerkle_in_process(
    figures: Figures, target: int, budget: float, memory_cap_mb: float
) -> tuple[Any, int]:
    from pymerkle import InmemoryTree

    print(f"pymerkle InmemoryTree append, up to {target:,} (budget {budget:.0f} s)", flush=True)
    tree = InmemoryTree()
    wall = time.perf_counter()
    elapsed = 0.0
    size = 0
    at_million = None
    stopped = ""
    while size < target:
        if time.perf_counter() - wall > budget:
            stopped = "time budget"
            break
        if rss_mb() > memory_cap_mb:
            stopped = f"memory cap ({memory_cap_mb:.0f} MB)"
            break
        entries = [entry(n) for n in range(size, min(size + 100_000, target))]
        t0 = time.perf_counter()
        for data in entries:
            tree.append_entry(data)
        elapsed += time.perf_counter() - t0
        size += len(entries)
        if at_million is None and size >= MILLION:
            at_million = elapsed
    if at_million is not None:
        figures.put("pymerkle_append_entries_per_s", round(rate(MILLION, at_million)))
    else:
        figures.put("pymerkle_append_entries_per_s", round(rate(size, elapsed)))
    figures.put("pymerkle_inprocess_size", size)
    print(
        f"  {size:,} entries in {elapsed:.1f} s: {rate(size, elapsed):,.0f}/s; "
        f"rss {rss_mb():.0f} MB",
        flush=True,
    )
    if stopped:
        figures.note(f"pymerkle in-memory tree stopped at {size:,} leaves: {stopped}")
    return tree, size


def pymerkle_proofs(
    figures: Figures, tree: Any, size: int, prefix: str, samples: int, budget: float
) -> None:
    from pymerkle import verify_inclusion

    rng = random.Random(size)
    root = tree.get_root(size)
    indexes = [rng.randrange(size) + 1 for _ in range(samples)]  # pymerkle counts from one
    start = time.perf_counter()
    first = None
    made = []
    for index in indexes:
        made.append((index, tree.prove_inclusion(index, size)))
        if first is None:
            first = time.perf_counter() - start
        if time.perf_counter() - start > budget:
            break
    gen_elapsed = time.perf_counter() - start
    bases = [tree.get_leaf(index) for index, _ in made]
    start = time.perf_counter()
    for base, (_, proof) in zip(bases, made, strict=True):
        verify_inclusion(base, root, proof)
    ver_elapsed = time.perf_counter() - start
    count = len(made)
    figures.put(f"{prefix}_proofs_per_s", round(rate(count, gen_elapsed)))
    figures.put(f"{prefix}_proof_ms", round(1000 * gen_elapsed / count, 4))
    figures.put(f"{prefix}_verifies_per_s", round(rate(count, ver_elapsed)))
    print(
        f"  {prefix}: {count:,} proofs, {rate(count, gen_elapsed):,.0f}/s generated "
        f"(first {1000 * (first or 0):.1f} ms), {rate(count, ver_elapsed):,.0f}/s verified",
        flush=True,
    )


def pymerkle_durable(figures: Figures, path: Path, budget: float) -> tuple[Any, int]:
    from pymerkle import SqliteTree

    print(f"pymerkle SqliteTree append (groups of {GROUP}, budget {budget:.0f} s)", flush=True)
    tree = SqliteTree(str(path))
    size = 0
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        tree.append_entries([entry(n) for n in range(size, size + GROUP)])
        size += GROUP
    elapsed = time.perf_counter() - start
    figures.put("pymerkle_durable_append_leaves_per_s", round(rate(size, elapsed)))
    print(f"  {size:,} entries in {elapsed:.1f} s: {rate(size, elapsed):,.0f}/s", flush=True)
    return tree, size


def pymerkle_verify(figures: Figures, tree: Any, size: int) -> None:
    """pymerkle has no audit; the nearest is re-hashing every stored entry into a fresh tree
    and comparing its root with the stored tree's."""
    from pymerkle import InmemoryTree

    start = time.perf_counter()
    entries = tree.con.execute("SELECT entry FROM leaf ORDER BY id").fetchall()
    rebuilt = InmemoryTree.init_from_entries(entries)
    same = rebuilt.get_root() == tree.get_root(size)
    elapsed = time.perf_counter() - start
    if not same:
        raise SystemExit("pymerkle roots differ")
    figures.put("pymerkle_verify_leaves_per_s", round(rate(size, elapsed)))
    print(f"  re-hash and compare root: {rate(size, elapsed):,.0f} leaves/s", flush=True)


# --- the run -----------------------------------------------------------------------------------


def _label(size: int) -> str:
    if size % MILLION == 0:
        return f"{size // MILLION}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def ratio(figures: Figures, name: str, ours: str, theirs: str) -> None:
    a, b = figures.values.get(ours), figures.values.get(theirs)
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        figures.put(name, round(a / b, 2))


def machine_line() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per long part")
    parser.add_argument("--durable-budget", type=float, default=10.0, help="seconds of appends")
    parser.add_argument("--leaves", type=int, default=10 * MILLION, help="in-process tree size")
    parser.add_argument("--postgres", default=None, help=f"also PostgreSQL, e.g. {PG_DEFAULT}")
    parser.add_argument(
        "--pymerkle-memory-mb", type=float, default=8000, help="stop pymerkle's tree above this"
    )
    parser.add_argument("--small", action="store_true", help="a quick check: 200 k leaves")
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores go")
    return parser.parse_args(argv)


def run_durable(args: argparse.Namespace, figures: Figures, workdir: Path) -> None:
    """hanano's and pymerkle's durable stores, one after the other, before anything large is
    written: after the 10 M-leaf node file (1.2 GB) the kernel is still flushing it, and every
    fsync and read here would wait behind it."""
    engine, verifier, durable_size = hanano_durable(
        figures, f"sqlite:///{workdir / 'hanano.db'}", "sqlite", args.durable_budget
    )
    hanano_verify(figures, engine, verifier, durable_size, "sqlite")
    hanano_durable_proofs(figures, engine, durable_size, "sqlite_durable")
    engine.dispose()
    if args.postgres:
        pg_durable(figures, args.postgres, args.durable_budget)
    if importlib.util.find_spec("pymerkle") is None:
        return
    ptree, pdurable = pymerkle_durable(figures, workdir / "pymerkle.db", args.durable_budget)
    pymerkle_verify(figures, ptree, pdurable)
    pymerkle_proofs(figures, ptree, pdurable, "pymerkle_sqlite_durable", 200, 20.0)
    ptree.close()


def run_in_process(args: argparse.Namespace, figures: Figures, workdir: Path) -> list[int]:
    store, size = hanano_in_process(figures, args.leaves, args.budget)
    hanano_from_entries(figures, min(MILLION, args.leaves))
    sizes = [s for s in (MILLION, 10 * MILLION) if s <= size] or [size]
    for tree_size in sizes:
        proofs(figures, f"mem_{_label(tree_size)}", tree_size, store.get, PROOF_SAMPLES, 30.0)
    nodes_path = workdir / "nodes.sqlite"
    if nodes_to_sqlite(figures, store, nodes_path, args.budget):
        get, con = sqlite_getter(nodes_path)
        for tree_size in sizes:
            proofs(figures, f"sqlite_{_label(tree_size)}", tree_size, get, 5000, 20.0)
        con.close()
    nodes_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(nodes_path) + suffix).unlink(missing_ok=True)
    del store
    gc.collect()
    return sizes


def run_pymerkle(args: argparse.Namespace, figures: Figures, sizes: list[int]) -> None:
    tree, psize = pymerkle_in_process(figures, args.leaves, args.budget, args.pymerkle_memory_mb)
    for tree_size in sizes:
        if tree_size <= psize:
            pymerkle_proofs(
                figures, tree, tree_size, f"pymerkle_mem_{_label(tree_size)}", 2000, 30.0
            )
    del tree
    gc.collect()
    ratio(figures, "ratio_append", "append_entries_per_s", "pymerkle_append_entries_per_s")
    ratio(
        figures,
        "ratio_durable_append",
        "sqlite_durable_append_leaves_per_s",
        "pymerkle_durable_append_leaves_per_s",
    )
    ratio(figures, "ratio_verify", "sqlite_verify_leaves_per_s", "pymerkle_verify_leaves_per_s")
    for tree_size in sizes:
        label = _label(tree_size)
        ratio(
            figures,
            f"ratio_proof_{label}",
            f"mem_{label}_proofs_per_s",
            f"pymerkle_mem_{label}_proofs_per_s",
        )
        ratio(
            figures,
            f"ratio_verify_proof_{label}",
            f"mem_{label}_verifies_per_s",
            f"pymerkle_mem_{label}_verifies_per_s",
        )
    ratio(
        figures,
        "ratio_durable_proof",
        "sqlite_durable_proofs_per_s",
        "pymerkle_sqlite_durable_proofs_per_s",
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.small:
        args.leaves, args.budget, args.durable_budget = 200_000, 20.0, 3.0
    figures = Figures()
    print(f"machine: {machine_line()}")
    print(f"started: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="hanano-bench-evidence-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"stores in {workdir}")

    run_durable(args, figures, workdir)
    sizes = run_in_process(args, figures, workdir)

    try:
        import pymerkle  # noqa: F401
    except ImportError:
        figures.note("pymerkle is not installed (.venv/bin/pip install pymerkle): no ratios")
    else:
        run_pymerkle(args, figures, sizes)

    print(
        f"\nfinished: {datetime.now(UTC).isoformat(timespec='seconds')}, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, max rss {rss_mb():.0f} MB"
    )
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    for text in figures.notes:
        print(f"note: {text}")
    print(" ".join(f"{k}={v}" for k, v in figures.values.items()))


def pg_durable(figures: Figures, base_url: str, budget: float) -> None:
    """The same durable appends on PostgreSQL, in a schema of its own, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hanano.store.engine import normalise_url

    schema_name = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    except Exception as exc:
        figures.note(f"PostgreSQL at {base_url} unreachable, skipped ({exc.__class__.__name__})")
        return
    url = make_url(normalise_url(base_url)).update_query_dict(
        {"options": f"-csearch_path={schema_name}"}
    )
    try:
        engine, verifier, size = hanano_durable(
            figures, url.render_as_string(hide_password=False), "pg", budget
        )
        hanano_verify(figures, engine, verifier, size, "pg")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
