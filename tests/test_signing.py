"""The serializers that skip itsdangerous's compression attempt make the same tokens and
still read the compressed ones."""

from __future__ import annotations

import secrets

import pytest
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from service.signing import ShortURLSafeSerializer, ShortURLSafeTimedSerializer

KEYS = ["old" * 11, "new" * 11]


def test_a_tracking_token_is_the_same_as_itsdangerous_makes() -> None:
    # given
    ours = ShortURLSafeSerializer(KEYS, salt="tracking-token-v1")
    stock = URLSafeSerializer(KEYS, salt="tracking-token-v1")
    payloads = [{"i": i, "n": secrets.token_hex(8)} for i in (1, 42, 10**9)]
    # when / then
    for payload in payloads:
        assert ours.dumps(payload) == stock.dumps(payload)
        assert ours.loads(stock.dumps(payload)) == payload


def test_a_csrf_token_unsigns_alike_both_ways() -> None:
    # given
    ours = ShortURLSafeTimedSerializer(KEYS, salt="web-form-csrf:feedback")
    stock = URLSafeTimedSerializer(KEYS, salt="web-form-csrf:feedback")
    cookie = secrets.token_urlsafe(32)
    # when
    made, made_by_stock = ours.dumps(cookie), stock.dumps(cookie)
    # then: same payload and signature scheme (the timestamps may differ by a second)
    assert made.split(".")[0] == made_by_stock.split(".")[0]
    assert stock.loads(made, max_age=60) == cookie
    assert ours.loads(made_by_stock, max_age=60) == cookie


def test_a_compressed_token_made_before_still_opens() -> None:
    # given: a payload itsdangerous does compress
    stock = URLSafeSerializer(KEYS, salt="tracking-token-v1")
    long_payload = {"i": 1, "n": "a" * 200}
    compressed = stock.dumps(long_payload)
    assert compressed.startswith(".")
    # when / then
    assert ShortURLSafeSerializer(KEYS, salt="tracking-token-v1").loads(compressed) == long_payload


def test_a_token_of_a_rotated_key_still_opens_and_a_tampered_one_does_not() -> None:
    # given: one signer per salt is kept and its keys derived once, so ask it several times
    ours = ShortURLSafeSerializer(KEYS, salt="tracking-token-v1")
    before_rotation = URLSafeSerializer(KEYS[:1], salt="tracking-token-v1").dumps({"i": 7})
    other_salt = URLSafeSerializer(KEYS, salt="another-purpose").dumps({"i": 7})
    # when / then
    for _ in range(3):
        assert ours.loads(before_rotation) == {"i": 7}
        assert ours.dumps({"i": 7}) == URLSafeSerializer(KEYS, salt="tracking-token-v1").dumps(
            {"i": 7}
        )
        with pytest.raises(BadSignature):  # the payload changed, the signature kept
            ours.loads(
                URLSafeSerializer(KEYS[:1], salt="x").dumps({"i": 8}).split(".")[0]
                + "."
                + before_rotation.split(".")[1]
            )
        with pytest.raises(BadSignature):
            ours.loads(other_salt)


def test_an_old_csrf_token_is_refused_as_expired() -> None:
    # given
    ours = ShortURLSafeTimedSerializer(KEYS, salt="web-form-csrf:feedback")
    made = ours.dumps("cookie")
    # when / then
    assert ours.loads(made, max_age=60) == "cookie"
    with pytest.raises(SignatureExpired):
        ours.loads(made, max_age=-1)
