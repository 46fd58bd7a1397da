"""Tables of the evidence log: complete-subtree hashes and signed checkpoints.

These are part of the log, not projections: `hanano log verify` recomputes them from the events.
"""

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, Text

from hanano.store.schema import metadata

_BIG = BigInteger().with_variant(Integer, "sqlite")

# The hash of every complete subtree: level L, index i covers leaves [i*2^L, (i+1)*2^L).
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", _BIG, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

EVIDENCE_TABLES = (merkle_nodes, checkpoints)
