"""Processing: every accepted file comes out as a clean, upright, bounded JPEG; every bad file
is a typed error (real files made in the tests, read back with Pillow and exiftool)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from service.errors import DomainError
from service.photos import processing
from service.photos.errors import PhotoErrorCode
from tests.photos import files
from tests.photos.helpers import assert_no_metadata, colour_at, is_blue, is_red

MAX_PIXELS = 50_000_000


@pytest.mark.parametrize(
    "make",
    [
        files.jpeg_with_gps,
        files.png_with_text_chunks,
        files.webp_with_metadata,
        files.heic_with_metadata,
        files.jpeg_polyglot,
    ],
    ids=lambda make: make.__name__,
)
def test_every_accepted_file_is_stored_without_any_metadata(make: Callable[[], bytes]) -> None:
    # given a photo carrying the resident's position, phone, name or address
    sent = make()
    # when
    processed = processing.process(sent, max_pixels=MAX_PIXELS)
    # then both copies are plain JPEGs with nothing but pixels
    for copy in (processed.full, processed.small):
        image = assert_no_metadata(copy)
        assert is_red(colour_at(image, 0.5, 0.1)) and is_blue(colour_at(image, 0.5, 0.9))
    assert b"Jeanne" not in processed.full and b"Apple" not in processed.full
    assert files.POLYGLOT_PAYLOAD not in processed.full


def test_a_sideways_phone_photo_is_stored_upright() -> None:
    # given a portrait photo stored sideways with EXIF orientation 6
    sent = files.rotated_phone_photo()
    assert Image.open(io.BytesIO(sent)).size == (1200, 900)
    # when
    processed = processing.process(sent, max_pixels=MAX_PIXELS)
    # then it is portrait, red on top, and says nothing more about its orientation
    image = assert_no_metadata(processed.full)
    assert (processed.width, processed.height) == image.size == (900, 1200)
    assert is_red(colour_at(image, 0.5, 0.1))
    assert is_blue(colour_at(image, 0.5, 0.9))


@pytest.mark.parametrize(
    ("sent_size", "full_size"),
    [
        ((4000, 3000), (2000, 1500)),  # a 12 MP JPEG is decoded at half its size
        ((3000, 2250), (2048, 1536)),  # too small for that: decoded whole, then reduced
        ((9000, 6000), (2048, 1365)),  # 54 MP would be too many pixels; see the next test
        ((1000, 800), (1000, 800)),  # smaller than the bound: kept as it is
    ],
)
def test_a_large_photo_is_bounded_to_2048_pixels_and_a_small_copy_to_480(
    sent_size: tuple[int, int], full_size: tuple[int, int]
) -> None:
    # given
    sent = files.jpeg_with_gps(sent_size)
    # when
    processed = processing.process(sent, max_pixels=60_000_000)
    # then
    full = Image.open(io.BytesIO(processed.full))
    small = Image.open(io.BytesIO(processed.small))
    assert full.size == full_size == (processed.width, processed.height)
    assert max(small.size) == min(480, max(full_size))


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (files.png_bomb, PhotoErrorCode.TOO_MANY_PIXELS),
        (files.truncated_jpeg, PhotoErrorCode.DAMAGED_FILE),
        (files.pdf_named_jpg, PhotoErrorCode.UNSUPPORTED_TYPE),
        (files.html_polyglot, PhotoErrorCode.UNSUPPORTED_TYPE),
        (lambda: b"GIF89a" + b"\x00" * 100, PhotoErrorCode.UNSUPPORTED_TYPE),
        (lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 40, PhotoErrorCode.DAMAGED_FILE),
    ],
    ids=["bomb", "truncated", "pdf", "html-polyglot", "gif", "jpeg-header-only"],
)
def test_every_bad_file_is_a_typed_error(make: Callable[[], bytes], code: PhotoErrorCode) -> None:
    # when
    with pytest.raises(DomainError) as refused:
        processing.process(make(), max_pixels=MAX_PIXELS)
    # then
    assert refused.value.code is code
    assert refused.value.field == "photo"


def test_a_bomb_is_refused_from_its_header_without_decoding() -> None:
    # given 50,000 x 50,000 pixels announced (7.5 GB decoded)
    bomb = files.png_bomb()
    # when / then: refused at once, whatever the compressed body holds
    with pytest.raises(DomainError) as refused:
        processing.process(bomb, max_pixels=MAX_PIXELS)
    assert refused.value.params == {"limit": 50}


def test_a_blurred_rectangle_changes_the_public_copy_only_there() -> None:
    # given a photo with a detailed pattern
    image = Image.effect_noise((800, 600), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    full = processing.process(out.getvalue(), max_pixels=MAX_PIXELS).full
    # when the top-left quarter is blurred
    blurred, _ = processing.blurred(full, (0.0, 0.0, 0.5, 0.5))
    # then that quarter has lost its detail, the rest has not
    before, after = Image.open(io.BytesIO(full)), Image.open(io.BytesIO(blurred))
    quarter, other = (0, 0, 400, 300), (400, 300, 800, 600)

    def spread(picture: Image.Image, box: tuple[int, int, int, int]) -> float:
        values = list(picture.convert("L").crop(box).get_flattened_data())
        mean = sum(values) / len(values)
        return sum((v - mean) ** 2 for v in values) / len(values)

    assert spread(after, quarter) < spread(before, quarter) / 4
    assert spread(after, other) > spread(before, other) * 0.8
