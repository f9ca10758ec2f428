"""Fuzz every API operation from its own OpenAPI document (schemathesis), on SQLite.

Positive (schema-valid) and negative (schema-violating) requests, authenticated as a normal
user with a bearer token, a few examples per operation: the server never answers 5xx, every
status code, content type and response body is the documented one, and requests that break
the schema are refused with a 4xx. One database for the whole module (state accumulates as it
would on a real server), with a goal, a question, an answer and a comment already there so
small ids name real rows.
"""

from collections import Counter

import pytest
import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services.accounts import register_user
from app.services.tokens import issue_token
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import bearer, make_app

EXAMPLES_PER_OPERATION = 6
# No shrinking: a failure is reported as found (shrinking a stateful API costs minutes).
PHASES = [Phase.explicit, Phase.generate]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    """An app on a fresh SQLite database, a normal user's token and a few rows."""
    folder = tmp_path_factory.mktemp("fuzz")
    app = make_app(
        f"sqlite:///{folder / 'fuzz.db'}",
        folder,
        # Fuzzing sends thousands of writes from one address; limits have own tests.
        RATELIMIT_ENABLED=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    with app.app_context():
        upgrade(directory="migrations")
        user = register_user("fuzzer", "fuzzer@example.org", "correct horse battery")
        other = register_user("someone", "someone@example.org", "correct horse battery")
        build_goal(user, title="A goal of the fuzzing user")
        question = build_question(other, title="A question someone else asked")
        build_answer(user, question, "An answer by the fuzzing user, long enough.")
        token, _ = issue_token(user)
        db.session.commit()
    yield app, bearer(token)
    with app.app_context():
        db.engine.dispose()


def credentials_for(operation, app, headers: dict) -> dict:
    """The Authorization header a case is sent with (its own token where it would revoke it)."""
    if operation.path.endswith("/tokens") and operation.method.upper() == "POST":
        return {}  # HTTP Basic: keep what schemathesis generated
    if operation.path.endswith("/tokens/current") and operation.method.upper() == "DELETE":
        with app.app_context():  # revoking the shared token would turn the rest into 401s
            user = db.session.scalar(select(User).where(User.username == "fuzzer"))
            token, _ = issue_token(user)
            db.session.commit()
        return bearer(token)
    return headers


def fuzz_operation(operation, mode: GenerationMode, world, seen: Counter) -> str | None:
    """Run a few generated requests against one operation; the first failure, or None."""
    app, headers = world

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=PHASES,
    )
    def run(case):
        sent = credentials_for(operation, app, headers)
        response = case.call_and_validate(headers=sent, checks=CHECKS)
        seen[mode.value, response.status_code // 100] += 1

    try:
        run()
    except Unsatisfiable:
        return None  # nothing to negate (no parameters, or only free-text path segments)
    except (Exception, BaseExceptionGroup) as error:
        return f"{operation.method.upper()} {operation.path} [{mode.value}]: {error}"[:3000]
    return None


def test_every_operation_answers_as_documented(fuzz_world):
    app, _ = fuzz_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 75  # the whole API, not an empty document
    seen: Counter = Counter()
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := fuzz_operation(operation, mode, fuzz_world, seen))
    ]
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)
    # The fuzzing reached the server both ways: successes and refusals of bad input.
    assert seen["positive", 2] > 25 and seen["negative", 4] > 100, seen
