"""Property-based tests of the whole API from its own OpenAPI schema.

GIVEN every operation in /api/v1/openapi.json, called in-process with an admin's token
WHEN schemathesis generates valid and invalid requests (a bounded number per operation)
THEN no response is a server error and every response matches the documented status codes,
content types and schemas; invalid input is rejected.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from carefront.api.services import token_create
from carefront.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schemathesis.serializer("message/rfc822")
def raw_message(ctx, value):
    """The mail webhook's body is a message as received: generated text, sent as its bytes."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def admin_token(ada, ticket, dana):
    _, plain = token_create(user=ada, name="schemathesis")
    # As Django's test client does: keep the test's transaction open across in-process requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield plain
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
