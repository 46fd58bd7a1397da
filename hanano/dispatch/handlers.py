"""The dispatch domain's projectors, reactions and tick handlers, filled by its modules."""

from hanano.store.registry import Handlers

HANDLERS = Handlers("dispatch")
