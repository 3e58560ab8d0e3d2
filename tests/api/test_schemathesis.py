"""schemathesis against the whole schema, with a secretariat token and anonymously: no
server error, and every answer as the schema documents it (status, content type, body).

The run is bounded (EXAMPLES per operation and identity) so that it fits in CI; the
figures of the last run are printed (pytest -s) and asserted to cover every operation."""

import time

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import activate_totp, user_token

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _run(operation, headers: dict, counter: dict, failures: list) -> None:
    slug = {"slug": "vcc-2"} if any(p.name == "slug" for p in operation.path_parameters) else None

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=slug))
    def check(case):
        counter["examples"] += 1
        response = case.call(headers=headers)
        counter[response.status_code // 100 * 100] = (
            counter.get(response.status_code // 100 * 100, 0) + 1
        )
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as failure:  # a check's failure, or a group of them
            failures.append(f"{operation.label}: {failure}")

    check()


@pytest.fixture
def wsgi_app():
    """The Django application as a server runs it, but keeping the test's database
    connection open between requests (as Django's own test client does)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_server_error_and_every_answer_as_documented(vcc2, secretariat_user, wsgi_app):
    app = wsgi_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    token = user_token(activate_totp(secretariat_user))
    counter = {"examples": 0}
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            _run(operation, headers, counter, failures)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations, {counter['examples']} examples, "
        f"{len(failures)} failures, {elapsed:.0f} s; answers by class: "
        f"{ {k: v for k, v in counter.items() if k != 'examples'} }"
    )
    assert len(operations) >= 50
    assert counter["examples"] >= len(operations) * 2
    assert counter.get(200, 0) > 0 and counter.get(500, 0) == 0
    assert failures == [], "\n".join(failures[:20])
