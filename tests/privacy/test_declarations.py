"""Every column that can hold personal data is declared, and every declaration is real."""

from __future__ import annotations

import sqlalchemy as sa

from service.db import metadata
from service.models import import_all_models
from service.privacy.declarations import registry

# A count, a flag or a timestamp cannot point at a person on its own; ids point at rows that
# are declared themselves. Text, numbers with decimals (coordinates), dates and JSON can.
CANNOT_IDENTIFY = (sa.Integer, sa.Boolean, sa.DateTime)


def candidate_columns() -> set[tuple[str, str]]:
    import_all_models()
    return {
        (table.name, column.name)
        for table in metadata.tables.values()
        for column in table.columns
        if not column.primary_key
        and not column.foreign_keys
        and not isinstance(column.type, CANNOT_IDENTIFY)
    }


def test_every_column_that_can_hold_personal_data_is_declared() -> None:
    # given
    declared = registry()
    # when
    undeclared = candidate_columns() - set(declared.personal) - set(declared.not_personal)
    # then
    assert sorted(undeclared) == [], "declare them in service/privacy/catalogue.py"


def test_every_declaration_names_a_real_column_and_a_declared_purpose() -> None:
    # given
    import_all_models()
    declared = registry()
    # when
    unknown = [
        key
        for key in [*declared.personal, *declared.not_personal]
        if key[0] not in metadata.tables or key[1] not in metadata.tables[key[0]].c
    ]
    purposeless = [
        key
        for key, column in declared.personal.items()
        if not column.purposes or set(column.purposes) - set(declared.purposes)
    ]
    both = set(declared.personal) & set(declared.not_personal)
    # then
    assert (unknown, purposeless, sorted(both)) == ([], [], [])


def test_contact_details_are_declared_encrypted() -> None:
    declared = registry()
    assert all(declared.personal[("contact", c)].encrypted for c in ("name", "email", "phone"))


def test_webhook_signing_secrets_are_declared_not_personal_but_encrypted() -> None:
    declared = registry()
    secrets = {("route", "signing_secret"), ("webhook", "signing_secret")}
    assert declared.encrypted_not_personal == secrets
    assert all("encrypted" in declared.not_personal[key] for key in secrets)
