"""Draw Makker's app icons (a white shield with a check mark on #0b4f5c) as PNGs for the manifest.

Dev-time tool (needs Pillow): `python -m app.pwa.icons` writes static/img/icon-192.png,
icon-512.png and icon-maskable-512.png. The shapes follow static/img/icon.svg (24-unit grid)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
IMG = ROOT / "static" / "img"
TEAL = (11, 79, 92, 255)  # #0b4f5c
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def _cubic(p0, p1, p2, p3, steps: int = 48):
    for i in range(1, steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        yield (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])


def shield() -> list[tuple[float, float]]:
    """M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3Z"""
    points = [(12, 2), (4, 5), (4, 11)]
    points += list(_cubic((4, 11), (4, 16), (7.4, 20.7), (12, 22)))
    points += list(_cubic((12, 22), (16.6, 20.7), (20, 16), (20, 11)))
    points += [(20, 5)]
    return points


def check() -> list[tuple[float, float]]:
    """M9.8 15.6 6.5 12.3l1.4-1.4 1.9 1.9 5.3-5.3 1.4 1.4-6.7 6.7Z"""
    return [(9.8, 15.6), (6.5, 12.3), (7.9, 10.9), (9.8, 12.8), (15.1, 7.5), (16.5, 8.9)]


def draw(size: int, *, maskable: bool = False):
    from PIL import Image, ImageDraw

    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        # Full bleed: the platform cuts its own shape; the shield stays inside the 80 % safe circle.
        pen.rectangle((0, 0, big, big), fill=TEAL)
        scale = 0.028 * big
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 5 / 24, fill=TEAL)
        scale = 0.75 * big / 24  # as in icon.svg: translate(3 3) scale(.75)

    def place(points):
        return [(big / 2 + (x - 12) * scale, big / 2 + (y - 12) * scale) for x, y in points]

    pen.polygon(place(shield()), fill=WHITE)
    pen.polygon(place(check()), fill=TEAL)
    return image.resize((size, size), Image.Resampling.LANCZOS)


ICONS = {"icon-192.png": (192, False), "icon-512.png": (512, False), "icon-maskable-512.png": (512, True)}


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in ICONS.items():
        path = IMG / name
        # A 64-colour palette keeps the anti-aliased edges and makes the files a third of the size.
        draw(size, maskable=maskable).quantize(64, method=2).save(path, optimize=True)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
