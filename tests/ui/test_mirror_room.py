"""Issue 14 in real Chromium: the operations room on a mirror abroad, signed in by the mirror's
own user, read-only, with a banner naming the primary and how far behind it is, in Arabic and
English, on a phone and a laptop. Screenshots go to /tmp/shots/mirrorroom/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence.tables import mirror_state
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.engine import make_engine
from tests.conftest import fresh_store
from tests.continuity.test_mirror import follow
from tests.helpers import HANANO, auth
from tests.helpers_server import running_server
from tests.ui.test_ops_room import add_team, report

SHOTS = Path("/tmp/shots/mirrorroom")
PASSWORD = "a long passphrase abroad"
# Every control of the room that writes: none may be offered on a mirror.
WRITE_CONTROLS = ["#threat", "#sighting", "#issue-alert", "#radio", "button.assign", ".ack"]


@pytest.fixture
def mirror_room(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """A primary with a team and an incident, a mirror's store caught up with it and served,
    and a login of the mirror's own."""
    with (
        fresh_store(tmp_path / "mirror.db") as db,
        running_server(aleppo) as primary,
        httpx.Client(base_url=primary, headers=auth(tokens["dispatcher"]), timeout=10) as api,
    ):
        add_team(api, "Team 1")
        report(api, clock, HANANO, kind="collapse", trapped=3)
        assert follow(primary, tokens["mirror"], aleppo.evidence.key.verifier, db).exit_code == 0
        args = ["--db", db, "mirror", "user", "add", "layla", "--role", "dispatcher"]
        added = CliRunner().invoke(main, [*args, "--password-stdin"], input=PASSWORD + "\n")
        assert added.exit_code == 0, added.output
        mirror = Service(Settings(database_url=db)).start()
        try:
            with running_server(mirror) as base:
                yield {"base": base, "primary": primary, "db": db}
        finally:
            mirror.stop()


def _sign_in(page: Any, base: str, lang: str) -> None:
    page.add_init_script(f"localStorage.setItem('hanano.lang', '{lang}')")
    page.goto(base + "/")
    page.wait_for_selector("#mirror-banner:not([hidden])")
    page.fill("#username", "layla")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(".incident-row, #queue li, #queue .row", state="attached")


def _banner(page: Any, primary: str) -> str:
    page.wait_for_function(
        "p => document.querySelector('#mirror-primary').textContent === p", arg=primary
    )
    text: str = page.inner_text("#mirror-banner")
    return text


def _offered(page: Any) -> list[str]:
    return [s for s in WRITE_CONTROLS if page.locator(s).filter(visible=True).count()]


@pytest.mark.parametrize("size", [(390, 844), (1280, 720)], ids=["phone", "laptop"])
def test_the_room_on_a_mirror_is_read_only_with_a_banner_in_both_languages(
    mirror_room: dict[str, Any], new_page: Callable[..., Any], size: tuple[int, int]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, primary = mirror_room["base"], mirror_room["primary"]
    width, height = size
    english = new_page(width, height)
    english.add_init_script("localStorage.setItem('hanano.lang', 'en')")
    english.goto(base + "/")
    english.wait_for_selector("#mirror-banner:not([hidden])")
    # Before anyone signs in the page says it is a mirror, but not of which primary.
    assert "Read-only mirror" in english.inner_text("#mirror-banner")
    assert primary not in english.inner_text("#mirror-banner")
    english.screenshot(path=str(SHOTS / f"en-login-{width}x{height}.png"))

    _sign_in(english, base, "en")
    text = _banner(english, primary)
    assert "Read-only mirror of" in text and "in step with the primary" in text, text
    assert "Nothing can be changed here" in text
    assert english.locator("#mirror-banner").bounding_box()["y"] == 0
    assert _offered(english) == []
    english.screenshot(path=str(SHOTS / f"en-{width}x{height}.png"))

    arabic = new_page(width, height)
    _sign_in(arabic, base, "ar")
    text = _banner(arabic, primary)
    assert "نسخة مرآة للقراءة فقط عن" in text and "مطابقة للأصل قبل" in text, text
    assert "لا يمكن تغيير شيء هنا" in text
    assert arabic.evaluate("document.documentElement.dir") == "rtl"
    assert _offered(arabic) == []
    arabic.screenshot(path=str(SHOTS / f"ar-{width}x{height}.png"))


def test_the_banner_counts_entries_behind_in_each_language(
    mirror_room: dict[str, Any], new_page: Callable[..., Any]
) -> None:
    # As the follower records a look that found the primary further on than what is stored.
    engine = make_engine(mirror_room["db"])
    with engine.begin() as conn:
        conn.execute(update(mirror_state).values(primary_size=mirror_state.c.size + 12))
    engine.dispose()
    page = new_page(1280, 720)
    _sign_in(page, mirror_room["base"], "ar")
    text = _banner(page, mirror_room["primary"])
    assert "متأخرة عن الأصل: 12 قيدًا" in text, text
    page.screenshot(path=str(SHOTS / "ar-behind-1280x720.png"))
    page.click("#lang")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "12 entries behind the primary; last in step" in page.inner_text("#mirror-banner")
