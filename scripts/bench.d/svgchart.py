"""A small hand-written SVG line chart (no plotting library), for the benchmark's soak results."""

import math
import textwrap
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 50, 50
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def nice_step(span, ticks=5):
    """A round tick step (1, 2 or 5 × 10^k) giving about `ticks` ticks over `span`."""
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def line_chart(title, subtitle, x_label, y_label, series):
    """An SVG document: `series` is [(name, [(x, y), …]), …], drawn as lines with dots; the y axis
    starts at 0 so growth is not exaggerated."""
    xs = [x for _, points in series for x, _ in points]
    ys = [y for _, points in series for _, y in points]
    x_max = max(xs) or 1
    y_step = nice_step(max(ys))
    y_max = y_step * (int(max(ys) / y_step) + 1)
    x_step = nice_step(x_max)
    subtitle_lines = textwrap.wrap(subtitle, 100)
    top = TOP + 13 * max(len(subtitle_lines) - 1, 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - top - BOTTOM

    def px(x):
        return LEFT + x / x_max * plot_w

    def py(y):
        return top + plot_h - y / y_max * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
           *(f'<text x="{LEFT}" y="{34 + 13 * i}" fill="#555">{escape(line)}</text>'
             for i, line in enumerate(subtitle_lines))]
    tick = 0.0
    while tick <= y_max + 1e-9:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += y_step
    tick = 0.0
    while tick <= x_max + 1e-9:
        out.append(f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                   'stroke="#333"/>')
        out.append(f'<text x="{px(tick):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{tick:,.0f}</text>')
        tick += x_step
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(y_label)}</text>')
    for index, (name, points) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}"><title>'
                       f'{escape(name)}: {y:.1f} MB at {x:,} turns</title></circle>')
        legend_y = top + 12 + index * 16
        out.append(f'<line x1="{LEFT + plot_w - 110}" x2="{LEFT + plot_w - 90}" y1="{legend_y - 4}" '
                   f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{LEFT + plot_w - 84}" y="{legend_y}">{escape(name)}</text>')
    out.append("</svg>\n")
    return "\n".join(out)
