"""Every domain error a root field can give has its GraphQL code: the payload's code enum carries
it (mapped by the code's type and value, not looked up by name), and a code a payload lacks
still reaches the client with its own code, never as INTERNAL_ERROR."""

from __future__ import annotations

import enum
import gettext

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type

from service.errors import DomainError
from service.field_access import Audience, root_access
from service.graphql_endpoint import graphql_types
from service.i18n.translator import Translator
from service.schema import build_schema
from service.schema_support import payload_code, payload_errors
from service.settings import Settings
from service.staff.errors import StaffErrorCode
from service.staff.permissions import forbidden, not_authenticated

SCHEMA = build_schema(Settings())
TYPES = graphql_types(SCHEMA)


def payload_codes() -> dict[str, GraphQLEnumType]:
    """The error-code enum of each root field answering with a payload of typed errors."""
    found: dict[str, GraphQLEnumType] = {}
    for root in (TYPES.query_type, TYPES.mutation_type):
        assert root is not None
        for name, field in root.fields.items():
            payload = get_named_type(field.type)
            if not isinstance(payload, GraphQLObjectType) or "errors" not in payload.fields:
                continue
            error = get_named_type(payload.fields["errors"].type)
            assert isinstance(error, GraphQLObjectType) and "code" in error.fields, name
            code = get_named_type(error.fields["code"].type)
            assert isinstance(code, GraphQLEnumType), name
            found[name] = code
    return found


def test_every_mutation_answers_with_typed_errors() -> None:
    assert TYPES.mutation_type is not None
    # (logging out cannot fail: anonymous callers are simply still anonymous)
    assert set(TYPES.mutation_type.fields) - set(payload_codes()) == {"staffLogout"}


def test_fields_for_staff_carry_the_codes_of_their_permission_check() -> None:
    # given: the fields that declare a staff permission (their resolver checks it)
    access = root_access(SCHEMA)
    refusals = {not_authenticated().code.value, forbidden().code.value}
    # then: their payloads can say why they were refused
    for name, code in payload_codes().items():
        declared = access[name]
        if declared is not None and declared.audience is Audience.STAFF:
            assert refusals <= set(code.values), (name, code.name)


class PayloadCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"


class Shared(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    SOMETHING_NEW = "SOMETHING_NEW"


def test_a_domain_code_is_carried_by_its_value() -> None:
    assert payload_code(Shared.NOT_FOUND, PayloadCode) is PayloadCode.NOT_FOUND
    assert payload_code(StaffErrorCode.FORBIDDEN, PayloadCode) is PayloadCode.FORBIDDEN
    assert payload_code(PayloadCode.FORBIDDEN, PayloadCode) is PayloadCode.FORBIDDEN
    assert payload_code(Shared.SOMETHING_NEW, PayloadCode) is None


def test_a_code_the_payload_lacks_is_raised_with_its_own_code() -> None:
    # given: a shared code added after the payload's enum was written
    new = DomainError(Shared.SOMETHING_NEW, "Something new.")
    # when / then: the domain error itself goes up (a top-level error with its code)
    with pytest.raises(DomainError) as raised:
        payload_errors([new], Translator("en", gettext.NullTranslations()), dict, PayloadCode)
    assert raised.value is new
