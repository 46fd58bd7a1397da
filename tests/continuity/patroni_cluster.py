"""A local PostgreSQL pair managed by Patroni and etcd (Debian's packages), on free ports, for
the failover test: a primary and a synchronous standby, as README's "A standby that takes over"
sets up on two machines."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tests.helpers_server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Fast enough for a test: the leader's key expires 10 s after its last renewal.
TTL_S, LOOP_WAIT_S, RETRY_TIMEOUT_S = 10, 1, 4


def available() -> str | None:
    """Why the cluster cannot be started here, or None when it can."""
    for tool in ("patroni", "etcd", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian packages patroni and etcd-server)"
    if not (PG_BIN / "postgres").exists():
        return f"no PostgreSQL server binaries in {PG_BIN}"
    return None


@dataclass
class Node:
    name: str
    api_port: int
    pg_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    def role(self) -> str | None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.api_port}/patroni", timeout=2
            ) as r:
                return str(json.load(r).get("role"))
        except OSError:
            return None

    def kill(self) -> None:
        """SIGKILL to Patroni, its PostgreSQL server and every backend of it at once, as when
        the building is hit (a backend outliving its server could still answer a client)."""
        doomed: set[int] = set()
        with suppress(FileNotFoundError, ValueError, IndexError):
            postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            doomed.add(postmaster)
            children = subprocess.run(
                ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
            )
            doomed.update(int(pid) for pid in children.stdout.split())
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        for pid in doomed:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()


@dataclass
class Cluster:
    root: Path
    etcd_port: int
    nodes: list[Node] = field(default_factory=list)
    etcd: subprocess.Popen[bytes] | None = None
    open_logs: list[BinaryIO] = field(default_factory=list)

    def log_file(self, name: str) -> BinaryIO:
        log = (self.root / name).open("wb")
        self.open_logs.append(log)
        return log

    def url(self, database: str) -> str:
        """A libpq URL naming both servers: psycopg connects to whichever takes writes."""
        hosts = "&".join(f"host=127.0.0.1:{n.pg_port}" for n in self.nodes)
        return f"postgresql://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def members(self) -> list[dict[str, object]]:
        for node in self.nodes:
            with suppress(OSError):
                url = f"http://127.0.0.1:{node.api_port}/cluster"
                with urllib.request.urlopen(url, timeout=2) as r:
                    return list(json.load(r)["members"])
        return []

    def wait_for(self, roles: set[str], timeout_s: float) -> dict[str, str]:
        """Wait until the members running hold exactly these roles; name by role."""
        end = time.monotonic() + timeout_s
        while True:
            running = {
                str(m["role"]): str(m["name"])
                for m in self.members()
                if m.get("state") in ("running", "streaming")
            }
            if set(running) == roles:
                return running
            if time.monotonic() > end:
                raise TimeoutError(f"cluster roles {running}, not {sorted(roles)}: {self.logs()}")
            time.sleep(0.5)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.root.glob("*.log"))
        )


def _config(cluster: Cluster, node: Node) -> str:
    d = cluster.root
    return f"""scope: hanano-test
name: {node.name}
restapi:
  listen: 127.0.0.1:{node.api_port}
  connect_address: 127.0.0.1:{node.api_port}
etcd3:
  hosts: 127.0.0.1:{cluster.etcd_port}
bootstrap:
  dcs:
    ttl: {TTL_S}
    loop_wait: {LOOP_WAIT_S}
    retry_timeout: {RETRY_TIMEOUT_S}
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_wal_senders: 5
        max_replication_slots: 5
  initdb:
    - encoding: UTF8
    - auth: trust
  pg_hba:
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: 127.0.0.1:{node.pg_port}
  connect_address: 127.0.0.1:{node.pg_port}
  data_dir: {node.data_dir}
  bin_dir: {PG_BIN}
  pgpass: {d}/pgpass-{node.name}
  authentication:
    replication: {{username: replicator, password: replicator}}
    superuser: {{username: postgres, password: postgres}}
  parameters:
    unix_socket_directories: {d}
"""


def _start_etcd(cluster: Cluster) -> subprocess.Popen[bytes]:
    peer = free_port()
    client = f"http://127.0.0.1:{cluster.etcd_port}"
    args = [
        "etcd", "--name", "e1", "--data-dir", str(cluster.root / "etcd"),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-cluster", f"e1=http://127.0.0.1:{peer}",
    ]  # fmt: skip
    log = cluster.log_file("etcd.log")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _start_node(cluster: Cluster, node: Node) -> None:
    config = cluster.root / f"{node.name}.yml"
    config.write_text(_config(cluster, node))
    log = cluster.log_file(f"{node.name}.log")
    # PostgreSQL refuses to run as root: Patroni, and the server it starts, run as postgres.
    node.process = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", "patroni", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@contextmanager
def patroni_pair(timeout_s: float = 120) -> Iterator[Cluster]:
    """etcd and two Patroni nodes; yields once node1 leads and node2 is its synchronous
    standby. Everything is killed and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="hanano-patroni-"))
    postgres = pwd.getpwnam("postgres")
    os.chown(root, postgres.pw_uid, postgres.pw_gid)
    cluster = Cluster(root, free_port())
    for name in ("node1", "node2"):
        cluster.nodes.append(Node(name, free_port(), free_port(), root / name))
    try:
        cluster.etcd = _start_etcd(cluster)
        _start_node(cluster, cluster.nodes[0])
        cluster.wait_for({"leader"}, timeout_s)
        _start_node(cluster, cluster.nodes[1])
        cluster.wait_for({"leader", "sync_standby"}, timeout_s)
        yield cluster
    finally:
        for node in cluster.nodes:
            node.kill()
        if cluster.etcd is not None:
            with suppress(ProcessLookupError):
                os.killpg(cluster.etcd.pid, signal.SIGKILL)
            cluster.etcd.wait()
        for log in cluster.open_logs:
            log.close()
        shutil.rmtree(root, ignore_errors=True)
