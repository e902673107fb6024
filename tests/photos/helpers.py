"""Checks the photo tests share: what a stored copy may carry (nothing but pixels)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile

from PIL import Image

# What exiftool says of any JPEG: the file itself, its JFIF header, and derived values.
HARMLESS_GROUPS = {"ExifTool", "System", "File", "JFIF", "Composite"}


def exiftool_groups(data: bytes) -> dict[str, object]:
    """Every tag exiftool (Debian's libimage-exiftool-perl) finds, by family-1 group."""
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        if os.environ.get("CI"):
            raise AssertionError("exiftool is missing: .ci/run installs libimage-exiftool-perl")
        return {}
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        out = subprocess.run(
            [exiftool, "-j", "-G1", "-a", "-u", "-b", file.name],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    tags: dict[str, object] = json.loads(out)[0]
    return tags


def assert_no_metadata(data: bytes) -> Image.Image:
    """The copy is a plain JPEG: no EXIF, GPS, XMP, IPTC, ICC profile, comment or thumbnail,
    read back with Pillow and with exiftool. Returns the decoded image."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert not image.getexif()
    assert image.applist == [("APP0", image.applist[0][1])]  # the JFIF header, nothing else
    tags = exiftool_groups(data)
    groups = {name.split(":", 1)[0] for name in tags if ":" in name}
    assert groups <= HARMLESS_GROUPS, sorted(groups - HARMLESS_GROUPS)
    assert not any("GPS" in name or "Comment" in name for name in tags), tags
    return image


def colour_at(image: Image.Image, x: float, y: float) -> tuple[int, int, int]:
    """The colour at a point given in fractions of the width and height."""
    rgb = image.convert("RGB")
    pixel = rgb.getpixel((int(x * (rgb.width - 1)), int(y * (rgb.height - 1))))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def is_red(colour: tuple[int, int, int]) -> bool:
    return colour[0] > 150 and colour[2] < 100


def is_blue(colour: tuple[int, int, int]) -> bool:
    return colour[2] > 150 and colour[0] < 100
