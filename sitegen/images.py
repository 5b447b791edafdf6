"""Image sizes read from file headers (PNG, JPEG, GIF, SVG), for width/height and og:image."""

from __future__ import annotations

import re
import struct

SVG_SIZE = re.compile(rb"<svg[^>]*?\bviewBox=[\"']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)", re.S)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) in pixels, or None when the format is not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    found = SVG_SIZE.search(data[:4096])
    if found:
        return round(float(found.group(1))), round(float(found.group(2)))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Return the size from a JPEG's first start-of-frame marker."""
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return int(width), int(height)
        index += 2 + length
    return None
