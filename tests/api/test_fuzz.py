"""API fuzzing: schemathesis against ``/api/v1/openapi.json`` of a live ``dsr serve``.

Every operation gets a fixed number of generated examples (valid and invalid
bodies, queries and path parameters, derandomized). Each is sent with a real token
to a request in a real state, or with the generated (wrong) one, and every answer
must be no 5xx and exactly what the OpenAPI document says: a documented status
code, content type, body and headers.
"""

from __future__ import annotations

import tempfile
import time

import httpx
import pytest
import schemathesis
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from dsr_app import create_app
from dsr_app.cli import cli
from tests.conftest import CODE_RE, RECORDS_JSONL, REGISTRY, outbox, start_server

EXAMPLES = 40  # per operation; the whole file stays well under a minute
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]


def _dsr(db_path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, [*args, "--db", str(db_path)], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def _code(db_path, to: str) -> str:
    (code,) = CODE_RE.findall(outbox(db_path, to)[-1]["body"])
    return code


class World:
    """A live server with staff tokens and requests in every state."""

    def __init__(self, url: str, db_path):
        self.url = url
        self.db_path = db_path
        self.http = httpx.Client(base_url=url, timeout=30)
        self.staff: dict[str, str] = {}
        self.requests: dict[str, dict] = {}  # state -> {"id", "token"}
        self.removal_list = ""

    def file(self, state: str, email: str, type_: str = "objection", **more) -> dict:
        resp = self.http.post(
            "/api/v1/requests",
            json={
                "type": type_,
                "full_name": "Zoë Müller-Łukasik",
                "email": email,
                "country": "DE",
                **more,
            },
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        self.requests[state] = {"id": body["id"], "token": body["status_token"]}
        return self.requests[state]

    def verify(self, state: str, email: str) -> None:
        made = self.requests[state]
        resp = self.http.post(
            f"/api/v1/requests/{made['id']}/verify",
            json={"channel": "email", "code": _code(self.db_path, email)},
            headers={"Authorization": f"Bearer {made['token']}"},
        )
        assert resp.status_code == 200, resp.text
        # The search runs after the answer: wait for it before deciding.
        for _ in range(200):
            case = self.http.get(
                f"/api/v1/staff/requests/{made['id']}", headers=self.bearer("admin")
            ).json()
            if case["searches"]:
                return
            time.sleep(0.05)
        raise AssertionError(f"no search for {state}")

    def decide(self, state: str, decision: str, reason: str | None = None) -> None:
        body = {"decision": decision, **({"reason": reason} if reason else {})}
        resp = self.http.post(
            f"/api/v1/staff/requests/{self.requests[state]['id']}/decision",
            json=body,
            headers=self.bearer("legal"),
        )
        assert resp.status_code == 200, resp.text

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff[role]}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """``dsr serve`` (waitress, rate limits off) over the test data and registry."""
    folder = tmp_path_factory.mktemp("fuzz")
    db_path = folder / "dsr.sqlite3"
    _dsr(db_path, "accounts", "import", str(REGISTRY))
    _dsr(db_path, "ingest", str(RECORDS_JSONL))
    staff = {}
    for role in ("legal", "training", "admin"):
        email = f"{role}@staff.example"
        _dsr(
            db_path,
            "staff",
            "add",
            email,
            "--role",
            role,
            "--password-stdin",
            input="a long fuzzing password\n",
        )
        staff[role] = _dsr(db_path, "staff", "token", email).split()[-1]
    # DSR_RATE_LIMITS=0: the per-address limits would answer nearly everything 429.
    log = folder / "serve.log"
    proc, url = start_server(db_path, log=log, env={"DSR_RATE_LIMITS": "0"})
    try:
        made = World(url, db_path)
        made.staff = staff
        made.file("pending", "pending@example.org")
        made.file("in_review", "zoe@example.eu", phone="+49 151 23456789")
        made.verify("in_review", "zoe@example.eu")
        made.file("needs_info", "needs.info@example.org")
        made.verify("needs_info", "needs.info@example.org")
        made.decide("needs_info", "request_info", "Which accounts are yours?")
        made.file("access", "max@example.org", "access")
        made.verify("access", "max@example.org")
        made.decide("access", "approve")
        made.file("objection", "zoe@example.eu")
        made.verify("objection", "zoe@example.eu")
        made.decide("objection", "approve")
        lists = made.http.get("/api/v1/removal-lists", headers=made.bearer("training"))
        made.removal_list = lists.json()["items"][0]["id"]
        yield made
        made.http.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out = log.read_text()
    assert "Traceback" not in out, out


@pytest.fixture(scope="module")
def api_schema(world):
    """The OpenAPI document as the live server serves it."""
    return schemathesis.openapi.from_url(f"{world.url}/api/v1/openapi.json")


def _operations() -> list[str]:
    """``METHOD /path`` of every operation the app documents (for test ids).

    Read from the app at collection, so that each operation is its own test;
    schemathesis' own lazy loader (``schemathesis.pytest.from_fixture``) fails
    on pytest 9.2, which dropped ``Node._nodeid``.
    """
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DB": f"{folder}/dsr.sqlite3", "SECRET_KEY": "ids"})
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    ]


def _targets(operation, world: World) -> list[dict]:
    """Fixed parts of the examples: real ids with real tokens, and none at all.

    Without a fixed part, the path parameters and the bearer token are generated
    (an unknown id, a wrong token), which must answer 401/404 as documented.
    """
    targets: list[dict] = []
    params = {p.name for p in operation.path_parameters}
    if operation.path.startswith(("/api/v1/staff/", "/api/v1/removal-lists")) or (
        operation.path == "/api/v1/suppression-list"
    ):
        for role in world.staff:
            headers = world.bearer(role)
            if "request_id" in params:
                targets += [
                    {"headers": headers, "path_parameters": {"request_id": made["id"]}}
                    for made in world.requests.values()
                ]
            elif "list_id" in params:
                target = {
                    "headers": headers,
                    "path_parameters": {"list_id": world.removal_list},
                }
                targets.append(target)
                if operation.method.upper() == "POST":  # an ack naming its dataset
                    body = {"dataset": "tiny", "dataset_version": "fuzz-1"}
                    targets.append({**target, "body": body})
            else:
                targets.append({"headers": headers})
    elif "request_id" in params:
        for made in world.requests.values():
            targets.append(
                {
                    "headers": {"Authorization": f"Bearer {made['token']}"},
                    "path_parameters": {"request_id": made["id"]},
                }
            )
            # The right id with someone else's (generated) token.
            targets.append({"path_parameters": {"request_id": made["id"]}})
    return [*targets, {}]


@pytest.mark.parametrize("label", _operations())
def test_api_answers_as_documented(label, world, api_schema):
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"
    # Real targets first: hypothesis draws the first branches of one_of most often.
    targets = _targets(operation, world)
    strategy = st.one_of(
        [
            operation.as_strategy(mode, **target)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for target in targets
        ]
    )

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def examples(case):
        case.call_and_validate(base_url=world.url, checks=CHECKS)

    examples()


@pytest.mark.parametrize(
    ("media_type", "body", "status"),
    [
        ("text/plain", "not json", 415),
        ("application/json", {"details": "x" * 70_000}, 413),
    ],
)
def test_bodies_refused_before_parsing_answer_as_documented(
    media_type, body, status, world, api_schema
):
    """413 and 415 come before any view runs, on every operation with a body."""
    made = world.requests["in_review"]
    # 413 and 415 come first: the run needs not exist.
    ids = {"request_id": made["id"], "list_id": world.removal_list, "run_id": 1}
    posts = [
        op.ok() for op in api_schema.get_all_operations() if op.ok().method == "post"
    ]
    assert len(posts) == 8  # with POST /training-runs and its measures (issue 19)
    for operation in posts:
        params = {p.name: ids[p.name] for p in operation.path_parameters}
        case = operation.Case(
            path_parameters=params,
            headers=world.bearer("admin"),
            body=body,
            media_type=media_type,
        )
        response = case.call_and_validate(base_url=world.url, checks=CHECKS)
        assert response.status_code == status, (operation.label, response.text)
