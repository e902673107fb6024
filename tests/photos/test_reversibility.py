"""The reversibility export carries the photos' files beside the tables (in the manifest with
their SHA-256), and the import puts them back in the target's photo store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from service.commands.common import configured_cipher
from service.context import Services, utc_now
from service.photos.storage import photo_store
from service.reversibility.export import MANIFEST, ExportOptions, export_database
from service.reversibility.restore import ImportRefused, import_database
from service.settings import Settings
from tests.photos import files
from tests.photos.test_api import report_with_photos, uploaded_id

pytestmark = pytest.mark.anyio


def export_with_photos(settings: Settings, directory: Path) -> dict[str, object]:
    return export_database(
        settings.resolved_database_url,
        directory,
        ExportOptions(),
        configured_cipher(settings),
        utc_now(),
        photos=photo_store(settings.data_dir),
    )


async def test_photos_go_out_with_the_export_and_come_back_with_the_import(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given a report with a photo
    photo_id = await uploaded_id(fresh_client, files.png_with_text_chunks())
    await report_with_photos(fresh_client, photo_id)
    # when the database is exported, then imported elsewhere
    manifest = export_with_photos(fresh_settings, tmp_path / "export")
    target = Settings(
        database_url=f"sqlite:///{tmp_path / 'target.db'}",
        data_dir=tmp_path / "target",
        secret_keys=fresh_settings.secret_keys,
    )
    import_database(
        target.resolved_database_url,
        tmp_path / "export",
        configured_cipher(target),
        photos=photo_store(target.data_dir),
    )
    # then both copies are in the manifest with their hash, and in the target's store
    listed = {(f["photo"], f["copy"]): f for f in manifest["files"]}  # type: ignore[attr-defined]
    assert set(listed) == {(photo_id, "full"), (photo_id, "small")}
    source, copy = photo_store(fresh_settings.data_dir), photo_store(target.data_dir)
    for variant in ("full", "small"):
        data = source.get(photo_id, variant)
        assert data is not None and copy.get(photo_id, variant) == data
        assert listed[(photo_id, variant)]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_an_import_refuses_a_photo_file_changed_since_the_export(
    fresh_client: httpx.AsyncClient, fresh_settings: Settings, tmp_path: Path
) -> None:
    # given an export whose photo was replaced afterwards
    photo_id = await uploaded_id(fresh_client)
    await report_with_photos(fresh_client, photo_id)
    export_with_photos(fresh_settings, tmp_path / "export")
    (tmp_path / "export" / f"photo-{photo_id}.full.jpg").write_bytes(files.jpeg_with_gps())
    # when / then
    with pytest.raises(ImportRefused, match="checksum"):
        import_database(
            f"sqlite:///{tmp_path / 'target.db'}",
            tmp_path / "export",
            None,
            photos=photo_store(tmp_path / "target"),
        )
    assert json.loads((tmp_path / "export" / MANIFEST).read_text())["files"]
