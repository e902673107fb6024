"""Real image files made in the tests: what phones send, and what an attacker would."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
    b'Jeanne Resident"/></rdf:RDF></x:xmpmeta>'
)


def scene(size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """Top half red, bottom half blue: which way is up can be checked after processing."""
    image = Image.new("RGB", size, (220, 30, 30))
    ImageDraw.Draw(image).rectangle((0, size[1] // 2, size[0], size[1]), fill=(30, 30, 220))
    return image


def phone_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: maker, model, time, and the exact position (GPS IFD)."""
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    exif[0x0132] = "2026:12:01 08:15:00"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {
        1: "N",
        2: (47.0, 28.0, 16.32),
        3: "W",
        4: (0.0, 33.0, 0.72),
    }
    return exif


def jpeg_with_gps(size: tuple[int, int] = (1200, 900)) -> bytes:
    out = io.BytesIO()
    scene(size).save(out, "JPEG", quality=90, exif=phone_exif(), comment=b"resident@mail.fr")
    return out.getvalue()


def rotated_phone_photo() -> bytes:
    """A portrait photo as phones store it: pixels sideways, orientation 6 (turn 90° right).

    The scene upright is 900 wide x 1200 high, red on top; stored turned 90° anticlockwise."""
    upright = scene((900, 1200))
    stored = upright.rotate(90, expand=True)  # what the sensor wrote: 1200 x 900
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=90, exif=phone_exif(orientation=6))
    return out.getvalue()


def png_with_text_chunks() -> bytes:
    info = PngInfo()
    info.add_text("Author", "Jeanne Resident")
    info.add_text("Comment", "12 rue des Lices, Angers")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    scene().save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    scene().save(out, "WEBP", quality=80, exif=phone_exif(), xmp=XMP)
    return out.getvalue()


def heic_with_metadata() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    scene().save(out, "HEIF", quality=60, exif=phone_exif().tobytes())
    return out.getvalue()


def png_bomb(side: int = 50_000) -> bytes:
    """A valid-looking PNG header announcing side x side pixels, and a tiny compressed body
    (a real bomb decompresses to gigabytes; it must be refused before decoding)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1_000_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg_with_gps()
    return data[: len(data) // 2]


def pdf_named_jpg() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


POLYGLOT_PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"


def jpeg_polyglot() -> bytes:
    """A JPEG that is also an HTML page (and would be a ZIP to some readers): the payload
    follows the image's end marker."""
    return jpeg_with_gps() + POLYGLOT_PAYLOAD + b"PK\x05\x06" + b"\x00" * 18


def html_polyglot() -> bytes:
    """An HTML page carrying a JPEG: it does not start like an image, so it is not one."""
    return POLYGLOT_PAYLOAD + jpeg_with_gps()
