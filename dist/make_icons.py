#!/usr/bin/env python3
"""Draws the app icon and writes every file the packages need, with the standard library only.

    python3 dist/make_icons.py          # rewrites assets/icons/ (commit the result)

Output (assets/icons/):
  parking-iot-<N>.png   N = 16 24 32 48 64 128 256 512 1024 (hicolor sizes, the window icon, .icns)
  parking-iot.ico       Windows: PNG-compressed entries 16..256 (Vista and later read these)
  parking-iot.icns      macOS: PNG entries 16..1024 (icp4, icp5, icp6, ic07..ic14)

The icon is a blue rounded square with a white "P" (the parking sign) and two green signal arcs
(the IoT feed). Shapes are signed distance functions, so each size is drawn directly at its own
resolution with one-pixel anti-aliasing instead of being scaled down from a large bitmap; the
output is deterministic (same bytes on every run), so a regenerated file shows no diff.
"""

import math
import os
import struct
import sys
import zlib

SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024]
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
# ICNS types that hold PNG data, by pixel size (the @2x variants share a size with a plain one).
ICNS_TYPES = [
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
]

BLUE_TOP = (30, 136, 229)
BLUE_BOTTOM = (13, 71, 161)
WHITE = (255, 255, 255)
GREEN = (102, 187, 106)


def sd_box(x, y, x0, y0, x1, y1):
    """Signed distance to an axis-aligned rectangle (negative inside)."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    dx, dy = abs(x - cx) - hx, abs(y - cy) - hy
    outside = math.hypot(max(dx, 0.0), max(dy, 0.0))
    return outside + min(max(dx, dy), 0.0)


def sd_round_box(x, y, x0, y0, x1, y1, r):
    """Signed distance to a rectangle with rounded corners of radius r."""
    return sd_box(x, y, x0 + r, y0 + r, x1 - r, y1 - r) - r


def sd_circle(x, y, cx, cy, r):
    return math.hypot(x - cx, y - cy) - r


def sd_letter_p(x, y):
    """The "P": a stem plus a bowl (a D shape with its counter cut out)."""
    stem = sd_box(x, y, 0.28, 0.22, 0.41, 0.78)
    outer = min(sd_box(x, y, 0.28, 0.22, 0.50, 0.58), sd_circle(x, y, 0.50, 0.40, 0.18))
    inner = min(sd_box(x, y, 0.36, 0.31, 0.50, 0.49), sd_circle(x, y, 0.50, 0.40, 0.09))
    bowl = max(outer, -inner)
    return min(stem, bowl)


def sd_signal(x, y):
    """A dot and two arcs opening to the upper right, as on a wireless sensor."""
    cx, cy = 0.62, 0.77
    dot = sd_circle(x, y, cx, cy, 0.045)
    d = math.hypot(x - cx, y - cy)
    arcs = min(abs(d - 0.11) - 0.024, abs(d - 0.18) - 0.024)
    # Keep the quarter between "right" and "up" (y grows downwards), with some margin.
    ux, uy = x - cx, cy - y
    wedge = max(-ux + 0.02, -uy + 0.02)
    return min(dot, max(arcs, wedge))


def coverage(d, pixel):
    """Anti-aliased coverage of a shape at signed distance d, for a pixel of size `pixel`."""
    return min(1.0, max(0.0, 0.5 - d / pixel))


def render(n):
    """RGBA rows of the icon at n x n pixels."""
    pixel = 1.0 / n
    rows = []
    for j in range(n):
        y = (j + 0.5) * pixel
        t = j / max(n - 1, 1)
        bg = tuple(BLUE_TOP[k] + (BLUE_BOTTOM[k] - BLUE_TOP[k]) * t for k in range(3))
        row = bytearray()
        for i in range(n):
            x = (i + 0.5) * pixel
            # macOS-style margin: the square fills about 84 % of the canvas.
            a_bg = coverage(sd_round_box(x, y, 0.08, 0.08, 0.92, 0.92, 0.18), pixel)
            if a_bg <= 0.0:
                row += b"\0\0\0\0"
                continue
            colour = list(bg)
            a_p = coverage(sd_letter_p(x, y), pixel)
            a_s = coverage(sd_signal(x, y), pixel)
            for k in range(3):
                colour[k] = colour[k] * (1 - a_p) + WHITE[k] * a_p
                colour[k] = colour[k] * (1 - a_s) + GREEN[k] * a_s
            row += bytes(int(round(c)) for c in colour) + bytes([int(round(a_bg * 255))])
        rows.append(bytes(row))
    return rows


def png(n, rows):
    """A PNG file (8-bit RGBA, no interlace) from RGBA rows."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + r for r in rows)  # filter type 0 on every row
    ihdr = struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(pngs):
    """An .ico whose entries are PNG images (width/height byte 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(ICO_SIZES))
    offset = 6 + 16 * len(ICO_SIZES)
    entries, data = b"", b""
    for n in ICO_SIZES:
        blob = pngs[n]
        side = 0 if n >= 256 else n
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return header + entries + data


def icns(pngs):
    """An .icns made of PNG entries; lengths include each 8-byte header."""
    body = b""
    for kind, n in ICNS_TYPES:
        blob = pngs[n]
        body += kind + struct.pack(">I", len(blob) + 8) + blob
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "assets", "icons")
    os.makedirs(out, exist_ok=True)
    pngs = {}
    for n in SIZES:
        pngs[n] = png(n, render(n))
        with open(os.path.join(out, f"parking-iot-{n}.png"), "wb") as f:
            f.write(pngs[n])
    with open(os.path.join(out, "parking-iot.ico"), "wb") as f:
        f.write(ico(pngs))
    with open(os.path.join(out, "parking-iot.icns"), "wb") as f:
        f.write(icns(pngs))
    print(f"wrote {len(SIZES)} PNGs, parking-iot.ico and parking-iot.icns into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
