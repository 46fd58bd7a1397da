"""The log's origin names where its tiles are served, and never changes once the log began."""

import pytest

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.evidence.cosign import signature_lines
from hanano.evidence.keys import LogKeyError
from hanano.evidence.log import latest_checkpoint, parse_checkpoint
from hanano.service import Service
from hanano.settings import Settings


def origin_of(service: Service) -> str:
    service.execute(lambda tx: create_token(tx, "test", "public", None))
    with service.engine.connect() as conn:
        return parse_checkpoint(signature_lines(latest_checkpoint(conn))[0]).origin


def test_the_origin_is_the_one_the_log_began_with(db_url: str, clock: ManualClock) -> None:
    first = Service(
        Settings(database_url=db_url, log_origin="evidence.example.org/tlog"), clock=clock
    )
    assert origin_of(first.start()) == "evidence.example.org/tlog"
    first.stop()
    # Unset, or another city: the recorded origin still signs.
    again = Service(Settings(database_url=db_url, city="homs"), clock=clock).start()
    assert origin_of(again) == "evidence.example.org/tlog"
    again.stop()
    with pytest.raises(LogKeyError, match=r"evidence\.example\.org/tlog"):
        Service(Settings(database_url=db_url, log_origin="hanano/aleppo"), clock=clock).start()
