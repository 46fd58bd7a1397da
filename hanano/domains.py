"""Every domain of hanano, in the order they are migrated and their handlers run.

Adding a domain is adding its package (see `hanano.domain`) and one line here.
"""

from hanano.access.domain import DOMAIN as ACCESS
from hanano.city.domain import DOMAIN as CITY
from hanano.dispatch.domain import DOMAIN as DISPATCH
from hanano.domain import Domain
from hanano.evidence.domain import DOMAIN as EVIDENCE
from hanano.field.domain import DOMAIN as FIELD
from hanano.intake.domain import DOMAIN as INTAKE
from hanano.store.registry import Registry
from hanano.warning.domain import DOMAIN as WARNING

DOMAINS: tuple[Domain, ...] = (ACCESS, CITY, INTAKE, EVIDENCE, WARNING, DISPATCH, FIELD)

REGISTRY = Registry.merge((d.handlers for d in DOMAINS), (t for d in DOMAINS for t in d.tables))

# What `hanano.store.migrations.migrate` applies, domain by domain.
MIGRATIONS = tuple((d.name, d.migrations) for d in DOMAINS)
