"""The instance's identity: created by the first start, read by every later one.

``open_instance`` (commands, before serving) records the instance and checks the configured
keys against the ones its data is held under (service.instance.keys); ``instance_id`` (every
serving process) reads it for ``/readyz`` and the search index (service.instance.index).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import exc as sql_errors
from sqlmodel import Session, select

from service.db import Database, create_sync_engine, redacted
from service.instance import keys
from service.instance.models import InstanceRecord
from service.invariants import required_row
from service.settings import Settings


def _new_record() -> InstanceRecord:
    return InstanceRecord(id=1, instance_id=str(uuid.uuid4()), created_at=datetime.now(UTC))


def _record(session: Session) -> InstanceRecord:
    found = session.get(InstanceRecord, 1)
    if found is not None:
        return found
    try:
        session.add(_new_record())
        session.commit()
    except sql_errors.IntegrityError:  # another process created it first
        session.rollback()
    return required_row(session.get(InstanceRecord, 1), "instance", 1)


def open_instance(settings: Settings, *, accept_keys: bool = False) -> str:
    """The instance id, after checking the configured keys (raises KeysMismatch) and
    recording new ones; ``accept_keys`` records the configured keys as they are."""
    configured = keys.configured_key_ids(settings)
    engine = create_sync_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            record = _record(session)
            if configured.empty:
                return record.instance_id
            recorded = keys.KeyIds(
                keys.parse_ids(record.signing_key_ids), keys.parse_ids(record.encryption_key_ids)
            )
            if accept_keys:
                wanted = configured
            else:
                keys.check(recorded, configured, redacted(settings.resolved_database_url))
                wanted = keys.merged(recorded, configured)
            if wanted != recorded:
                record.signing_key_ids = keys.join_ids(wanted.signing)
                record.encryption_key_ids = keys.join_ids(wanted.encryption)
                session.add(record)
                session.commit()
            return record.instance_id
    finally:
        engine.dispose()


def recorded_key_ids(settings: Settings) -> keys.KeyIds:
    engine = create_sync_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            record = _record(session)
            return keys.KeyIds(
                keys.parse_ids(record.signing_key_ids), keys.parse_ids(record.encryption_key_ids)
            )
    finally:
        engine.dispose()


async def instance_id(db: Database) -> str:
    """The instance id (created when a database migrated by tests has none yet)."""
    async with db.reading() as session:
        found = (await session.exec(select(InstanceRecord))).first()
    if found is not None:
        return found.instance_id
    try:
        async with db.writing() as session:
            session.add(_new_record())
    except sql_errors.IntegrityError:
        pass  # another process created it first
    async with db.reading() as session:
        return (await session.exec(select(InstanceRecord))).one().instance_id
