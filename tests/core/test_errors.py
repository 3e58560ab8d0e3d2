"""Refusal codes: every code raised in src/plenary is declared once in plenary.core.errors
with its kind, every declared code is raised somewhere, an undeclared one fails loudly, and
the entry points answer the declared status.

The scan reads the source with `ast`. A code reaches a person in three ways: as the `code` of
a DomainError, as the code of a contributions.filecheck.FileRefused (which the services turn
into a DomainError's), and in a `{"type": "refused", "code": …}` frame of a WebSocket
consumer. The code is a literal there, or a parameter of a small helper (`_refuse(…, "why")`)
whose callers pass the literal, or the `.code` of a caught refusal; the scan follows all
three and reports anything else, so that a code passed in a way it cannot see is not
silently missed."""

import ast
import json
import logging
from pathlib import Path

import pytest
from django.test import Client

import plenary
from plenary.core import errors
from plenary.core.errors import REFUSALS, DomainError, Kind, UndeclaredRefusal
from tests import factories

from ..api.conftest import activate_totp, bearer, participant, user_token

SRC = Path(plenary.__file__).resolve().parent

# The refusals that carry a code, and where their code is when it is passed by position
# (None: keyword only).
CONSTRUCTORS = {"DomainError": None, "FileRefused": 0}

# Declared codes that nothing in src raises, each with the reason it is declared.
NOT_RAISED = {
    "refused": "the default of a DomainError built without a code; src always names one",
}

# Codes passed in a way the scan cannot follow, each (module, expression) with the reason
# it is safe.
UNFOLLOWED = {
    ("contributions/filecheck.py", "answer['refused']"): (
        "the code printed by the checking child process, which is this module's own "
        "FileRefused code (the same ones the scan found)"
    ),
}


class Unseen(Exception):
    """A code passed in a way the scan does not follow."""


class _Module:
    def __init__(self, path: Path):
        self.name = path.relative_to(SRC).as_posix()
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.parents = {
            child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)
        }

    def function_of(self, node):
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _argument(call: ast.Call, name: str, position: int | None):
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _type_name(node) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


class _Scan:
    """Every refusal code in src: {code: {"module:line", …}}, and what it could not follow."""

    def __init__(self):
        self.modules = [_Module(path) for path in sorted(SRC.rglob("*.py"))]
        self.sinks = []  # (module, node, what, expression of the code)
        for module in self.modules:
            for node in ast.walk(module.tree):
                self._collect(module, node)
        self.codes, self.unseen = self._resolve_all(lambda what: True)

    def _collect(self, module, node):
        if isinstance(node, ast.Call) and _callee(node) in CONSTRUCTORS:
            what = _callee(node)
            self.sinks.append((module, node, what, _argument(node, "code", CONSTRUCTORS[what])))
        elif isinstance(node, ast.Dict):
            fields = {
                key.value: value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant)
            }
            kind = fields.get("type")
            if isinstance(kind, ast.Constant) and kind.value == "refused":
                self.sinks.append((module, node, "frame", fields.get("code")))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A frame written by hand, as JSON text.
            try:
                frame = json.loads(node.value) if node.value.startswith("{") else None
            except ValueError:
                frame = None
            if isinstance(frame, dict) and frame.get("type") == "refused":
                code = ast.copy_location(ast.Constant(frame.get("code")), node)
                self.sinks.append((module, node, "frame", code))

    def _resolve_all(self, wanted):
        codes, unseen = {}, []
        for module, node, what, expression in self.sinks:
            if not wanted(what):
                continue
            try:
                found = self._resolve(module, node, expression, set())
            except Unseen as missed:
                unseen.append(str(missed))
                continue
            for code, places in found.items():
                codes.setdefault(code, set()).update(places)
        return codes, unseen

    def _resolve(self, module, node, expression, seen) -> dict[str, set[str]]:
        where = f"{module.name}:{node.lineno}"
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            return {expression.value: {where}}
        if expression is None:
            raise Unseen(f"{where}: a refusal without a code")
        if (module.name, ast.unparse(expression)) in UNFOLLOWED:
            return {}
        function = module.function_of(node)
        if (
            isinstance(expression, ast.Attribute)
            and expression.attr == "code"
            and isinstance(expression.value, ast.Name)
            and function is not None
        ):
            return self._code_of_caught(module, function, expression.value.id, where)
        if isinstance(expression, ast.Name) and function is not None:
            names = [a.arg for a in (*function.args.args, *function.args.kwonlyargs)]
            if expression.id in names:
                return self._passed_to(module, function, expression.id, where, seen)
        raise Unseen(f"{where}: {ast.unparse(expression)}")

    def _passed_to(self, module, function, name, where, seen):
        """A helper's parameter: the codes its callers in the same module pass."""
        if not function.name.startswith("_"):
            raise Unseen(f"{where}: {name}, a parameter of the public {function.name}()")
        if (module.name, function.name, name) in seen:
            return {}
        seen = seen | {(module.name, function.name, name)}
        positional = [a.arg for a in function.args.args]
        position = positional.index(name) if name in positional else None
        method = bool(positional) and positional[0] in ("self", "cls")
        found = {}
        for call in ast.walk(module.tree):
            if not (isinstance(call, ast.Call) and _callee(call) == function.name):
                continue
            shift = 1 if method and isinstance(call.func, ast.Attribute) and position else 0
            argument = _argument(call, name, None if position is None else position - shift)
            for code, places in self._resolve(module, call, argument, seen).items():
                found.setdefault(code, set()).update(places)
        return found

    def _code_of_caught(self, module, function, name, where):
        """`refusal.code`: a DomainError's codes are found where it is raised; a FileRefused's
        are those of every FileRefused."""
        kinds = [
            _type_name(handler.type)
            for handler in ast.walk(function)
            if isinstance(handler, ast.ExceptHandler) and handler.name == name
        ] + [
            _type_name(arg.annotation)
            for arg in function.args.args
            if arg.arg == name and arg.annotation is not None
        ]
        if kinds and all(kind == "DomainError" for kind in kinds):
            return {}
        if kinds and all(kind in CONSTRUCTORS for kind in kinds):
            found, unseen = self._resolve_all(lambda what: what in kinds)
            if unseen:
                raise Unseen("; ".join(unseen))
            return found
        raise Unseen(f"{where}: {name}.code")


@pytest.fixture(scope="module")
def scan():
    return _Scan()


def test_every_code_raised_in_src_is_declared(scan):
    assert scan.unseen == [], "codes passed in a way the scan cannot follow: make them literals"
    undeclared = {code: sorted(places) for code, places in scan.codes.items()}
    undeclared = {code: places for code, places in undeclared.items() if code not in REFUSALS}
    assert undeclared == {}, "declare these codes with their kind in plenary/core/errors.py"


def test_every_declared_code_is_raised_somewhere(scan):
    assert set(REFUSALS) - set(scan.codes) == set(NOT_RAISED)


def test_the_scan_follows_every_way_a_code_is_passed(scan):
    # One code for each way, so that a scan that stopped seeing one would fail here.
    expected = {
        "not_chair": "floor/services.py",  # DomainError(…, code="…")
        "not_elector": "ballots/services.py",  # _refuse(ballot, actor, "…", message)
        "meeting_ended": "remote/services.py",  # _refuse(message, "…", …)
        "zip_bomb": "contributions/filecheck.py",  # FileRefused("…"), raised again as .code
        "unknown_op": "floor/consumers.py",  # self._refuse("…") into a frame
        "bad_message": "remote/consumers.py",  # self._refused("…") into a frame
        "rate_limited": "floor/consumers.py",  # a frame written as JSON text
    }
    for code, module in expected.items():
        assert any(place.startswith(module + ":") for place in scan.codes.get(code, ())), code
    assert "refused" not in scan.codes  # no DomainError in src goes without a code


def test_each_kind_answers_its_status():
    assert {kind: kind.status for kind in Kind} == {
        Kind.PERMISSION: 403,
        Kind.RATE_LIMIT: 429,
        Kind.NOT_FOUND: 404,
        Kind.GONE: 410,
        Kind.INVALID: 400,
    }
    assert DomainError("No.", code="not_chair").status == 403
    assert DomainError("Wait.", code="rate_limited").status == 429
    assert DomainError("Closed.", code="closed").kind is Kind.INVALID
    for code in ("not_your_state", "not_elector", "not_submitter", "not_support_staff"):
        assert REFUSALS[code] is Kind.PERMISSION, code


def test_an_undeclared_code_fails_loudly_under_tests():
    with pytest.raises(UndeclaredRefusal, match="no_such_refusal"):
        DomainError("Refused.", code="no_such_refusal")


def test_in_production_an_undeclared_code_is_a_400_with_a_warning(monkeypatch, settings, caplog):
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    settings.DEBUG = False
    with caplog.at_level(logging.WARNING, logger=errors.__name__):
        refusal = DomainError("Refused.", code="no_such_refusal")
    assert (refusal.kind, refusal.status) == (Kind.INVALID, 400)
    assert "no_such_refusal" in caplog.text
    settings.DEBUG = True
    with pytest.raises(UndeclaredRefusal):
        DomainError("Refused.", code="no_such_refusal")


# --- the "not you" codes through the API --------------------------------------------------


def _post(path, data, token):
    return Client().post(path, data, content_type="application/json", **bearer(token))


def _refused(response, code):
    assert (response.status_code, response.json()["code"]) == (403, code), response.content
    return True


def _french_contribution(consultation):
    from plenary.contributions import services as contributions
    from plenary.core.models import User
    from plenary.directory.models import State

    return contributions.submit_form(
        consultation,
        item=consultation.groups.get(number=1).items.get(number=2),
        title="Views of France",
        comments="",
        way_forward="",
        lead_state=State.objects.get(iso2="FR"),
        actor=User.objects.get(email="secretariat@example.org"),
        accept_late=True,
    )


def test_a_focal_point_acting_for_another_state_is_refused_403(consultation):
    from plenary.core.models import User

    contribution = _french_contribution(consultation)
    focal_ch = user_token(User.objects.get(email="focal.point.ch@example.org"))
    base = f"/api/v1/consultations/{consultation.slug}/contributions/{contribution.pk}"
    assert _refused(_post(f"{base}/withdraw", {}, focal_ch), "not_your_state")
    assert _refused(_post(f"{base}/co-submission", {"state": "FR"}, focal_ch), "not_your_state")
    # Switzerland is the focal point's own state, but not among this contribution's submitters.
    assert _refused(_post(f"{base}/co-submission", {"state": "CH"}, focal_ch), "not_submitter")


def test_a_voting_focal_point_for_a_state_outside_the_electorate_is_refused_403(
    consultation, secretariat_user
):
    from plenary.directory.models import State

    ballot = factories.ballot(consultation, actor=activate_totp(secretariat_user))
    outside = State.objects.exclude(pk__in=ballot.electors.values("state")).order_by("iso2")[0]
    answer = _post(
        f"/api/v1/consultations/{consultation.slug}/ballots/{ballot.pk}/voting-focal-points",
        {"state": outside.iso2, "email": "focal.point.ch@example.org"},
        user_token(secretariat_user),
    )
    assert _refused(answer, "not_elector")


def test_a_support_request_assigned_to_someone_outside_it_support_is_refused_403(consultation):
    from plenary.core.models import User
    from plenary.remote import services as remote

    support_request = remote.open_request(
        consultation,
        channel="form",
        subject="My link fails",
        participant=participant(consultation, "CH", 1),
    )
    it_support = user_token(User.objects.get(email="it.support@example.org"))
    path = f"/api/v1/consultations/{consultation.slug}/support-desk/{support_request.pk}/assign"
    focal_ch = User.objects.get(email="focal.point.ch@example.org")
    assert _refused(_post(path, {"to": focal_ch.pk}, it_support), "not_support_staff")
    assert _refused(_post(path, {"to": 2_000_000_000}, it_support), "not_support_staff")
