"""Decision tables (DMN) as data: read a table's inputs and rules, and write an edited table back.

A routing table is a DMN file holding one decision with one decision table. Reading gives a
`Table` (inputs, the output, rules with their entries); writing takes the original document and
a list of rules and returns a new document in which only the rules changed, so descriptions,
diagram information and namespaces stay as they were. Evaluating a table is the engine adapter's
job (`processes.engine.evaluate_decision`).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
NS = {"dmn": DMN_NS}
ANY = "-"  # the DMN entry that matches any value
RULE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
# no DTDs, entities or network: the content may come from the database or an upload
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False,
                          remove_blank_text=False, huge_tree=False)


class DecisionFormatError(ValueError):
    """The document is not a DMN file with exactly one decision table."""


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    expression: str  # the input expression (inputs) or the variable name (the output)
    type_ref: str


@dataclass(frozen=True)
class Rule:
    id: str
    inputs: tuple[str, ...]  # one entry per input column, "-" for any value
    output: str  # the output entry's expression, e.g. '"rector"'
    description: str = ""


@dataclass(frozen=True)
class Table:
    decision: str
    name: str
    description: str
    hit_policy: str
    inputs: tuple[Column, ...]
    output: Column
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """The rules as plain data (audit entries, the API)."""
        return {"rules": [{"id": r.id, "inputs": list(r.inputs), "output": r.output, "description": r.description}
                          for r in self.rules]}


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _root(content: bytes) -> etree._Element:
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as err:
        raise DecisionFormatError(f"Not an XML document: {err}") from err
    if root.tag != f"{{{DMN_NS}}}definitions":
        raise DecisionFormatError("Not a DMN 1.3 document")
    return root


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.findall(path, NS)
    if len(found) != 1:
        raise DecisionFormatError(f"Expected exactly one {path}, found {len(found)}")
    return found[0]


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    node = element.find(path, NS)
    return (node.text or "").strip() if node is not None else ""


def read_table(content: bytes) -> Table:
    """Return the one decision table of a DMN document."""
    root = _root(content)
    decision = _one(root, "dmn:decision")
    table = _one(decision, "dmn:decisionTable")
    inputs = tuple(Column(i.get("id", ""), i.get("label", ""), _text(i, "dmn:inputExpression/dmn:text"),
                          (i.find("dmn:inputExpression", NS).get("typeRef", "")
                           if i.find("dmn:inputExpression", NS) is not None else ""))
                   for i in table.findall("dmn:input", NS))
    output_el = _one(table, "dmn:output")
    output = Column(output_el.get("id", ""), output_el.get("label", ""), output_el.get("name", ""),
                    output_el.get("typeRef", ""))
    rules = []
    for rule in table.findall("dmn:rule", NS):
        entries = tuple((e.findtext("dmn:text", "", NS) or "").strip() or ANY
                        for e in rule.findall("dmn:inputEntry", NS))
        if len(entries) != len(inputs):
            raise DecisionFormatError(f"Rule {rule.get('id')} has {len(entries)} entries for {len(inputs)} inputs")
        rules.append(Rule(rule.get("id", ""), entries, _text(rule, "dmn:outputEntry/dmn:text"),
                          _text(rule, "dmn:description")))
    return Table(decision.get("id", ""), decision.get("name", ""), _text(decision, "dmn:description"),
                 table.get("hitPolicy", "UNIQUE"), inputs, output, tuple(rules))


def _new_rule(rule: Rule, inputs: int) -> etree._Element:
    q = f"{{{DMN_NS}}}"
    el = etree.Element(q + "rule", id=rule.id)
    if rule.description:
        etree.SubElement(el, q + "description").text = rule.description
    for n in range(inputs):
        entry = etree.SubElement(el, q + "inputEntry", id=f"InputEntry_{rule.id}_{n + 1}")
        etree.SubElement(entry, q + "text")
    out = etree.SubElement(el, q + "outputEntry", id=f"OutputEntry_{rule.id}")
    etree.SubElement(out, q + "text")
    return el


def write_table(content: bytes, rules: list[Rule]) -> bytes:
    """Return the document with its rules replaced by `rules` (kept ids keep their elements, in the new
    order; new ids get new elements). Inputs, the output and everything else stay unchanged."""
    root = _root(content)
    table_el = _one(_one(root, "dmn:decision"), "dmn:decisionTable")
    existing = {el.get("id"): el for el in table_el.findall("dmn:rule", NS)}
    inputs = len(table_el.findall("dmn:input", NS))
    for el in table_el.findall("dmn:rule", NS):
        table_el.remove(el)
    q = f"{{{DMN_NS}}}"
    for rule in rules:
        if len(rule.inputs) != inputs:
            raise DecisionFormatError(f"Rule {rule.id} has {len(rule.inputs)} entries for {inputs} inputs")
        el = existing.get(rule.id)
        el = _new_rule(rule, inputs) if el is None else el
        description = el.find("dmn:description", NS)
        if rule.description and description is None:
            description = etree.Element(q + "description")
            el.insert(0, description)
        if description is not None:
            description.text = rule.description
        for entry, text in zip(el.findall("dmn:inputEntry", NS), rule.inputs, strict=True):
            node = entry.find("dmn:text", NS)
            if node is None:
                node = etree.SubElement(entry, q + "text")
            node.text = text
        node = el.find("dmn:outputEntry/dmn:text", NS)
        if node is None:
            raise DecisionFormatError(f"Rule {rule.id} has no output entry")
        node.text = rule.output
        table_el.append(el)
    _indent_rules(table_el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _indent_rules(table_el: etree._Element) -> None:
    """Keep the file readable: rules moved or added get the indentation of their neighbours."""
    etree.indent(table_el, space="  ", level=2)
