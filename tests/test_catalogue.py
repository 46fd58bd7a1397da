"""The event catalogue reads the registries and the reactions' code faithfully."""

from click.testing import CliRunner

from hanano.catalogue import chains, event_catalogue, settings_catalogue
from hanano.cli import main
from hanano.domains import REGISTRY
from hanano.events import EVENT_TYPES
from hanano.settings import Settings


def test_every_registered_event_type_is_listed_with_its_fields() -> None:
    catalogue = event_catalogue()
    assert [e.type for e in catalogue.events] == sorted(EVENT_TYPES)
    for event in catalogue.events:
        assert [f.name for f in event.fields] == list(EVENT_TYPES[event.type].model_fields)


def test_sealed_and_narrowed_fields_are_marked() -> None:
    report = event_catalogue().get("intake.report_received")
    fields = {f.name: f for f in report.fields}
    assert fields["text"].sealed and fields["body_hash"].sealed
    assert not fields["kind"].sealed
    assert fields["body_hash"].readers == ()
    assert fields["text"].readers == ("admin", "dispatcher", "team_leader")
    assert fields["kind"].readers is None
    assert report.readers == ("admin", "dispatcher", "team_leader", "auditor")


def test_projectors_reactions_and_ticks_come_from_the_registries() -> None:
    catalogue = event_catalogue()
    registered = REGISTRY.projectors
    for event in catalogue.events:
        handler = registered.get(event.type)
        expected = None if handler is None else f"{handler.__module__}:{handler.__qualname__}"
        assert event.projector == expected
        assert sorted(r.name for r in event.reactions) == sorted(
            f"{f.__module__}:{f.__qualname__}" for f in REGISTRY.reactions_for(event.type)
        )
    assert len(catalogue.ticks) == len(REGISTRY.ticks)


def test_a_sighting_leads_to_tracks_threats_alerts_deliveries_and_pullbacks() -> None:
    catalogue = event_catalogue()

    def leads(event_type: str) -> set[str]:
        return {t for r in catalogue.get(event_type).reactions for t in r.leads_to}

    assert leads("warning.sighting_reported") == {
        "warning.track_started",
        "warning.track_updated",
        "warning.track_ended",
    }
    assert leads("warning.track_updated") == {"warning.threat_assessed"}
    # An assessment raises alerts, and pulls back teams whose own site it puts at risk.
    assert leads("warning.threat_assessed") == {
        "warning.alert_issued",
        "dispatch.pullback_ordered",
        # A site's probability falling past the end threshold, on the way to ending an order.
        "dispatch.pullback_risk_changed",
    }
    assert leads("warning.alert_issued") == {"dispatch.threat_reported"}
    assert leads("dispatch.threat_reported") == {"dispatch.pullback_ordered"}
    outbox = catalogue.get("warning.alert_issued").reactions
    assert any(r.writes == ("warning_deliveries",) for r in outbox)
    assert leads("intake.report_received") == {"dispatch.road_closed"}
    assert "hanano.warning.zones:_track_moved" in catalogue.get("warning.threat_assessed").caused_by


def test_every_reaction_and_tick_handler_appears_in_the_chains() -> None:
    catalogue = event_catalogue()
    named = {line.name for line in chains(catalogue) if line.kind != "event"}
    handlers = {r.name for e in catalogue.events for r in e.reactions}
    assert handlers | {t.name for t in catalogue.ticks} <= named


def test_every_setting_is_listed_with_its_variable_and_default() -> None:
    items = {s.name: s for s in settings_catalogue()}
    assert list(items) == list(Settings.model_fields)
    assert items["public_delay_min"].env == "HANANO_PUBLIC_DELAY_MIN"
    assert items["public_delay_min"].default == "120.0"
    assert items["log_key_file"].default == "unset"
    assert items["auth_cache_s"].limits == "≥ 0, ≤ 5"


def test_the_commands_print_text_by_default() -> None:
    runner = CliRunner()
    events = runner.invoke(main, ["events"])
    assert events.exit_code == 0
    assert "intake.report_received  (version 1" in events.stdout
    assert "text             str | None  (sealed; read by admin, dispatcher, team_leader)" in (
        events.stdout
    )
    settings = runner.invoke(main, ["settings"])
    assert settings.exit_code == 0
    assert "HANANO_DOUBLE_TAP_WATCH_MIN" in settings.stdout
    commands = runner.invoke(main, ["commands"])
    assert commands.exit_code == 0
    assert "hanano token create [OPTIONS]" in commands.stdout
