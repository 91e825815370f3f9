"""BPMN diagram interchange (DI) drawn as SVG, on the server: the picture auditors see of a process.

`render_svg` reads a BPMN 2.0 file and draws one of its diagrams (``bpmndi:BPMNDiagram``) as a
self-contained SVG: shapes at their ``dc:Bounds``, edges along their ``di:waypoint``s, labels at their
``bpmndi:BPMNLabel`` bounds (else inside or under the shape). Every drawn BPMN element is one
``<g data-element-id="…">`` group holding its drawing and its label, so a page can mark, link or
look up elements by their BPMN id. With ``states`` (and ``flows_taken``) the picture shows the path
an instance took: completed steps bold with a tick, open steps dashed, the rest thin and grey.

What cannot be drawn is listed in plain English in `Diagram.problems` instead of raising: elements
without DI, DI pointing at nothing, broken waypoints, element types this module does not know (drawn
as a generic box). Only a document that is not XML (or not BPMN) raises `DiagramError`.

The output has no scripts, no external resources and no ``foreignObject``; every text from the file
or from the caller is escaped. No Flask here: the web layer wraps the SVG in its page.
"""
from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SVG_NS = "http://www.w3.org/2000/svg"

# no DTD loading, no external entities, no network, no huge trees: the file may come from an upload
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                          dtd_validation=False, remove_comments=True, remove_pis=True)

STATES = ("completed", "open", "not-taken")
MARGIN = 20.0
FONT = 12.0  # names inside tasks
SMALL_FONT = 11.0  # external labels
LINE = 1.25  # line height, in font sizes
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:|/|\.{0,2}/|\?|#|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)

TASKS = {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
         "businessRuleTask"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = TASKS | SUBPROCESSES | {"callActivity"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
DATA = {"dataObject", "dataObjectReference", "dataInput", "dataOutput", "dataStoreReference", "dataStore"}
CONTAINERS = {"participant", "lane"}
ARTIFACTS = {"textAnnotation", "group"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
EDGES = {"sequenceFlow", "messageFlow", "association", "dataInputAssociation", "dataOutputAssociation"}
# steps of a path: these take a state (completed / open / not-taken); pools, lanes and notes do not
STATEFUL = FLOW_NODES | {"sequenceFlow"}
# what a diagram is expected to show: an element of these kinds without a shape is a problem
EXPECTED = FLOW_NODES | {"sequenceFlow", "messageFlow", "participant", "lane"}
DEFINITIONS = ("message", "timer", "error", "escalation", "signal", "conditional", "link", "compensate",
               "terminate", "cancel")


class DiagramError(ValueError):
    """The document is not XML, or not a BPMN 2.0 file."""


@dataclass(frozen=True)
class ElementMark:
    """How far an instance got at one element: its state, how often it completed, a tooltip."""
    state: str  # "completed" | "open" | "not-taken"
    count: int = 0
    note: str | None = None  # e.g. "Held by Aigerim Nurlanovna", shown as the element's <title>

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}, not {self.state!r}")


@dataclass(frozen=True)
class Diagram:
    svg: str
    shapes: int  # BPMNShape drawn
    edges: int  # BPMNEdge drawn
    problems: list[str]  # what could not be drawn (or was drawn as a stand-in), in plain English
    element_ids: list[str]  # the BPMN ids drawn, in the order of the DI


DEFAULT_LEGEND = {"completed": "Completed", "open": "Open", "not-taken": "Not taken"}


# --- text ----------------------------------------------------------------------------------------

def esc(text: str) -> str:
    """Text for XML content or a double-quoted attribute; characters XML cannot hold are dropped."""
    text = _BAD_CHARS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _char_width(ch: str) -> float:
    """Approximate advance of a character of a Helvetica-like face, in font sizes."""
    if ch == " ":
        return 0.32
    if ch in "il.,:;'|!ijtfrI()[]":
        return 0.34
    if ch in "mwMW":
        return 0.92
    if ch.isupper():
        return 0.72
    if ch.isdigit():
        return 0.64
    if ord(ch) > 0x3ff:  # Cyrillic and beyond: a little wider than Latin lower case
        return 0.66
    return 0.61


def text_width(text: str, size: float) -> float:
    return sum(_char_width(c) for c in text) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (approximately); newlines in the text are kept."""
    lines: list[str] = []
    width = max(width, size * 2)
    for paragraph in text.split("\n"):
        words = paragraph.split()
        line = ""
        for word in words:
            while text_width(word, size) > width and len(word) > 1:  # a word longer than the line: cut it
                if line:
                    lines.append(line)
                    line = ""
                cut = 1
                while cut < len(word) and text_width(word[:cut + 1], size) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
    return lines


def _text_block(lines: list[str], cx: float, top: float, size: float, anchor: str = "middle",
                cls: str = "label") -> str:
    """A <text> of lines whose first line's top is at ``top``."""
    if not lines:
        return ""
    step = size * LINE
    y = top + size * 0.9
    spans = "".join(f'<tspan x="{_n(cx)}" y="{_n(y + i * step)}">{esc(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text class="{cls}" font-size="{_n(size)}" text-anchor="{anchor}">{spans}</text>'


MIN_FONT = 7.5  # the smallest type a label is shrunk to so that its longest word fits its box


def _longest_word(text: str, size: float) -> float:
    return max((text_width(word, size) for word in text.split()), default=0.0)


def _centred_text(text: str, x: float, y: float, w: float, h: float, size: float, *, fit: bool = False) -> str:
    """Text wrapped to ``w`` and centred in the box. With ``fit`` (a shape's own name) the type is made smaller
    until the longest word fits the width (Kazakh and Russian words are long: "Зарегистрировать" is not cut in
    two), and lines that do not fit the height end with an ellipsis."""
    if fit and w > 0:
        longest = _longest_word(text, size)
        if longest > w:
            size = max(MIN_FONT, size * w / longest)
    lines = wrap(text, w, size)
    step = size * LINE
    if fit:
        room = max(1, int(h // step))
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = lines[-1].rstrip(" .,;:") + "…"
    top = y + (h - len(lines) * step) / 2 + (step - size) / 2
    return _text_block(lines, x + w / 2, top, size)


def _n(value: float) -> str:
    """A coordinate, short."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


# --- reading -------------------------------------------------------------------------------------

def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(el: etree._Element) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _parse(source: bytes | str | Path) -> etree._Element:
    try:
        if isinstance(source, Path):
            root = etree.fromstring(source.read_bytes(), _PARSER)
        elif isinstance(source, str) and not source.lstrip().startswith("<"):
            root = etree.fromstring(Path(source).read_bytes(), _PARSER)
        elif isinstance(source, str):
            root = etree.fromstring(_XML_DECL.sub("", source, count=1), _PARSER)
        else:
            root = etree.fromstring(source, _PARSER)
    except etree.XMLSyntaxError as err:
        raise DiagramError(f"Not a well-formed XML document: {err}") from err
    if root is None:
        raise DiagramError("Not a well-formed XML document: it is empty")
    if root.tag != f"{{{MODEL}}}definitions":
        raise DiagramError(f"Not a BPMN 2.0 document: the root element is {_local(root) or root.tag!r}, "
                           "not bpmn:definitions")
    return root


def _text_of(el: etree._Element) -> str:
    """The character content of an element (entity references left out, never expanded)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _name(el: etree._Element, index: Mapping[str, etree._Element]) -> str:
    kind = _local(el)
    if kind == "textAnnotation":
        text = el.find(f"{{{MODEL}}}text")
        raw = _text_of(text) if text is not None else ""
    elif kind == "group":
        value = index.get(el.get("categoryValueRef") or "")
        raw = (value.get("value") or "") if value is not None else (el.get("name") or "")
    else:
        raw = el.get("name") or ""
        if not raw and kind == "dataObjectReference":
            target = index.get(el.get("dataObjectRef") or "")
            raw = (target.get("name") or "") if target is not None else ""
        if not raw and kind == "dataStoreReference":
            target = index.get(el.get("dataStoreRef") or "")
            raw = (target.get("name") or "") if target is not None else ""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(" ".join(line.split()) for line in raw.split("\n")).strip()


def _bounds(el: etree._Element | None) -> tuple[float, float, float, float] | None:
    if el is None:
        return None
    try:
        x, y = float(el.get("x", "")), float(el.get("y", ""))
        w, h = float(el.get("width", "")), float(el.get("height", ""))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w < 0 or h < 0:
        return None
    return x, y, w, h


def _definitions(el: etree._Element, index: Mapping[str, etree._Element]) -> list[str]:
    """The kinds of event definitions of an event (own and referenced), e.g. ["timer"]."""
    kinds = []
    for child in el:
        local = _local(child)
        if local.endswith("EventDefinition") and _ns(child) == MODEL:
            kinds.append(local[:-len("EventDefinition")])
        elif local == "eventDefinitionRef":
            target = index.get((child.text or "").strip())
            if target is not None and _local(target).endswith("EventDefinition"):
                kinds.append(_local(target)[:-len("EventDefinition")])
    return kinds


# --- drawing helpers -----------------------------------------------------------------------------

def _path(d: str, cls: str = "shape") -> str:
    return f'<path class="{cls}" d="{d}"/>'


def _rect(x: float, y: float, w: float, h: float, cls: str = "shape", r: float = 0) -> str:
    rounded = f' rx="{_n(r)}"' if r else ""
    return f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"{rounded}/>'


def _circle(cx: float, cy: float, r: float, cls: str = "shape") -> str:
    return f'<circle class="{cls}" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(max(r, 0.5))}"/>'


def _poly(points: Iterable[tuple[float, float]], cls: str) -> str:
    return f'<polygon class="{cls}" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in points)}"/>'


def _task_icon(kind: str, x: float, y: float) -> str:
    """The type marker at the top left of a task; (x, y) is the icon's top left, the icon is ~14 px."""
    if kind == "userTask":
        return (_circle(x + 7, y + 4.5, 3.5, "icon") +
                _path(f"M{_n(x + 1)},{_n(y + 15)} v-2.5 a6,5 0 0 1 12,0 v2.5 z", "icon"))
    if kind == "serviceTask":
        teeth = "".join(
            f"M{_n(x + 7 + 4 * math.cos(a))},{_n(y + 7 + 4 * math.sin(a))} "
            f"L{_n(x + 7 + 7 * math.cos(a))},{_n(y + 7 + 7 * math.sin(a))} "
            for a in (i * math.pi / 4 for i in range(8)))
        return (_path(teeth, "icon thick-icon") + _circle(x + 7, y + 7, 4.5, "icon") +
                _circle(x + 7, y + 7, 1.8, "icon"))
    if kind == "scriptTask":
        return (_path(f"M{_n(x + 3)},{_n(y)} h10 c-4,3 -4,5 0,8 s4,5 0,8 h-10 c4,-3 4,-5 0,-8 s-4,-5 0,-8 z", "icon")
                + _path(f"M{_n(x + 4)},{_n(y + 4)} h5 M{_n(x + 5)},{_n(y + 8)} h5 M{_n(x + 5)},{_n(y + 12)} h5",
                        "icon"))
    if kind in ("sendTask", "receiveTask"):
        cls = "icon filled" if kind == "sendTask" else "icon"
        line = "icon inverse" if kind == "sendTask" else "icon"
        return _rect(x, y + 2, 16, 11, cls) + _path(f"M{_n(x)},{_n(y + 2)} l8,5.5 l8,-5.5", line)
    if kind == "manualTask":
        return _path(f"M{_n(x)},{_n(y + 6)} l4,-3 h8 v2 h-5 M{_n(x + 8)},{_n(y + 5)} h6 v2 h-6 "
                     f"M{_n(x + 8)},{_n(y + 7)} h7 v2 h-7 M{_n(x + 8)},{_n(y + 9)} h6 v2 h-6 "
                     f"M{_n(x + 8)},{_n(y + 11)} h5 v2 h-9 l-4,-2 z", "icon")
    if kind == "businessRuleTask":
        return (_rect(x, y + 1, 16, 12, "icon") + _rect(x, y + 1, 16, 3.5, "icon filled") +
                _path(f"M{_n(x)},{_n(y + 8.5)} h16 M{_n(x + 5)},{_n(y + 4.5)} v8.5", "icon"))
    return ""


def _loop_marker(el: etree._Element, cx: float, bottom: float) -> str:
    """Loop / multi-instance marker centred at cx, its bottom at ``bottom``; "" without one."""
    if el.find(f"{{{MODEL}}}standardLoopCharacteristics") is not None:
        r = 5.0
        cy = bottom - 7
        return _path(f"M{_n(cx - 3.5)},{_n(cy + 3.5)} A{r},{r} 0 1 1 {_n(cx + 3.5)},{_n(cy + 3.5)} "
                     f"M{_n(cx - 3.5)},{_n(cy + 3.5)} l-1,-4 M{_n(cx - 3.5)},{_n(cy + 3.5)} l-4,0.5", "marker-line")
    multi = el.find(f"{{{MODEL}}}multiInstanceLoopCharacteristics")
    if multi is not None:
        top = bottom - 12
        if multi.get("isSequential") == "true":
            return _path(f"M{_n(cx - 6)},{_n(top + 1)} h12 M{_n(cx - 6)},{_n(top + 6)} h12 "
                         f"M{_n(cx - 6)},{_n(top + 11)} h12", "marker-line bold")
        return _path(f"M{_n(cx - 5)},{_n(top)} v12 M{_n(cx)},{_n(top)} v12 M{_n(cx + 5)},{_n(top)} v12",
                     "marker-line bold")
    return ""


def _event_marker(kind: str, cx: float, cy: float, r: float, filled: bool) -> str:
    """The marker of an event definition inside an event of radius r."""
    cls = "marker filled" if filled else "marker"
    s = r / 18  # markers are designed for r = 18
    if kind == "message":
        w, h = 18 * s, 12 * s
        x, y = cx - w / 2, cy - h / 2
        line = "marker inverse" if filled else "marker"
        return _rect(x, y, w, h, cls) + _path(f"M{_n(x)},{_n(y)} L{_n(cx)},{_n(cy + 1 * s)} L{_n(x + w)},{_n(y)}",
                                              line)
    if kind == "timer":
        rr = 11 * s
        ticks = "".join(
            f"M{_n(cx + rr * 0.8 * math.cos(a))},{_n(cy + rr * 0.8 * math.sin(a))} "
            f"L{_n(cx + rr * math.cos(a))},{_n(cy + rr * math.sin(a))} " for a in (i * math.pi / 6 for i in range(12)))
        return (_circle(cx, cy, rr, "marker") + _path(ticks, "marker-line") +
                _path(f"M{_n(cx)},{_n(cy)} L{_n(cx + 5 * s)},{_n(cy - 6 * s)} M{_n(cx)},{_n(cy)} "
                      f"L{_n(cx + 6 * s)},{_n(cy + 1 * s)}", "marker-line"))
    if kind == "error":
        pts = [(-9, 8), (-3, -9), (2, 1), (8, -8), (3, 9), (-2, -1)]
        return _poly(((cx + a * s, cy + b * s) for a, b in pts), cls)
    if kind == "escalation":
        pts = [(0, -10), (7, 9), (0, 2), (-7, 9)]
        return _poly(((cx + a * s, cy + b * s) for a, b in pts), cls)
    if kind == "signal":
        pts = [(0, -10), (9, 7), (-9, 7)]
        return _poly(((cx + a * s, cy + b * s) for a, b in pts), cls)
    if kind == "conditional":
        x, y = cx - 7 * s, cy - 9 * s
        lines = "".join(f"M{_n(x + 2.5 * s)},{_n(y + (3.5 + 3.7 * i) * s)} h{_n(9 * s)} " for i in range(4))
        return _rect(x, y, 14 * s, 18 * s, "marker") + _path(lines, "marker-line")
    if kind == "link":
        pts = [(-8, -3), (1, -3), (1, -8), (9, 0), (1, 8), (1, 3), (-8, 3)]
        return _poly(((cx + a * s, cy + b * s) for a, b in pts), cls)
    if kind == "compensate":
        left = [(-9, 0), (-1, -6), (-1, 6)]
        right = [(-1, 0), (7, -6), (7, 6)]
        return (_poly(((cx + a * s, cy + b * s) for a, b in left), cls) +
                _poly(((cx + a * s, cy + b * s) for a, b in right), cls))
    if kind == "terminate":
        return _circle(cx, cy, 11 * s, "marker filled")
    if kind == "cancel":
        d = 7 * s
        return _path(f"M{_n(cx - d)},{_n(cy - d)} L{_n(cx + d)},{_n(cy + d)} M{_n(cx + d)},{_n(cy - d)} "
                     f"L{_n(cx - d)},{_n(cy + d)}", "marker-line heavy")
    if kind == "multiple":
        return _poly(_pentagon(cx, cy, 10 * s), cls)
    if kind == "parallelMultiple":
        d = 9 * s
        return _path(f"M{_n(cx - d)},{_n(cy)} h{_n(2 * d)} M{_n(cx)},{_n(cy - d)} v{_n(2 * d)}", "marker-line heavy")
    return ""


def _pentagon(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    angles = [-math.pi / 2 + i * 2 * math.pi / 5 for i in range(5)]
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]


def _arrow(end: tuple[float, float], before: tuple[float, float], cls: str, length: float = 11,
           half: float = 4.5, open_line: bool = False) -> str:
    """An arrowhead at ``end`` pointing away from ``before``."""
    dx, dy = end[0] - before[0], end[1] - before[1]
    dist = math.hypot(dx, dy) or 1.0
    ux, uy = dx / dist, dy / dist
    bx, by = end[0] - ux * length, end[1] - uy * length
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    if open_line:
        return _path(f"M{_n(left[0])},{_n(left[1])} L{_n(end[0])},{_n(end[1])} L{_n(right[0])},{_n(right[1])}", cls)
    return _poly([end, left, right], cls)


# --- the renderer --------------------------------------------------------------------------------

class _Renderer:
    def __init__(self, root: etree._Element, states: Mapping[str, ElementMark] | None, flows_taken: Collection[str],
                 links: Mapping[str, str] | None, legend: Mapping[str, str]) -> None:
        self.root = root
        self.states = states
        self.flows_taken = set(flows_taken)
        self.links = links or {}
        self.legend = legend
        self.problems: list[str] = []
        self.index: dict[str, etree._Element] = {}
        for el in root.iter():
            el_id = el.get("id") if isinstance(el.tag, str) else None
            if el_id and _ns(el) == MODEL and el_id not in self.index:
                self.index[el_id] = el
        self.extent = [math.inf, math.inf, -math.inf, -math.inf]
        self.drawn_ids: set[str] = set()

    def _grow(self, x: float, y: float, w: float = 0, h: float = 0) -> None:
        e = self.extent
        e[0], e[1], e[2], e[3] = min(e[0], x), min(e[1], y), max(e[2], x + w), max(e[3], y + h)

    # - state, links, wrapping
    def _mark(self, el_id: str, kind: str) -> ElementMark | None:
        if kind == "sequenceFlow" and el_id in self.flows_taken:
            given = self.states.get(el_id) if self.states else None
            return ElementMark("completed", given.count if given else 0, given.note if given else None)
        if self.states is None or kind not in STATEFUL:
            return None
        return self.states.get(el_id) or ElementMark("not-taken")

    def _group(self, el_id: str, kind: str, classes: str, body: str, mark: ElementMark | None) -> str:
        attrs = f'data-element-id="{esc(el_id)}" class="{classes}"'
        if mark is not None:
            attrs += f' data-state="{mark.state}"'
            if mark.state == "completed" and (kind != "sequenceFlow" or mark.count > 0):  # a flow: times taken
                attrs += f' data-count="{max(mark.count, 0)}"'
        title = f"<title>{esc(mark.note)}</title>" if mark is not None and mark.note else ""
        group = f"<g {attrs}>{title}{body}</g>"
        url = self.links.get(el_id)
        if url is not None:
            url = _BAD_CHARS.sub("", url).strip()
            if _SAFE_URL.match(url):
                return f'<a href="{esc(url)}" xlink:href="{esc(url)}">{group}</a>'
            self.problems.append(f"The link of {el_id} was left out: only web addresses and paths are allowed.")
        return group

    # - shapes
    def shape(self, di: etree._Element, el: etree._Element, bounds: tuple[float, float, float, float],
              expanded_ids: set[str]) -> tuple[int, str]:
        """(layer, svg) of one BPMNShape."""
        kind = _local(el)
        el_id = el.get("id") or ""
        x, y, w, h = bounds
        name = _name(el, self.index)
        label_b = _bounds(di.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds"))
        self._grow(x, y, w, h)
        mark = self._mark(el_id, kind)
        layer = 3
        body: list[str] = []
        classes = f"el shape-el {kind}"
        label = ""

        if kind in CONTAINERS:
            layer = 0 if kind == "participant" else 1
            horizontal = di.get("isHorizontal") != "false"
            body.append(_rect(x, y, w, h, "pool"))
            band = 30.0
            is_black_box = kind == "participant" and not self._has_shapes_of(el, self.drawn_ids)
            if is_black_box:
                label = _centred_text(name, x, y, w, h, FONT, fit=True)
            elif horizontal:
                body.append(_path(f"M{_n(x + band)},{_n(y)} V{_n(y + h)}", "pool-line"))
                label = self._vertical_text(name, x, y, band, h)
            else:
                body.append(_path(f"M{_n(x)},{_n(y + band)} H{_n(x + w)}", "pool-line"))
                label = _centred_text(name, x, y, w, band, FONT, fit=True)
            if kind == "participant":
                multiplicity = el.find(f"{{{MODEL}}}participantMultiplicity")
                if multiplicity is not None and multiplicity.get("maximum", "2") != "1":
                    cx = x + w / 2
                    body.append(_path(f"M{_n(cx - 5)},{_n(y + h - 14)} v12 M{_n(cx)},{_n(y + h - 14)} v12 "
                                      f"M{_n(cx + 5)},{_n(y + h - 14)} v12", "marker-line bold"))
        elif kind in ACTIVITIES:
            expanded = (kind in SUBPROCESSES and (
                di.get("isExpanded") == "true" or (di.get("isExpanded") is None and el_id in expanded_ids))) or (
                kind == "callActivity" and di.get("isExpanded") == "true")
            shape_cls = "shape"
            if kind == "callActivity":
                shape_cls = "shape thick"
            if kind in SUBPROCESSES and el.get("triggeredByEvent") == "true":
                shape_cls = "shape dotted"
            body.append(_rect(x, y, w, h, shape_cls, 10))
            if kind == "transaction":
                body.append(_rect(x + 3, y + 3, max(w - 6, 0), max(h - 6, 0), "inner", 8))
            markers = []
            if kind in SUBPROCESSES and not expanded:
                markers.append("plus")
            if kind == "callActivity" and not expanded:
                called = self.index.get(el.get("calledElement") or "")
                if called is None or _local(called) == "process":
                    markers.append("plus")
            if kind == "adHocSubProcess":
                markers.append("adhoc")
            loop = _loop_marker(el, 0, 0)
            slots = len(markers) + (1 if loop else 0)
            start = x + w / 2 - (slots * 16 - 2) / 2
            for i, marker in enumerate(markers):
                mx, my = start + i * 16, y + h - 17
                if marker == "plus":
                    body.append(_rect(mx, my, 14, 14, "marker"))
                    body.append(_path(f"M{_n(mx + 3)},{_n(my + 7)} h8 M{_n(mx + 7)},{_n(my + 3)} v8", "marker-line"))
                else:
                    body.append(_path(f"M{_n(mx)},{_n(my + 8)} c3,-6 6,-2 7,0 s4,6 7,0", "marker-line"))
            if loop:
                body.append(_loop_marker(el, start + len(markers) * 16 + 7, y + h - 3))
            if kind in TASKS:
                body.append(_task_icon(kind, x + 6, y + 5))
            if el.get("isForCompensation") == "true":
                body.append(_event_marker("compensate", x + w - 14, y + h - 10, 10, False))
            # the label goes where it fits the box (label bounds of activities are often a tool's guess)
            label_b = None
            if expanded:
                layer = 2
                classes += " expanded"
                label = _text_block(wrap(name, w - 16, FONT), x + 8, y + 6, FONT, anchor="start")
            else:
                icon_room = 14 if kind in TASKS and kind != "task" else 0
                size = FONT if w >= 90 else max(9.0, FONT * max(w, 1) / 90)  # small boxes: smaller type
                label = _centred_text(name, x + 4, y + 4 + icon_room / 2, w - 8, h - 8 - icon_room / 2
                                      - (14 if slots else 0), size, fit=True)
        elif kind in EVENTS:
            layer = 4
            r = min(w, h) / 2
            cx, cy = x + w / 2, y + h / 2
            defs = _definitions(el, self.index)
            throwing = kind in ("intermediateThrowEvent", "endEvent")
            interrupting = not (
                (kind == "boundaryEvent" and el.get("cancelActivity") == "false")
                or (kind == "startEvent" and el.get("isInterrupting") == "false"))
            dash = "" if interrupting else " dashed"
            if kind == "startEvent":
                body.append(_circle(cx, cy, r, "shape thin" + dash))
            elif kind == "endEvent":
                body.append(_circle(cx, cy, r, "shape thick"))
            else:
                body.append(_circle(cx, cy, r, "shape" + dash))
                body.append(_circle(cx, cy, r - 3, "inner" + dash))
            if len(defs) == 1:
                body.append(_event_marker(defs[0], cx, cy, r, throwing))
            elif len(defs) > 1:
                parallel = el.get("parallelMultiple") == "true"
                body.append(_event_marker("parallelMultiple" if parallel else "multiple", cx, cy, r, throwing))
            label = self._label_below(name, label_b, x, y, w, h)
        elif kind in GATEWAYS:
            layer = 4
            cx, cy = x + w / 2, y + h / 2
            body.append(_poly([(cx, y), (x + w, cy), (cx, y + h), (x, cy)], "shape"))
            s = min(w, h) / 50
            if kind == "exclusiveGateway" and di.get("isMarkerVisible") == "true":
                d = 8 * s
                body.append(_path(f"M{_n(cx - d)},{_n(cy - d)} L{_n(cx + d)},{_n(cy + d)} M{_n(cx + d)},{_n(cy - d)} "
                                  f"L{_n(cx - d)},{_n(cy + d)}", "marker-line heavy"))
            elif kind == "parallelGateway":
                d = 12 * s
                body.append(_path(f"M{_n(cx - d)},{_n(cy)} h{_n(2 * d)} M{_n(cx)},{_n(cy - d)} v{_n(2 * d)}",
                                  "marker-line heavy"))
            elif kind == "inclusiveGateway":
                body.append(_circle(cx, cy, 11 * s, "marker heavy"))
            elif kind == "complexGateway":
                d, e = 12 * s, 8.5 * s
                body.append(_path(f"M{_n(cx - d)},{_n(cy)} h{_n(2 * d)} M{_n(cx)},{_n(cy - d)} v{_n(2 * d)} "
                                  f"M{_n(cx - e)},{_n(cy - e)} L{_n(cx + e)},{_n(cy + e)} M{_n(cx + e)},{_n(cy - e)} "
                                  f"L{_n(cx - e)},{_n(cy + e)}", "marker-line heavy"))
            elif kind == "eventBasedGateway":
                if el.get("instantiate") != "true":
                    body.append(_circle(cx, cy, 12 * s, "marker"))
                body.append(_circle(cx, cy, 10 * s, "marker"))
                if el.get("eventGatewayType") == "Parallel":
                    body.append(_event_marker("parallelMultiple", cx, cy, 12 * s, False))
                else:
                    body.append(_poly(_pentagon(cx, cy + 0.5 * s, 6.5 * s), "marker"))
            label = self._label_below(name, label_b, x, y, w, h)
        elif kind in DATA:
            layer = 4
            if kind in ("dataStoreReference", "dataStore"):
                e = min(8.0, h / 5)
                body.append(_path(f"M{_n(x)},{_n(y + e)} A{_n(w / 2)},{_n(e)} 0 0 0 {_n(x + w)},{_n(y + e)} "
                                  f"V{_n(y + h - e)} A{_n(w / 2)},{_n(e)} 0 0 1 {_n(x)},{_n(y + h - e)} Z", "shape"))
                body.append(_path(f"M{_n(x)},{_n(y + e)} A{_n(w / 2)},{_n(e)} 0 0 1 {_n(x + w)},{_n(y + e)}", "shape"))
                for k in (1, 2):
                    body.append(_path(f"M{_n(x)},{_n(y + e + 4 * k)} A{_n(w / 2)},{_n(e)} 0 0 0 "
                                      f"{_n(x + w)},{_n(y + e + 4 * k)}", "marker-line"))
            else:
                fold = min(12.0, w / 3)
                body.append(_path(f"M{_n(x)},{_n(y)} H{_n(x + w - fold)} L{_n(x + w)},{_n(y + fold)} V{_n(y + h)} "
                                  f"H{_n(x)} Z", "shape"))
                body.append(_path(f"M{_n(x + w - fold)},{_n(y)} V{_n(y + fold)} H{_n(x + w)}", "shape"))
                if kind in ("dataInput", "dataOutput"):
                    cls = "marker filled" if kind == "dataOutput" else "marker"
                    ax, ay = x + 4, y + 5
                    body.append(_poly([(ax, ay + 2), (ax + 6, ay + 2), (ax + 6, ay), (ax + 11, ay + 4.5),
                                       (ax + 6, ay + 9), (ax + 6, ay + 7), (ax, ay + 7)], cls))
                data = self.index.get(el.get("dataObjectRef") or "") if kind == "dataObjectReference" else el
                if data is not None and data.get("isCollection") == "true":
                    cx = x + w / 2
                    body.append(_path(f"M{_n(cx - 4)},{_n(y + h - 10)} v8 M{_n(cx)},{_n(y + h - 10)} v8 "
                                      f"M{_n(cx + 4)},{_n(y + h - 10)} v8", "marker-line bold"))
            label = self._label_below(name, label_b, x, y, w, h)
        elif kind == "textAnnotation":
            layer = 5
            body.append(_rect(x, y, w, h, "annotation-area"))
            body.append(_path(f"M{_n(x + min(15, w))},{_n(y)} H{_n(x)} V{_n(y + h)} H{_n(x + min(15, w))}", "bracket"))
            if label_b:
                label = self._label_in(name, label_b, SMALL_FONT)
            else:
                lines = wrap(name, w - 10, SMALL_FONT)
                step = SMALL_FONT * LINE
                top = y + max(3.0, (h - len(lines) * step) / 2)
                label = _text_block(lines, x + 5, top, SMALL_FONT, anchor="start")
        elif kind == "group":
            layer = 6
            body.append(_rect(x, y, w, h, "group-box", 10))
            if label_b:
                label = self._label_in(name, label_b, SMALL_FONT)
            else:
                label = _text_block(wrap(name, w - 10, SMALL_FONT), x + w / 2, y + 4, SMALL_FONT)
        else:
            self.problems.append(f"{kind} {el_id} is a kind of element this renderer does not know: "
                                 "it is drawn as a plain box.")
            body.append(_rect(x, y, w, h, "shape unknown", 4))
            label = _centred_text(name or kind, x + 4, y + 4, w - 8, h - 8, FONT, fit=True)
        if label_b:
            self._grow(*label_b)
        if mark is not None and kind in STATEFUL:
            body.append(self._state_badges(mark, x, y, w))
        body.append(label)
        return layer, self._group(el_id, kind, classes, "".join(body), mark)

    def _has_shapes_of(self, participant: etree._Element, drawn: set[str]) -> bool:
        process = self.index.get(participant.get("processRef") or "")
        if process is None:
            return False
        return any(isinstance(c.tag, str) and c.get("id") in drawn for c in process)

    def _vertical_text(self, name: str, x: float, y: float, band: float, h: float) -> str:
        lines = wrap(name, h - 10, FONT)
        room = max(1, int(band // (FONT * LINE)))
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = lines[-1].rstrip(" .,;:") + "…"
        cx, cy = x + band / 2, y + h / 2
        step = FONT * LINE
        # drawn horizontally around (cx, cy), then turned a quarter anticlockwise about that point
        top = cy - len(lines) * step / 2 + (step - FONT) / 2
        block = _text_block(lines, cx, top, FONT)
        return f'<g transform="rotate(-90 {_n(cx)} {_n(cy)})">{block}</g>' if block else ""

    def _label_in(self, name: str, b: tuple[float, float, float, float], size: float) -> str:
        """A label at its DI bounds, widened around their centre when its longest word would not fit (the bounds
        were drawn for the English name)."""
        x, y, w, h = b
        if not w:
            return ""
        width = max(w + 12, min(_longest_word(name, size) + 4, 160.0))
        self._grow(x + w / 2 - width / 2, y, width, h)
        return _centred_text(name, x + w / 2 - width / 2, y, width, h, size)

    def _label_below(self, name: str, label_b: tuple[float, float, float, float] | None, x: float, y: float,
                     w: float, h: float) -> str:
        if not name:
            return ""
        if label_b and label_b[2] > 0:
            return self._label_in(name, label_b, SMALL_FONT)
        lines = wrap(name, max(w + 40, 90), SMALL_FONT)
        self._grow(x + w / 2 - max(w + 40, 90) / 2, y + h + 4, max(w + 40, 90), len(lines) * SMALL_FONT * LINE)
        return _text_block(lines, x + w / 2, y + h + 4, SMALL_FONT)

    def _state_badges(self, mark: ElementMark, x: float, y: float, w: float) -> str:
        """The tick of a completed element (and its "×n"), the hourglass of an open one."""
        out = []
        cx, cy = x + w - 2, y + 2
        if mark.state == "completed":
            out.append(_circle(cx, cy, 7, "badge"))
            out.append(_path(f"M{_n(cx - 3.5)},{_n(cy)} l2.5,3 l4.5,-6", "tick"))
            if mark.count > 1:
                text = f"×{mark.count}"
                tw = text_width(text, 10) + 6
                out.append(_rect(cx - 9 - tw, cy - 7, tw, 14, "count-badge", 7))
                out.append(f'<text class="count" font-size="10" text-anchor="middle" x="{_n(cx - 9 - tw / 2)}" '
                           f'y="{_n(cy + 3.5)}">{esc(text)}</text>')
        elif mark.state == "open":
            out.append(_circle(cx, cy, 7, "badge open-badge"))
            out.append(_path(f"M{_n(cx - 3)},{_n(cy - 4)} h6 l-6,8 h6 z", "hourglass"))
        return "".join(out)

    # - edges
    def edge(self, di: etree._Element, el: etree._Element, points: list[tuple[float, float]]) -> str:
        kind = _local(el)
        el_id = el.get("id") or ""
        for px, py in points:
            self._grow(px, py)
        mark = self._mark(el_id, kind)
        d = "M" + " L".join(f"{_n(px)},{_n(py)}" for px, py in points)
        body: list[str] = []
        classes = f"el edge-el {kind}"
        if kind == "sequenceFlow" and el_id in self.flows_taken:
            classes += " taken"
        if kind == "sequenceFlow":
            body.append(_path(d, "line"))
            body.append(_arrow(points[-1], points[-2], "arrow"))
            source = self.index.get(el.get("sourceRef") or "")
            if source is not None and source.get("default") == el_id:
                (ax, ay), (bx, by) = points[0], points[1]
                dist = math.hypot(bx - ax, by - ay) or 1.0
                ux, uy = (bx - ax) / dist, (by - ay) / dist
                mx, my = ax + ux * 10, ay + uy * 10
                body.append(_path(f"M{_n(mx - 5 * ux + 5 * uy)},{_n(my - 5 * uy - 5 * ux)} "
                                  f"L{_n(mx + 5 * ux - 5 * uy)},{_n(my + 5 * uy + 5 * ux)}", "line slash"))
            elif (el.find(f"{{{MODEL}}}conditionExpression") is not None and source is not None
                  and _local(source) in ACTIVITIES):
                (ax, ay), (bx, by) = points[0], points[1]
                dist = math.hypot(bx - ax, by - ay) or 1.0
                ux, uy = (bx - ax) / dist, (by - ay) / dist
                body.append(_poly([(ax, ay), (ax + ux * 8 - uy * 5, ay + uy * 8 + ux * 5), (ax + ux * 16, ay + uy * 16),
                                   (ax + ux * 8 + uy * 5, ay + uy * 8 - ux * 5)], "diamond-open"))
        elif kind == "messageFlow":
            body.append(_path(d, "line dashed-line"))
            (ax, ay), (bx, by) = points[0], points[1]
            dist = math.hypot(bx - ax, by - ay) or 1.0
            body.append(_circle(ax + (bx - ax) / dist * 4, ay + (by - ay) / dist * 4, 4, "open-end"))
            body.append(_arrow(points[-1], points[-2], "open-end"))
        elif kind == "association":
            body.append(_path(d, "line dotted-line"))
            direction = el.get("associationDirection", "None")
            if direction in ("One", "Both"):
                body.append(_arrow(points[-1], points[-2], "line", 9, 5, open_line=True))
            if direction == "Both":
                body.append(_arrow(points[0], points[1], "line", 9, 5, open_line=True))
        else:  # data associations
            body.append(_path(d, "line dotted-line"))
            body.append(_arrow(points[-1], points[-2], "line", 9, 5, open_line=True))
        name = _name(el, self.index)
        label_b = _bounds(di.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds"))
        if name:
            if label_b and label_b[2] > 0:
                self._grow(*label_b)
                body.append(self._label_in(name, label_b, SMALL_FONT))
            else:
                mid = len(points) // 2
                (ax, ay), (bx, by) = points[mid - 1], points[mid]
                lines = wrap(name, 90, SMALL_FONT)
                mx, my = (ax + bx) / 2, (ay + by) / 2
                horizontal = abs(bx - ax) >= abs(by - ay)
                if horizontal:
                    top = my - 4 - len(lines) * SMALL_FONT * LINE
                    body.append(_text_block(lines, mx, top, SMALL_FONT))
                else:
                    body.append(_text_block(lines, mx + 6, my - len(lines) * SMALL_FONT * LINE / 2, SMALL_FONT,
                                            anchor="start"))
                self._grow(mx - 50, my - 40, 100, 80)
        return self._group(el_id, kind, classes, "".join(body), mark)


def _waypoints(di: etree._Element) -> tuple[list[tuple[float, float]], int]:
    """The edge's points and how many waypoints were unreadable."""
    points: list[tuple[float, float]] = []
    bad = 0
    for wp in di.iterfind(f"{{{DI}}}waypoint"):
        try:
            x, y = float(wp.get("x", "")), float(wp.get("y", ""))
        except ValueError:
            bad += 1
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            bad += 1
            continue
        if points and points[-1] == (x, y):
            continue
        points.append((x, y))
    return points, bad


STYLE = (
    "text{font-family:'DejaVu Sans','Liberation Sans',Arial,Helvetica,sans-serif;fill:#1f2933}"
    ".shape,.pool,.inner{fill:#fff;stroke:#1f2933;stroke-width:1.5}"
    ".inner{fill:none}"
    ".pool{fill:#fff;stroke-width:1.5}.lane>.pool{fill:none}.pool-line{fill:none;stroke:#1f2933;stroke-width:1.2}"
    ".expanded>.shape{fill:#fff;fill-opacity:0.6}"
    ".thin{stroke-width:1.5}.thick{stroke-width:4}"
    ".dashed{stroke-dasharray:5 3}.dotted{stroke-dasharray:2 3}"
    ".icon,.marker{fill:#fff;stroke:#1f2933;stroke-width:1.1}"
    ".marker-line{fill:none;stroke:#1f2933;stroke-width:1.5}.bold{stroke-width:2}.heavy{stroke-width:3.5}"
    ".filled{fill:#1f2933}.inverse{fill:none;stroke:#fff}"
    ".line{fill:none;stroke:#1f2933;stroke-width:1.5;stroke-linejoin:round}"
    ".dashed-line{stroke-dasharray:8 5}.dotted-line{stroke-dasharray:2 4}"
    ".arrow{fill:#1f2933;stroke:#1f2933;stroke-width:1}"
    ".open-end,.diamond-open{fill:#fff;stroke:#1f2933;stroke-width:1.5}"
    ".annotation-area{fill:#fff;fill-opacity:0;stroke:none}"
    ".bracket{fill:none;stroke:#1f2933;stroke-width:1.5}"
    ".group-box{fill:none;stroke:#1f2933;stroke-width:1.5;stroke-dasharray:8 4 2 4}"
    ".unknown{stroke-dasharray:4 2}"
    ".badge{fill:#1b5e20;stroke:#fff;stroke-width:1}.open-badge{fill:#0d47a1}"
    ".tick{fill:none;stroke:#fff;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}"
    ".hourglass{fill:#fff;stroke:#fff;stroke-width:1}"
    ".count-badge{fill:#fff;stroke:#1b5e20;stroke-width:1.2}.count{fill:#1b5e20;font-weight:bold}"
    "[data-state=completed]>.shape{stroke:#1b5e20;stroke-width:3}"
    "[data-state=completed]>.shape.thick{stroke-width:5}"
    "[data-state=open]>.shape{stroke:#0d47a1;stroke-width:3;stroke-dasharray:7 4}"
    "[data-state=open]>.shape.thick{stroke-width:5}"
    "[data-state=not-taken]{opacity:0.45}"
    "[data-state=not-taken]>.shape{stroke:#6b7280;stroke-width:1}"
    "[data-state=not-taken]>.shape.thick{stroke-width:2.5}"
    "[data-state=not-taken] .line{stroke:#6b7280;stroke-width:1}"
    "[data-state=not-taken] .arrow{fill:#6b7280;stroke:#6b7280}"
    ".taken .line{stroke:#1b5e20;stroke-width:3.5}.taken .arrow{fill:#1b5e20;stroke:#1b5e20}"
    ".taken .diamond-open{stroke:#1b5e20}"
    ".legend-box{fill:#fff;stroke:#9aa0a6;stroke-width:1}"
    ".message{fill:#6b7280}"
)


def _scoped(css: str) -> str:
    """Every rule of ``css`` limited to the diagram (`svg.bpmn …`): inline in a page, the diagram's rules touch
    nothing of the page, and the page's classes (a `.badge` there) are not confused with the diagram's."""
    rules = []
    for rule in css.split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        rules.append(",".join(f"svg.bpmn {sel.strip()}" for sel in selectors.split(",")) + "{" + body + "}")
    return "".join(rules)


SCOPED_STYLE = _scoped(STYLE)
# The CSP source that lets a page show the diagram inline with its <style> (a page's policy allows no inline
# style but this one): 'sha256-…' of the exact text of the element.
STYLE_CSP_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(SCOPED_STYLE.encode("utf-8")).digest()).decode() + "'"


def _legend(x: float, y: float, labels: Mapping[str, str]) -> tuple[str, float, float]:
    """The legend's SVG, width and height, at (x, y)."""
    size = SMALL_FONT
    items = []
    cx = x + 10
    for state in STATES:
        label = labels.get(state, DEFAULT_LEGEND[state])
        sample = _rect(cx, y + 9, 34, 18, "shape", 5)
        mark = ElementMark(state, 1)
        badge = ""
        if state == "completed":
            badge = (_circle(cx + 32, y + 10, 6, "badge") +
                     _path(f"M{_n(cx + 29)},{_n(y + 10)} l2,2.5 l4,-5", "tick"))
        elif state == "open":
            badge = _circle(cx + 32, y + 10, 6, "badge open-badge") + _path(
                f"M{_n(cx + 29.5)},{_n(y + 6.5)} h5 l-5,7 h5 z", "hourglass")
        items.append(f'<g class="legend-item" data-state="{mark.state}">{sample}{badge}</g>')
        items.append(f'<text font-size="{_n(size)}" x="{_n(cx + 44)}" y="{_n(y + 22)}">{esc(label)}</text>')
        cx += 44 + text_width(label, size) + 22
    width = cx - x
    height = 36.0
    return (f'<g class="legend">{_rect(x, y, width, height, "legend-box", 4)}{"".join(items)}</g>', width, height)


def _svg(body: str, extent: tuple[float, float, float, float], title: str) -> str:
    x0, y0, x1, y1 = extent
    w, h = x1 - x0, y1 - y0
    return (f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" class="bpmn" '
            f'role="img" aria-labelledby="diagram-title" viewBox="{_n(x0)} {_n(y0)} {_n(w)} {_n(h)}" '
            f'width="{_n(w)}" height="{_n(h)}"><title id="diagram-title">{esc(title)}</title>'
            f'<style>{SCOPED_STYLE}</style>'
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" fill="#fff"/>{body}</svg>')


def _empty(message: str, title: str, problems: list[str]) -> Diagram:
    lines = wrap(message, 380, FONT)
    body = _text_block(lines, 200, 20, FONT, cls="message")
    return Diagram(_svg(body, (0, 0, 400, 40 + len(lines) * FONT * LINE), title), 0, 0, problems, [])


def render_svg(source: bytes | str | Path, *, states: Mapping[str, ElementMark] | None = None,
               flows_taken: Collection[str] = (), links: Mapping[str, str] | None = None, title: str | None = None,
               diagram_index: int = 0, legend_labels: Mapping[str, str] | None = None) -> Diagram:
    """Draw diagram number ``diagram_index`` of a BPMN file as SVG.

    ``source`` is the file's content (bytes, or a str starting with "<") or its path (Path, or a str).
    ``states`` marks flow nodes and sequence flows (elements of those kinds left out are "not-taken");
    ``flows_taken`` are sequence flows the instance went along; ``links`` maps an element id to a URL
    (relative, http(s) or mailto) the element's group links to; ``legend_labels`` translates the
    legend ("completed", "open", "not-taken"). Raises `DiagramError` if the file is not BPMN XML.
    """
    root = _parse(source)
    renderer = _Renderer(root, states, flows_taken, links, legend_labels or DEFAULT_LEGEND)
    problems = renderer.problems
    diagrams = root.findall(f"{{{BPMNDI}}}BPMNDiagram")
    title = title if title is not None else _default_title(root)
    if not diagrams:
        problems.append("The file has no diagram interchange (no BPMNDiagram): there is nothing to draw.")
        return _empty("This process has no diagram.", title, problems)
    if not 0 <= diagram_index < len(diagrams):
        raise DiagramError(f"The file has {len(diagrams)} diagram(s); there is no diagram number {diagram_index}")
    plane = diagrams[diagram_index].find(f"{{{BPMNDI}}}BPMNPlane")
    if plane is None:
        problems.append(f"Diagram {diagram_index} has no BPMNPlane: there is nothing to draw.")
        return _empty("This diagram is empty.", title, problems)

    dis = [c for c in plane if _ns(c) == BPMNDI and _local(c) in ("BPMNShape", "BPMNEdge")]
    drawn_ids = renderer.drawn_ids = {di.get("bpmnElement") or "" for di in dis}
    # sub-processes drawn expanded when the DI does not say: those whose children have shapes here
    expanded_ids = {el_id for el_id in drawn_ids if el_id in renderer.index
                    and _local(renderer.index[el_id]) in SUBPROCESSES
                    and any(isinstance(c.tag, str) and c.get("id") in drawn_ids for c in renderer.index[el_id])}
    layers: list[list[str]] = [[] for _ in range(8)]
    shapes = edges = 0
    element_ids: list[str] = []
    subprocess_layers: list[tuple[float, str]] = []
    for di in dis:
        di_kind = _local(di)
        word = "Shape" if di_kind == "BPMNShape" else "Edge"
        di_id = di.get("id") or "(no id)"
        ref = di.get("bpmnElement")
        el = renderer.index.get(ref or "")
        if el is None:
            reason = "it names no BPMN element" if not ref else f"it refers to {ref}, which is not in the file"
            problems.append(f"{word} {di_id} not drawn: {reason}.")
            continue
        el_kind = _local(el)
        if di_kind == "BPMNShape":
            bounds = _bounds(di.find(f"{{{DC}}}Bounds"))
            if bounds is None:
                problems.append(f"Shape {di_id} not drawn: {el_kind} {ref} has no readable bounds.")
                continue
            if el_kind in EDGES:
                problems.append(f"Shape {di_id} not drawn: {el_kind} {ref} is a connection, not a shape.")
                continue
            layer, svg = renderer.shape(di, el, bounds, expanded_ids)
            if layer == 2:
                subprocess_layers.append((-(bounds[2] * bounds[3]), svg))
            else:
                layers[layer].append(svg)
            shapes += 1
        else:
            points, bad = _waypoints(di)
            if len(points) < 2:
                problems.append(f"Edge {di_id} not drawn: {el_kind} {ref} has {len(points)} usable waypoint(s), "
                                "at least 2 are needed.")
                continue
            if bad:
                problems.append(f"Edge {di_id} ({el_kind} {ref}): {bad} unreadable waypoint(s) were skipped.")
            if el_kind not in EDGES:
                problems.append(f"{el_kind} {ref} is a kind of connection this renderer does not know: "
                                "it is drawn as a plain line.")
            layers[5].append(renderer.edge(di, el, points))
            edges += 1
        element_ids.append(ref or "")
    layers[2] = [svg for _, svg in sorted(subprocess_layers, key=lambda item: item[0])]

    all_drawn = {di.get("bpmnElement") for diagram in diagrams for di in diagram.iter(
        f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}
    problems.extend(_undrawn(renderer.index, all_drawn))

    if shapes + edges == 0:
        problems.append(f"Diagram {diagram_index} draws nothing.")
        return _empty("This diagram is empty.", title, problems)

    x0, y0, x1, y1 = renderer.extent
    x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
    body = "".join("".join(layer) for layer in layers)
    if states is not None:
        legend, lw, lh = _legend(x0 + MARGIN, y1, renderer.legend)
        body += legend
        x1 = max(x1, x0 + MARGIN + lw + MARGIN)
        y1 += lh + MARGIN
    return Diagram(_svg(body, (x0, y0, x1, y1), title), shapes, edges, problems, element_ids)


def _undrawn(index: Mapping[str, etree._Element], drawn: set[str | None]) -> list[str]:
    """Problems for the elements no diagram of the file shows: one line per element, or one per process that
    no diagram shows at all; the content of a sub-process that is only drawn collapsed is no problem."""
    missing: dict[etree._Element, list[etree._Element]] = {}
    for el_id, el in index.items():
        if _local(el) in EXPECTED and el_id not in drawn:
            parent = el.getparent()
            missing.setdefault(parent if parent is not None else el, []).append(el)
    problems = []
    for container, elements in missing.items():
        shown = any(isinstance(c.tag, str) and c.get("id") in drawn for c in container)
        if not shown and _local(container) in SUBPROCESSES:
            continue
        if not shown and _local(container) == "process" and len(elements) > 1:
            label = container.get("name") or container.get("id") or ""
            problems.append(f"Process {label} is in no diagram: its {len(elements)} elements are not drawn.")
            continue
        for el in elements:
            name = _name(el, index)
            problems.append(f"{_local(el)} {el.get('id')}{f' ({name!r})' if name else ''} has no shape in any "
                            "diagram: it is not drawn.")
    return problems


def _default_title(root: etree._Element) -> str:
    for tag in ("collaboration", "process"):
        for el in root.iterfind(f"{{{MODEL}}}{tag}"):
            if el.get("name"):
                return el.get("name") or ""
    participant = root.find(f"{{{MODEL}}}collaboration/{{{MODEL}}}participant")
    if participant is not None and participant.get("name"):
        return participant.get("name") or ""
    return "BPMN process diagram"
