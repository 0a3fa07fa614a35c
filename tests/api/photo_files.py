"""Photos for the tests, made here: real ones with metadata, and hostile files."""

import io
import struct
import zlib

from PIL import Image

SECRET_MODEL = "SecretCameraModel-9"
SECRET_COMMENT = b"secret comment: taken at home"
GPS_LATITUDE = (52.0, 22.0, 1.5)


def jpeg_with_metadata(width: int = 1600, height: int = 1200, orientation: int = 6) -> bytes:
    """Left half red, right half blue; GPS position, camera, date, comment, orientation."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x010F] = "SecretMaker"  # Make
    exif[0x0110] = SECRET_MODEL  # Model
    exif[0x0132] = "2026:05:01 10:00:00"  # DateTime
    exif[0x0112] = orientation
    exif.get_ifd(0x8825).update({1: "N", 2: GPS_LATITUDE, 3: "E", 4: (4.0, 53.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=SECRET_COMMENT, quality=90)
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png(width: int = 400, height: int = 300, mode: str = "RGB") -> bytes:
    return encoded(Image.new(mode, (width, height), "green"), "PNG")


def webp(width: int = 400, height: int = 300) -> bytes:
    return encoded(Image.new("RGBA", (width, height), (0, 128, 0, 128)), "WEBP")


def noise_png(side: int) -> bytes:
    """Incompressible: about 3 x side^2 bytes."""
    import os

    return encoded(Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)), "PNG")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(width: int = 5000, height: int = 5001) -> bytes:
    """A real decompression bomb: a valid PNG of width x height black pixels in a few tens
    of KB (25 MP at the defaults: just over PHOTO_MAX_PIXELS)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def huge_header_png() -> bytes:
    """Announces 60000 x 60000 pixels, holds almost nothing."""
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + _chunk(b"IEND", b"")
    )


def animated_png() -> bytes:
    frames = [Image.new("RGB", (200, 200), c) for c in ("red", "blue")]
    return encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (200, 200), c) for c in ("red", "blue")]
    return encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:])


def gif() -> bytes:
    return encoded(Image.new("RGB", (200, 200), "red"), "GIF")


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML_PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"
