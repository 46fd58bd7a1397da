"""Signing in to the operations room: on a primary a login is an event of its log, on a mirror
a row of the mirror's own sessions (a mirror never writes the log; see mirror_accounts)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from hanano.access import mirror_accounts
from hanano.access import users as log_users
from hanano.access.users import OpenedSession, SessionAuthority
from hanano.domain import Runtime
from hanano.events import Role


class Logins:
    """The primary's: users and sessions are events, so a login goes through the writer."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.authority = self._authority(runtime.engine, runtime.settings.auth_cache_s)
        runtime.sequencer.add_listener(self.authority.on_events)

    def _authority(self, engine: Engine, cache_s: float) -> SessionAuthority:
        return SessionAuthority(engine, cache_s)

    def verify(self, username: str, password: str) -> tuple[str, Role] | None:
        """Slow on purpose (argon2); call off the event loop."""
        return log_users.verify_password(self.runtime.engine, username, password)

    async def open(self, user_id: str, role: Role) -> OpenedSession:
        return await self.runtime.sequencer.run(
            lambda tx: log_users.start_session(tx, user_id, role)
        )

    async def close(self, actor: str, secret: str) -> None:
        await self.runtime.sequencer.run(
            lambda tx: log_users.end_session(tx, actor, secret, "logged out")
        )

    def username_of(self, user_id: str) -> str | None:
        with self.runtime.engine.connect() as conn:
            return log_users.username_of(conn, user_id)


class MirrorLogins(Logins):
    """A mirror's: its own users, whose sessions are rows beside the log, never events."""

    def _authority(self, engine: Engine, cache_s: float) -> SessionAuthority:
        return mirror_accounts.MirrorSessionAuthority(engine, cache_s)

    def verify(self, username: str, password: str) -> tuple[str, Role] | None:
        return mirror_accounts.verify_password(self.runtime.engine, username, password)

    async def open(self, user_id: str, role: Role) -> OpenedSession:
        return await asyncio.to_thread(
            mirror_accounts.open_session, self.runtime.engine, user_id, role
        )

    async def close(self, actor: str, secret: str) -> None:
        await asyncio.to_thread(mirror_accounts.end_session, self.runtime.engine, secret)
        if isinstance(self.authority, mirror_accounts.MirrorSessionAuthority):
            self.authority.forget()

    def username_of(self, user_id: str) -> str | None:
        return mirror_accounts.username_of(self.runtime.engine, user_id)


def logins_for(runtime: Runtime) -> Logins:
    """A read-only store is a mirror's: its own users sign in there, the primary's do not."""
    return MirrorLogins(runtime) if runtime.sequencer.read_only else Logins(runtime)
