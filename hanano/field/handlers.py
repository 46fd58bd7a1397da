"""The field domain's projectors, filled by its modules."""

from hanano.store.registry import Handlers

HANDLERS = Handlers("field")
