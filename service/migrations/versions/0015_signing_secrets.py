"""signing secrets: webhook signing secrets encrypted at rest, with the id of their key

Routes' and integrators' webhook signing secrets (HMAC keys) are encrypted like contacts: a
database dump alone must not let anyone forge signed deliveries. Existing plaintext secrets
are encrypted here when the migration is given the cipher (``python -m service migrate``
does, from the settings); otherwise they keep working as they are (no key id) until
``python -m service rekey`` or the next ``migrate`` converts them. The downgrade decrypts them,
and refuses without the cipher rather than leave ciphertext older code would sign with.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 20:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import context, op

from service.privacy.crypto import FieldCipher

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ciphertext outgrows the plaintext columns: AES-GCM adds a nonce, a tag, base64, a key id.
PLAINTEXT_LENGTHS = {"route": 200, "webhook": 100}


def upgrade() -> None:
    for table, length in PLAINTEXT_LENGTHS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "signing_secret_key_id",
                    sqlmodel.sql.sqltypes.AutoString(length=16),
                    nullable=True,
                )
            )
            batch_op.alter_column(
                "signing_secret",
                existing_type=sa.VARCHAR(length=length),
                type_=sa.Text(),
                existing_nullable=table == "route",
            )
    cipher = _cipher()
    if cipher is not None:
        from service.privacy.signing_secrets import reseal_secrets

        reseal_secrets(op.get_bind(), cipher)


def _cipher() -> FieldCipher | None:
    found = context.config.attributes.get("contact_cipher")
    return found if isinstance(found, FieldCipher) else None


def downgrade() -> None:
    from service.privacy.signing_secrets import unseal_secrets

    unseal_secrets(op.get_bind(), _cipher())
    for table, length in PLAINTEXT_LENGTHS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "signing_secret",
                existing_type=sa.Text(),
                type_=sa.VARCHAR(length=length),
                existing_nullable=table == "route",
            )
            batch_op.drop_column("signing_secret_key_id")
