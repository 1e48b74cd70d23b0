"""Draws the app icons (a white "DL" monogram) and writes color.png and outline.png.

``python -m manifest.icons`` regenerates both files next to this module.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

MANIFEST_DIR = Path(__file__).resolve().parent
COLOR_FILE = "color.png"
OUTLINE_FILE = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
REGION_BLUE = (0x00, 0x5A, 0x9C)
WHITE = (255, 255, 255)

# The monogram is drawn on a 100x100 grid and scaled; drawing large and shrinking gives
# anti-aliased edges, which Pillow's primitives do not have on their own.
_GRID = 100
_SUPERSAMPLE = 8


def monogram_mask(size: int) -> Image.Image:
    """An 8-bit mask (255 = ink) of the "DL" monogram filling a ``size`` x ``size`` square."""
    scale = size * _SUPERSAMPLE / _GRID
    big = round(size * _SUPERSAMPLE)
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)

    def box(left: float, top: float, right: float, bottom: float) -> tuple[int, int, int, int]:
        return round(left * scale), round(top * scale), round(right * scale), round(bottom * scale)

    right_side = (False, True, True, False)
    draw.rounded_rectangle(box(4, 14, 52, 86), radius=round(30 * scale), fill=255, corners=right_side)
    draw.rounded_rectangle(box(18, 28, 38, 72), radius=round(14 * scale), fill=0, corners=right_side)
    draw.rectangle(box(60, 14, 74, 86), fill=255)
    draw.rectangle(box(60, 72, 96, 86), fill=255)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def draw_color_icon(size: int = COLOR_SIZE) -> Image.Image:
    """Full-bleed Region Dalarna blue with the white monogram; Teams rounds the corners itself."""
    icon = Image.new("RGB", (size, size), REGION_BLUE)
    glyph_size = round(size * 0.58)
    offset = (size - glyph_size) // 2
    icon.paste(WHITE, (offset, offset), monogram_mask(glyph_size))
    return icon


def draw_outline_icon(size: int = OUTLINE_SIZE) -> Image.Image:
    """The white monogram on a fully transparent background, as Teams requires for outlines."""
    glyph_size = size - 4
    offset = (size - glyph_size) // 2
    alpha = Image.new("L", (size, size), 0)
    alpha.paste(monogram_mask(glyph_size), (offset, offset))
    # Every pixel stays pure white; only its alpha varies, so edges are white-on-transparent.
    icon = Image.new("RGBA", (size, size), (*WHITE, 0))
    icon.putalpha(alpha)
    return icon


def write_icons(directory: Path = MANIFEST_DIR) -> tuple[Path, Path]:
    """Write color.png and outline.png into ``directory``; returns their paths."""
    color_path = directory / COLOR_FILE
    outline_path = directory / OUTLINE_FILE
    draw_color_icon().save(color_path, format="PNG", optimize=True)
    draw_outline_icon().save(outline_path, format="PNG", optimize=True)
    return color_path, outline_path


def main() -> None:
    for path in write_icons():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
