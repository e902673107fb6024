"""Signed, expiring links to a photo's staff copy, for the handling body's own system.

A body that receives items by webhook has no session here: when the resident agreed to share
with the body (as for their contact), each delivery carries links signed with the service's
secret keys (the newest signs, all verify), valid ``LINK_DAYS``. Nothing is stored; rotating
the keys out revokes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from itsdangerous import BadSignature, TimestampSigner

from service.photos.models import Photo

LINK_DAYS = 30
SALT = "photo-staff-link"


class PhotoLinks:
    def __init__(self, secret_keys: Sequence[str], valid_days: int = LINK_DAYS) -> None:
        self.signer = TimestampSigner(list(secret_keys), salt=SALT)
        self.max_age = valid_days * 24 * 3600

    def path(self, photo: Photo, *, small: bool = False) -> str:
        """``/media/shared/<id>.jpg?s=<signed id>``: the staff copy, for whoever holds it."""
        signed = self.signer.sign(photo.id).decode().removeprefix(photo.id + ".")
        return f"/media/shared/{photo.id}{'.small' if small else ''}.jpg?s={signed}"

    def valid(self, photo_id: str, signature: str) -> bool:
        try:
            self.signer.unsign(f"{photo_id}.{signature}", max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return False
        return True
