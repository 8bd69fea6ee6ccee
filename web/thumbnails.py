"""Small previews of image evidence, made with Pillow.

A thumbnail is decoded from the stored upload once, turned upright (EXIF orientation),
shrunk, and re-encoded without any metadata (no GPS, no camera serial), then cached on disk
beside the uploads so the next request only reads a file.
"""
import os
import secrets
from pathlib import Path

from PIL import Image, ImageOps

THUMBNAIL_MAX_PX = 320
# A phone photo is ~12-50 Mpx; anything far larger is a decompression bomb, not evidence.
MAX_SOURCE_PIXELS = 80_000_000
# Pillow warns above this and raises DecompressionBombError at twice it, before decoding.
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
THUMBNAIL_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


class NotAnImage(Exception):
    """The stored file cannot be decoded safely (corrupt, truncated or too many pixels)."""


def thumbnail_format(content_type: str) -> tuple[str, str]:
    """(Pillow format, content type) of the thumbnail: PNG keeps transparency, the rest JPEG."""
    if content_type in ("image/png", "image/gif"):
        return "PNG", "image/png"
    return "JPEG", "image/jpeg"


def cached_thumbnail(source: Path, cache_dir: Path, content_type: str) -> Path:
    """The thumbnail file of `source`, made on first use. Raises NotAnImage."""
    pillow_format, _ = thumbnail_format(content_type)
    target = cache_dir / f"{source.name}.{THUMBNAIL_MAX_PX}.{pillow_format.lower()}"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f"{target.name}.{secrets.token_hex(4)}.part"
    try:
        _render(source, partial, pillow_format)
        os.replace(partial, target)  # atomic: concurrent first requests never see half a file
    finally:
        partial.unlink(missing_ok=True)
    return target


def _render(source: Path, target: Path, pillow_format: str) -> None:
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise NotAnImage("too many pixels")
            image.seek(0)  # GIF: the first frame
            image.draft("RGB", (THUMBNAIL_MAX_PX * 2, THUMBNAIL_MAX_PX * 2))  # JPEG: decode at reduced scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
            if pillow_format == "JPEG":
                upright = upright.convert("RGB")
            elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
                upright = upright.convert("RGBA")
            # A fresh image carries no info/EXIF/ICC: nothing of the camera's metadata survives.
            clean = Image.new(upright.mode, upright.size)
            clean.paste(upright)
            clean.save(target, pillow_format, quality=80, optimize=True)
    except NotAnImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise NotAnImage("decompression bomb") from err
    except (OSError, ValueError, SyntaxError, EOFError) as err:  # Pillow's ways of saying "corrupt"
        raise NotAnImage(str(err)) from err
