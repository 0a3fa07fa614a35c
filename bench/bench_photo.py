"""Photo processing per upload: time and peak memory, and what a photo adds to a feed card.

    .venv/bin/python bench/bench_photo.py [--runs 5]

Each input is processed in a fresh child process (so one case's memory high-water mark does
not hide another's): peak memory is the growth of the child's maximum resident set size
(`VmHWM`) over what it held after importing Pillow and reading the upload, i.e. what the
processing itself needs on top of the upload's bytes. Time is the median of `--runs` calls of
`app.services.images.process` (decode, orientation, resize, strip, two WebP encodes). Storage
and database are not included (one write per image, one short transaction).

The last line is the cost per feed card: `photo_fields` (two HMAC-SHA256 signatures, cached
per URL expiry step, and two URLs) from the three columns the feed's page query already
reads; no database round trip.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _inputs(folder: Path) -> list[tuple[str, Path]]:
    from PIL import Image

    def gradient(width: int, height: int) -> Image.Image:
        # A photo-like image: smooth areas and some detail (noise), so encoders work for real.
        base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        noise = Image.effect_noise((width, height), 40).convert("RGB")
        return Image.blend(base, noise, 0.3)

    cases = []

    def save(name: str, image: Image.Image, fmt: str, **options: object) -> None:
        path = folder / name
        image.save(path, fmt, **options)
        cases.append((name, path))

    phone = gradient(4032, 3024)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5)})
    save("12 MP phone JPEG (4032x3024, q90, EXIF+GPS)", phone, "JPEG", quality=90, exif=exif)
    save("24 MP camera JPEG (6000x4000, q92)", gradient(6000, 4000), "JPEG", quality=92)
    save("12 MP PNG (4032x3024)", phone, "PNG")
    save("25 MP PNG (5000x5000, the pixel limit)", gradient(5000, 5000), "PNG", compress_level=1)
    save("12 MP WebP (4032x3024)", phone, "WEBP", quality=85)
    noise = Image.frombytes("RGB", (1820, 1820), os.urandom(3 * 1820 * 1820))
    save("9.9 MB noise PNG (1820x1820, the byte limit)", noise, "PNG")
    return cases


def _high_water_kb() -> int:
    """The process's peak resident set (VmHWM; unlike ru_maxrss it starts afresh at exec,
    so the parent's memory for making the inputs does not count)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(path: str, runs: int) -> None:
    from app.services import images

    data = Path(path).read_bytes()
    before = _high_water_kb()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        images.process(data, max_pixels=25_000_000)
        times.append(time.perf_counter() - start)
    after = _high_water_kb()
    print(
        json.dumps(
            {
                "bytes": len(data),
                "ms": statistics.median(times) * 1000,
                "peak_mb": (after - before) / 1024,
            }
        )
    )


def _card_cost() -> tuple[float, float]:
    """µs per card: a card first seen in its URL expiry step (two signatures computed), and
    one seen again (signatures cached)."""
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    from app.services.photos import photo_fields

    n = 20000
    fresh = [f"{i:032x}" for i in range(n)]
    start = time.perf_counter()
    for key in fresh:
        photo_fields(key, 540, 720)
    cold = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for key in fresh[:20] * (n // 20):
        photo_fields(key, 540, 720)
    warm = (time.perf_counter() - start) / n * 1e6
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = _inputs(Path(tmp))
        print(f"{'input':<48} {'upload':>9} {'time (median)':>14} {'peak memory':>12}")
        for name, path in cases:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(
                f"{name:<48} {result['bytes'] / 1e6:>7.1f} MB {result['ms']:>11.0f} ms "
                f"{result['peak_mb']:>9.0f} MB"
            )
    cold, warm = _card_cost()
    print(
        f"feed card: photo_fields adds {cold:.1f} µs per card first seen in a URL step, "
        f"{warm:.1f} µs when seen again (no round trip)"
    )


if __name__ == "__main__":
    main()
