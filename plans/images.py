"""Checking and re-encoding an uploaded exercise picture (DESIGN §9, SECURITY-CHECKS 20).

No Django here: `check_image` is handed a file and returns the bytes to store, or refuses with one
sentence a member of staff can act on. What a file *is* comes from its content as Pillow reads it,
never from its name or the content type the browser sent.

The order matters. The size on disk is checked before anything is decoded; the dimensions are read
from the header by `Image.open` and checked before a pixel is decompressed (`load()`), so a small
file that claims to be 100,000 × 100,000 px is refused without filling memory. Pillow's own guard
(`Image.MAX_IMAGE_PIXELS`, left at its default: it is process-wide and other code decodes images
too) raises `DecompressionBombError` for the most extreme claims and warns for lesser ones; the
warning is turned into a refusal here. Our own limit (4,000 px a side) is far below both.

Decisions:

- An animated PNG or WebP is refused: a programme is printed and put in a PDF, where only one
  frame shows, and that frame may not be the one that explains the exercise.
- A camera's multi-picture JPEG (MPO: the photo plus a preview) is a JPEG: its first picture, the
  photo, is kept.
- A CMYK JPEG is converted to RGB (through its ICC profile when it has one, so colours hold);
  other ICC profiles are converted to sRGB and dropped.
- A palette PNG with transparency becomes RGBA, so the transparency survives re-encoding.
- EXIF orientation is applied first, then every piece of metadata (EXIF with GPS, XMP, text
  chunks, comments, ICC) is dropped: only pixels are written back.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
THUMB_SIDE = 480

# Pillow's format name → what is stored (plans.models.ImageFormat's values) and the extension.
FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

NOT_A_PICTURE = "This file is not a JPEG, PNG or WebP picture."
EMPTY = "This file is empty: choose a JPEG, PNG or WebP picture."
DAMAGED = "This picture is damaged or incomplete; save it again and upload the new file."
ANIMATED = "This picture is animated; upload a still JPEG, PNG or WebP picture."
BOMB = (
    "This picture claims to be far larger than 4,000 px a side, so it was not opened; "
    "save it smaller and upload it again."
)


class ImageRefused(ValueError):
    """A picture that will not be stored, with the sentence that says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedImage:
    """A picture that passed the checks, re-encoded without metadata, with its thumbnail."""

    format: str  # "jpeg", "png" or "webp"
    width: int
    height: int
    image: bytes
    thumbnail: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def _megabytes(size: int) -> str:
    # Rounded up, so a file just over the limit never reads "5.0 MB; the most is 5 MB".
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}"


def _read(upload: IO[bytes]) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImageRefused(f"This picture is {_megabytes(size)} MB; the most is 5 MB.")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        total = size if size is not None else len(data) + len(upload.read())
        raise ImageRefused(f"This picture is {_megabytes(total)} MB; the most is 5 MB.")
    if not data:
        raise ImageRefused(EMPTY)
    return data


def _open(data: bytes) -> Image.Image:
    """Open from the header only (nothing decoded yet), bombs refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=("JPEG", "PNG", "WEBP"))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(BOMB) from None
        except UnidentifiedImageError:
            raise ImageRefused(NOT_A_PICTURE) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            # A header Pillow recognised but could not read: a damaged file of a known kind.
            raise ImageRefused(DAMAGED) from None


def _check_header(image: Image.Image) -> str:
    kind = FORMATS.get(image.format or "")
    if kind is None:
        raise ImageRefused(NOT_A_PICTURE)
    width, height = image.size
    if width > MAX_SIDE:
        raise ImageRefused(f"This picture is {width:,} px wide; the most is 4,000 px a side.")
    if height > MAX_SIDE:
        raise ImageRefused(f"This picture is {height:,} px high; the most is 4,000 px a side.")
    if width < 1 or height < 1:
        raise ImageRefused(DAMAGED)
    if image.format != "MPO" and getattr(image, "is_animated", False):
        raise ImageRefused(ANIMATED)
    return kind


def _decode(data: bytes) -> Image.Image:
    """verify() reads the whole file's structure (PNG checksums, chunk lengths); it leaves the
    image unusable, so the file is opened again and its pixels loaded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            _open(data).verify()
            image = _open(data)
            image.load()  # raises OSError for a truncated file (LOAD_TRUNCATED_IMAGES is off)
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(BOMB) from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
            raise ImageRefused(DAMAGED) from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels in RGB(A), L(A) or P, in sRGB when the file said which colours it meant."""
    profile = image.info.get("icc_profile")
    if image.mode == "CMYK" or (profile and image.mode in ("RGB", "RGBA")):
        output = "RGBA" if image.mode == "RGBA" else "RGB"
        if profile:
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
                srgb = ImageCms.createProfile("sRGB")
                return ImageCms.profileToProfile(image, source, srgb, outputMode=output)
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass  # an unreadable profile: fall back to Pillow's plain conversion
        return image.convert(output)
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("1", "L", "LA", "RGB", "RGBA"):
        return image
    if image.mode.startswith("I") or image.mode == "F":  # 16- or 32-bit greyscale PNG
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = "A" in image.getbands()
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode(image: Image.Image, kind: str) -> bytes:
    # A copy with an empty `info` and no EXIF: nothing of the original's metadata can be written.
    clean = image.copy()
    clean.info = {}
    out = io.BytesIO()
    if kind == "jpeg":
        if clean.mode not in ("L", "RGB"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=85, optimize=True)
    elif kind == "png":
        clean.save(out, "PNG")
    else:
        clean.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def check_image(upload: IO[bytes]) -> CheckedImage:
    """Check an uploaded picture and re-encode it; raise ImageRefused with a sentence for staff."""
    data = _read(upload)
    kind = _check_header(_open(data))
    image = _decode(data)
    if image.format == "MPO":
        image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    image = _to_srgb(image)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return CheckedImage(
        format=kind,
        width=image.width,
        height=image.height,
        image=_encode(image, kind),
        thumbnail=_encode(thumb, kind),
    )
