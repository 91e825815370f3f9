"""Small charts drawn as SVG on the server (the deadlines dashboard, issue 14 part 7): a horizontal stacked
bar per row, a row of columns, and one bar per item. No JavaScript, no external resource, no <style> and no
style= attribute (the pages' Content-Security-Policy allows neither): every colour and size is an SVG
presentation attribute. Every text given is escaped; the caller's numbers are written beside or inside the
shapes, so a chart is read without telling colours apart, and the page puts the same figures in a table.

Pure: no Flask, no database. Each chart is one <svg role="img"> with a <title> and a <desc> (referenced by
aria-labelledby), sized by its viewBox to the width of its container.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
GRID = "#cbd2d9"
CHAR_WIDTH = 0.6  # an average glyph's width in ems (Latin and Cyrillic), to place and fit labels
LABEL_MAX = 64  # characters of a label drawn in a chart; the full text stays in its <title> and in the table


@dataclass(frozen=True)
class Series:
    """One state of a stacked bar: its legend label, its fill (a colour, or a pattern drawn in `hatch`), the
    colour of a number written inside it, and an outline (for a fill as light as the page)."""

    key: str
    label: str
    fill: str
    text_fill: str = INK
    hatch: str | None = None  # stripes of this colour over `fill`, so the state differs by more than colour
    stroke: str | None = None
    dashed: bool = False


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def clip(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, size: float = 13, fill: str = INK, anchor: str = "start",
          weight: str | None = None) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" fill="{fill}" '
            f'text-anchor="{anchor}"{bold}>{escape(content)}</text>')


def _open(chart_id: str, width: float, height: float, title: str, desc: str) -> list[str]:
    ident = quoteattr(chart_id)[1:-1]
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" height="{_num(height)}" '
            f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{ident}-title {ident}-desc" '
            f'font-family={quoteattr(FONT)}>',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(desc)}</desc>']


def _fill(chart_id: str, s: Series) -> str:
    return f"url(#{chart_id}-{s.key})" if s.hatch else s.fill


def _defs(chart_id: str, series: Sequence[Series]) -> str:
    patterns = [f'<pattern id="{chart_id}-{s.key}" patternUnits="userSpaceOnUse" width="7" height="7" '
                f'patternTransform="rotate(45)"><rect width="7" height="7" fill="{s.fill}"/>'
                f'<line x1="0" y1="0" x2="0" y2="7" stroke="{s.hatch}" stroke-width="2.5"/></pattern>'
                for s in series if s.hatch]
    return f"<defs>{''.join(patterns)}</defs>" if patterns else ""


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str | None = None, dashed: bool = False,
          tip: str | None = None) -> str:
    outline = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
    if stroke and dashed:
        outline += ' stroke-dasharray="4 3"'
    body = f"<title>{escape(tip)}</title>" if tip else ""
    return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}"{outline}>'
            f"{body}</rect>" if body else
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}"{outline}/>')


def _legend(chart_id: str, series: Sequence[Series], x: float, y: float, width: float, size: float = 13) -> \
        tuple[list[str], float]:
    """The legend as swatches with labels, wrapped to `width`; returns its parts and its height."""
    parts, cx, cy, line = [], x, y, size + 10
    for s in series:
        item = 16 + 6 + text_width(s.label, size) + 18
        if cx > x and cx + item > x + width:
            cx, cy = x, cy + line
        parts.append(_rect(cx, cy, 16, 16, _fill(chart_id, s), s.stroke, s.dashed))
        parts.append(_text(cx + 22, cy + 13, s.label, size=size))
        cx += item
    return parts, cy + line - y


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[Series], *, chart_id: str,
                 title: str, desc: str, total_label: str = "", width: float = 640) -> str:
    """One horizontal bar per row, its segments in the order of `series`, each number written inside its
    segment when it fits and all of them written under the bar ("label n · label n …") in any case; the
    row's total at the bar's end. Bars share one scale (the largest total), so rows compare by length."""
    size, bar_h, gap = 13.0, 26.0, 12.0
    legend, legend_h = _legend(chart_id, series, 0, 0, width)
    top = legend_h + 10
    longest = max((sum(values) for _, values in rows), default=0)
    total_w = max((text_width(str(sum(v)), size) for _, v in rows), default=0) + 12
    scale_w = width - total_w
    row_h = size + 6 + bar_h + 6 + size + gap
    height = top + row_h * max(len(rows), 1) + 4
    out = _open(chart_id, width, height, title, desc)
    out.append(_defs(chart_id, series))
    out += legend
    y = top
    if not rows:
        out.append(_text(0, y + size + 4, desc, size=size, fill=MUTED))
    for label, values in rows:
        out.append(_text(0, y + size, clip(label), size=size, weight="600"))
        by = y + size + 6
        x = 0.0
        total = sum(values)
        out.append(_rect(0, by, scale_w, bar_h, "#f5f7fa", GRID))  # the scale's full length, faintly
        for s, v in zip(series, values, strict=True):
            if v <= 0 or longest <= 0:
                continue
            w = scale_w * v / longest
            out.append(_rect(x, by, w, bar_h, _fill(chart_id, s), s.stroke, s.dashed, tip=f"{s.label}: {v}"))
            shown = str(v)
            if text_width(shown, size) + 8 <= w:
                # on a hatched segment the number sits on a plain chip, readable over the stripes
                if s.hatch:
                    cw = text_width(shown, size) + 6
                    out.append(_rect(x + w / 2 - cw / 2, by + bar_h / 2 - size / 2 - 2, cw, size + 4, s.fill))
                out.append(_text(x + w / 2, by + bar_h / 2 + size * 0.35, shown, size=size, fill=s.text_fill,
                                 anchor="middle", weight="700"))
            x += w
        end = scale_w * total / longest if longest else 0
        out.append(_text(end + 6, by + bar_h / 2 + size * 0.35, str(total), size=size, weight="700"))
        summary = " · ".join(f"{s.label} {v}" for s, v in zip(series, values, strict=True))
        if total_label:
            summary = f"{total_label} {total}: {summary}"
        out.append(_text(0, by + bar_h + 6 + size * 0.9, summary, size=size - 1, fill=MUTED))
        y += row_h
    out.append("</svg>")
    return "".join(out)


def columns(items: Sequence[tuple[str, str, int]], *, chart_id: str, title: str, desc: str, fill: str = "#8e2a2a",
            width: float = 640) -> str:
    """One column per item (label, second label line e.g. the year or "", value), the value on top of its
    column (0 written on the axis), the labels under it."""
    size, plot_h = 12.0, 150.0
    n = max(len(items), 1)
    slot = width / n
    col_w = min(slot * 0.64, 44)
    top = size + 8
    base = top + plot_h
    height = base + 8 + size * 2 + 10
    most = max((v for _, _, v in items), default=0)
    out = _open(chart_id, width, height, title, desc)
    out.append(f'<line x1="0" y1="{_num(base)}" x2="{_num(width)}" y2="{_num(base)}" stroke="{MUTED}" '
               'stroke-width="1"/>')
    for k, (label, sub, value) in enumerate(items):
        cx = slot * k + slot / 2
        h = plot_h * value / most if most else 0
        if value > 0:
            out.append(_rect(cx - col_w / 2, base - h, col_w, h, fill, tip=f"{label} {sub}".strip() + f": {value}"))
        out.append(_text(cx, base - h - 5, str(value), size=size, anchor="middle", weight="700"))
        out.append(_text(cx, base + 8 + size, clip(label, 12), size=size, anchor="middle"))
        if sub:
            out.append(_text(cx, base + 8 + size * 2 + 2, sub, size=size - 1, fill=MUTED, anchor="middle"))
    out.append("</svg>")
    return "".join(out)


def bars(items: Sequence[tuple[str, float, str]], *, chart_id: str, title: str, desc: str, fill: str = "#1f5f8b",
         width: float = 640) -> str:
    """One horizontal bar per item (label, value, the value as written), the label above its bar and the
    written value at the bar's end; one scale for all."""
    size, bar_h, gap = 13.0, 18.0, 10.0
    longest = max((v for _, v, _ in items), default=0.0)
    value_w = max((text_width(t, size) for _, _, t in items), default=0) + 10
    scale_w = width - value_w
    row_h = size + 5 + bar_h + gap
    height = row_h * max(len(items), 1) + 4
    out = _open(chart_id, width, height, title, desc)
    if not items:
        out.append(_text(0, size + 4, desc, size=size, fill=MUTED))
    y = 0.0
    for label, value, shown in items:
        out.append(_text(0, y + size, clip(label), size=size))
        by = y + size + 5
        w = scale_w * value / longest if longest > 0 else 0
        if w > 0:
            out.append(_rect(0, by, max(w, 1.5), bar_h, fill, tip=f"{label}: {shown}"))
        out.append(_text(w + 6, by + bar_h / 2 + size * 0.35, shown, size=size, weight="700"))
        y += row_h
    out.append("</svg>")
    return "".join(out)
