"""Writes the PWA's PNG icons (a white oxygen "O₂" drop mark on the brand teal) without Pillow.

Run `python -m eslamed.devtools.pwa_icons` after changing the design; the PNGs are committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

PWA_ICONS = Path(__file__).resolve().parents[2] / "pwa" / "icons"
TEAL = (0, 122, 120)
WHITE = (255, 255, 255)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int, height: int, pixel) -> bytes:
    """8-bit RGB PNG; `pixel(x, y)` returns an (r, g, b) tuple."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


def icon_pixel(size: int):
    """A ring (the "O") inside the maskable safe zone, with a small dot (the "2") at its lower right."""
    c = size / 2
    outer, inner = size * 0.30, size * 0.20
    dot_x, dot_y, dot_r = size * 0.70, size * 0.70, size * 0.07

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        d2 = (x - c) ** 2 + (y - c) ** 2
        if inner**2 <= d2 <= outer**2 or (x - dot_x) ** 2 + (y - dot_y) ** 2 <= dot_r**2:
            return WHITE
        return TEAL

    return pixel


def main() -> None:
    PWA_ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        path = PWA_ICONS / f"icon-{size}.png"
        path.write_bytes(png(size, size, icon_pixel(size)))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
