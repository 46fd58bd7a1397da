"""Archive benchmark: `hanano store export` and `hanano store import` on a large log.

Builds a SQLite store (WAL, synchronous=FULL) whose log holds --events entries (token events,
5,000 to a group, so one signed checkpoint per group), then times, each on its own: the export
to one archive, the import's check of every member hash, leaf, checkpoint root and signature
(nothing written), the import's writing of the log into an empty SQLite store, and the replay
of the projections. Rates are events per second of each phase.

    .venv/bin/python bench/archive.py [--events 200000]

The last line printed is machine-readable: key=value pairs of the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.continuity import build_store
from hanano.clock import SystemClock
from hanano.domains import DOMAINS, REGISTRY
from hanano.evidence.archive_check import open_archive
from hanano.evidence.archive_export import write_archive_file
from hanano.evidence.archive_import import check_target, write_archive
from hanano.evidence.blobs import BlobStore
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.store.rebuild import rebuild

PASSPHRASE = "bench passphrase"


def export(db_url: str, archive: Path, blobs: Path) -> None:
    service = Service(Settings(database_url=db_url, mqtt_url=None)).start()
    try:
        service.sequencer.stop()
        write_archive_file(
            archive,
            engine=service.engine,
            key=service.evidence.key,
            origin=service.evidence.origin,
            passphrase=PASSPHRASE,
            blobs=BlobStore(blobs),
        )
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source, target = f"sqlite:///{root / 'source.db'}", f"sqlite:///{root / 'target.db'}"
        figures: dict[str, float] = {"events": args.events}
        started = time.perf_counter()
        build_store(source, args.events)
        figures["build_s"] = time.perf_counter() - started
        archive = root / "operation.tar"
        started = time.perf_counter()
        export(source, archive, root / "blobs")
        figures["export_s"] = time.perf_counter() - started
        figures["archive_mb"] = archive.stat().st_size / 1e6
        started = time.perf_counter()
        checked = open_archive(archive, PASSPHRASE, None)
        figures["check_s"] = time.perf_counter() - started
        engine = make_engine(target)
        migrate(engine, [(d.name, d.migrations) for d in DOMAINS])
        key_path = root / "imported.key"
        check_target(engine, key_path, checked.manifest["verifier_key"])
        started = time.perf_counter()
        write_archive(
            engine, checked, key_path=key_path, blobs=BlobStore(root / "b2"), clock=SystemClock()
        )
        figures["write_s"] = time.perf_counter() - started
        checked.close()
        started = time.perf_counter()
        rebuild(engine, REGISTRY)
        figures["replay_s"] = time.perf_counter() - started
        engine.dispose()
    events = args.events
    for phase in ("export", "check", "write", "replay"):
        figures[f"{phase}_per_s"] = events / figures[f"{phase}_s"]
    figures["import_per_s"] = events / (figures["check_s"] + figures["write_s"])
    for key, value in figures.items():
        print(f"{key:>16}: {value:,.1f}")
    print(" ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
