"""Turn the bytes a phone sent into copies that carry nothing but pixels.

The real type is read from the first bytes (JPEG, PNG, WebP, HEIC; never the file name or the
declared content type), the pixel count from the header before anything is decoded (a
50,000 x 50,000 "bomb" is refused having read a few hundred bytes), then the image is decoded,
turned upright by its EXIF orientation, converted to sRGB and re-encoded as a fresh JPEG: no
EXIF, GPS, XMP, IPTC, maker notes, thumbnails, comments or ICC profile survive, because none is
ever copied. The original bytes are never stored.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageFilter, ImageOps, UnidentifiedImageError

from service.errors import N_, DomainError
from service.photos.errors import PhotoErrorCode

pillow_heif.register_heif_opener()

# Longest side of the full copy and of the small copy shown in lists.
FULL_SIDE = 2048
SMALL_SIDE = 480
# A JPEG may be decoded at a power-of-two fraction of its size down to this longest side.
DRAFT_SIDE = 1800
JPEG_QUALITY = 82
SMALL_QUALITY = 75
# Pillow's own bomb guard is a warning up to twice its limit: we check the header ourselves.
Image.MAX_IMAGE_PIXELS = None
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# The first bytes of each accepted type, and the Pillow plugin allowed to read it (only that
# one: a file that starts as a JPEG is read as a JPEG or refused, never sniffed again).
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def sniff(data: bytes) -> str | None:
    """The Pillow format of ``data`` from its magic bytes, or None when not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


@dataclass(frozen=True)
class Processed:
    """The two copies kept of a photo (JPEG bytes), their size, and the hash of what was sent."""

    full: bytes
    small: bytes
    width: int
    height: int
    source_sha256: str


def unsupported() -> DomainError:
    return DomainError(
        PhotoErrorCode.UNSUPPORTED_TYPE,
        N_("This file is not a photo we can read: send a JPEG, PNG, WebP or HEIC image."),
        field="photo",
    )


def damaged() -> DomainError:
    return DomainError(
        PhotoErrorCode.DAMAGED_FILE,
        N_("This photo is damaged or incomplete: take it again or send it again."),
        field="photo",
    )


def too_many_pixels(limit: int) -> DomainError:
    return DomainError(
        PhotoErrorCode.TOO_MANY_PIXELS,
        N_("This image has more than %(limit)s million pixels."),
        field="photo",
        limit=limit // 1_000_000,
    )


def process(data: bytes, *, max_pixels: int) -> Processed:
    """Check, decode, straighten and re-encode ``data``; a DomainError for every bad file."""
    image = open_checked(data, max_pixels=max_pixels)
    full = _fit(image, FULL_SIDE)
    small = _fit(full, SMALL_SIDE)
    return Processed(
        full=encode(full, JPEG_QUALITY),
        small=encode(small, SMALL_QUALITY),
        width=full.width,
        height=full.height,
        source_sha256=hashlib.sha256(data).hexdigest(),
    )


def open_checked(data: bytes, *, max_pixels: int) -> Image.Image:
    """The decoded RGB image, upright and in sRGB, or a DomainError (type, bomb, damage)."""
    kind = sniff(data)
    if kind is None:
        raise unsupported()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width * height > max_pixels or width < 1 or height < 1:
                raise too_many_pixels(max_pixels)
            if kind == "JPEG":
                # The JPEG decoder can scale by 1/2, 1/4, 1/8 as it decodes: ask for the
                # smallest scale keeping the longest side at DRAFT_SIDE at least. A 12-megapixel
                # photo (4,000 px) is decoded at 2,000 px, a quarter of the pixels: 3x faster
                # and a quarter of the memory, for a copy of 2,000 px instead of 2,048.
                scale = DRAFT_SIDE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error):
        # It starts like one of our types but cannot be read as one: damaged or cut short.
        raise damaged() from None
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the pixels as they are
        upright = image
    return _to_srgb(upright, image.info.get("icc_profile"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, SRGB, outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: the pixels are kept as they are
    return image


def _fit(image: Image.Image, side: int) -> Image.Image:
    """A fresh image (no ``info`` carried over) whose longest side is at most ``side``."""
    fitted = image.copy()
    fitted.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    clean = Image.new("RGB", fitted.size)
    clean.paste(fitted)
    return clean


def encode(image: Image.Image, quality: int) -> bytes:
    """Baseline JPEG, nothing but pixels: no EXIF, no ICC profile, no comment."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def decode_own(data: bytes) -> Image.Image:
    """One of our own stored copies, decoded (for staff edits)."""
    image = Image.open(io.BytesIO(data), formats=["JPEG"])
    image.load()
    return image


def rotated(data: bytes, degrees: int) -> tuple[bytes, bytes, int, int]:
    """Our full copy turned clockwise by ``degrees`` (90, 180, 270): full, small, size."""
    image = decode_own(data).rotate(-degrees, expand=True)
    full = _fit(image, FULL_SIDE)
    small = _fit(full, SMALL_SIDE)
    return encode(full, JPEG_QUALITY), encode(small, SMALL_QUALITY), full.width, full.height


def blurred(data: bytes, box: tuple[float, float, float, float]) -> tuple[bytes, bytes]:
    """Our full copy with a rectangle blurred beyond recognition; ``box`` is (left, top,
    width, height) as fractions of the image. Returns full and small copies."""
    image = decode_own(data).convert("RGB")
    left = round(box[0] * image.width)
    top = round(box[1] * image.height)
    right = max(left + 1, round((box[0] + box[2]) * image.width))
    bottom = max(top + 1, round((box[1] + box[3]) * image.height))
    region = image.crop((left, top, right, bottom))
    # Pixelate first, then blur: a Gaussian blur alone can sometimes be reversed on text.
    cells = (max(1, region.width // 16), max(1, region.height // 16))
    region = region.resize(cells, Image.Resampling.BILINEAR).resize(
        region.size, Image.Resampling.NEAREST
    )
    region = region.filter(ImageFilter.GaussianBlur(radius=max(4, min(region.size) // 8)))
    image.paste(region, (left, top))
    full = _fit(image, FULL_SIDE)
    small = _fit(full, SMALL_SIDE)
    return encode(full, JPEG_QUALITY), encode(small, SMALL_QUALITY)
