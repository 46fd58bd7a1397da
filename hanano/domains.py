"""The domain modules that declare events, tables and projections.

Importing them registers their event types, tables and projection handlers. A new domain adds its
modules here, its migration to `hanano.store.migrations`, its router to `hanano.web.app` and its
commands to `hanano.cli`.
"""

import importlib

DOMAIN_MODULES: tuple[str, ...] = (
    "hanano.access.tokens",
    "hanano.access.users",
    "hanano.evidence.events",
    "hanano.evidence.media",
    "hanano.geo.city",
    "hanano.intake.projection",
    "hanano.warning.posts",
    "hanano.warning.sightings",
    "hanano.warning.tracks",
    "hanano.warning.zones",
    "hanano.warning.alerts",
    "hanano.warning.sirens",
    "hanano.warning.feeds",
    "hanano.warning.foreign",
    "hanano.warning.outbox",
    "hanano.dispatch.teams",
    "hanano.dispatch.hospitals",
    "hanano.dispatch.tasks",
    "hanano.dispatch.roads",
    "hanano.dispatch.recommend",
    "hanano.dispatch.safety",
    "hanano.dispatch.worksites",
)


_loaded = False


def load_domains() -> None:
    """Import every domain module once, so all events and projectors are registered."""
    global _loaded  # noqa: PLW0603 - a once-only flag; the imports themselves are idempotent
    if _loaded:
        return
    for name in DOMAIN_MODULES:
        importlib.import_module(name)
    _loaded = True
