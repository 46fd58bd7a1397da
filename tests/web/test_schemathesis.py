"""A bounded schemathesis run over every operation of /openapi.json, in process.

Once with a dispatcher's token and once with none; valid and invalid data alike. No answer may be
a 5xx, and every answer must agree with the document: a declared status, a declared content
type, a body that fits the declared schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hanano.service import Service
from hanano.web.app import build_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Examples per operation and generation mode: about 85 operations x 2 modes x 2 callers runs in
# well under a minute per backend, and the same examples every run (derandomised).
EXAMPLES = 6
STREAM_S = 0.3
REQUEST_S = 60.0


def _stream(operation: Any) -> bool:
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in r.get("content", {}) for r in responses.values())


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    # The live stream never ends by itself: it is read for a moment, then cut.
    timeout = STREAM_S if _stream(operation) else REQUEST_S

    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS, timeout=timeout)

    call()


@pytest.fixture
def app(aleppo: Service) -> Iterator[Any]:
    application = build_app(aleppo)
    try:
        yield application
    finally:
        # The in-process client started the app's lifespan; stop it before the store goes.
        shutdown_lifespans()


@pytest.mark.parametrize("caller", ["dispatcher", None])
def test_no_server_error_and_nothing_the_document_does_not_say(
    app: Any, tokens: dict[str, str], caller: str | None
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller else {}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80
    for operation in operations:
        for mode in GenerationMode:
            try:
                _run(operation, mode, headers)
            except Unsatisfiable:
                # Nothing to make invalid: no parameters, or free text only.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
