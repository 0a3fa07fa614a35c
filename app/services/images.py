"""Decoding an uploaded photo for real and re-encoding it without anything but its pixels.

Pure and synchronous (Pillow releases the GIL while it decodes and encodes): the caller runs
it in a worker thread, a bounded number at a time (app/services/photos.py).

- Only JPEG, PNG and WebP decoders are tried, whatever the file name or Content-Type say;
  anything else (GIF, SVG, HTML, a GIF renamed .jpg, ...) is refused.
- Refused before a pixel is decoded: animated images, more than PHOTO_MAX_PIXELS pixels (a
  decompression bomb announces its size in the header), sides under MIN_SIDE or a long side
  more than MAX_ASPECT times the short one (e.g. 1 x 100000).
- Refused while decoding: truncated or corrupt data; PNG and WebP files with bytes after the
  image's end (a polyglot: an image that is also HTML, a ZIP, ...). JPEG files may carry data
  after their end marker (phones append motion-photo videos there); it is never decoded and
  never stored.
- What is stored is a new WebP made from the decoded pixels only, after the EXIF orientation
  is applied: no EXIF (GPS, camera, dates), XMP, ICC profile or comment survives.

Memory: a JPEG is decoded at a reduced scale (libjpeg's DCT scaling to the first size of at
least CARD_PX), anything else at full size, so the peak per upload is about the upload's
bytes plus 4 bytes per pixel of the decoded image (at most PHOTO_MAX_PIXELS x 4 for a PNG or
WebP: 100 MB at the default 25 MP; a 12 MP phone JPEG needs a few MB).
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
CARD_PX = 720  # the card image's long side
THUMB_PX = 160  # the square thumbnail's side
MIN_SIDE = 64
MAX_ASPECT = 4
WEBP_QUALITY = 82
CONTENT_TYPE = "image/webp"

NOT_AN_IMAGE = "The file is not a JPEG, PNG or WebP image."
ANIMATED = "Animated images are not accepted; upload a still photo."
DAMAGED = "The image is damaged or incomplete."
TRAILING_DATA = "The file holds more than one image (data after the image's end)."


class PhotoRefused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Processed:
    card: bytes  # WebP, long side at most CARD_PX
    thumb: bytes  # WebP, THUMB_PX x THUMB_PX
    width: int  # the card image's size
    height: int


def too_many_pixels(max_pixels: int) -> str:
    return f"The image has more than {max_pixels} pixels."


def bad_shape() -> str:
    return (
        f"Each side must be at least {MIN_SIDE} px and the long side at most "
        f"{MAX_ASPECT} times the short one."
    )


def process(data: bytes, *, max_pixels: int) -> Processed:
    """The card image and thumbnail of an uploaded photo, or `PhotoRefused`."""
    try:
        # Pillow's own bomb check (warning/error at MAX_IMAGE_PIXELS) is global state; ours is
        # the explicit size check below, before anything is decoded.
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            _check_header(image, data, max_pixels)
            # JPEG: let libjpeg decode at 1/2, 1/4 or 1/8 scale, the smallest that still
            # covers CARD_PX on both sides (a 12 MP photo decodes as ~0.8 MP).
            image.draft("RGB", (CARD_PX, CARD_PX))
            image.thumbnail((CARD_PX, CARD_PX), Image.Resampling.LANCZOS, reducing_gap=3.0)
            oriented = ImageOps.exif_transpose(image)
            pixels = _pixels_only(oriented)
    except PhotoRefused:
        raise
    except UnidentifiedImageError:
        raise PhotoRefused(NOT_AN_IMAGE) from None
    except Image.DecompressionBombError:
        raise PhotoRefused(too_many_pixels(max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError):
        # What Pillow's decoders raise on truncated or malformed data.
        raise PhotoRefused(DAMAGED) from None
    thumb = ImageOps.fit(pixels, (THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
    return Processed(
        card=_webp(pixels), thumb=_webp(thumb), width=pixels.width, height=pixels.height
    )


def _check_header(image: Image.Image, data: bytes, max_pixels: int) -> None:
    if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
        raise PhotoRefused(ANIMATED)
    width, height = image.size
    if width * height > max_pixels:
        raise PhotoRefused(too_many_pixels(max_pixels))
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
        raise PhotoRefused(bad_shape())
    if image.format == "PNG" and not data.endswith(b"IEND\xaeB`\x82"):
        raise PhotoRefused(TRAILING_DATA)
    if image.format == "WEBP":
        riff_size = int.from_bytes(data[4:8], "little") + 8
        if len(data) not in (riff_size, riff_size + 1):  # RIFF pads odd sizes with one byte
            raise PhotoRefused(TRAILING_DATA)


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels (in RGB, or RGBA when there is transparency):
    nothing of the file's `info` (EXIF, XMP, ICC, comments) can reach the encoder."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    converted = image.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()
