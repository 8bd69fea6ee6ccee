"""What changed in one decision between two versions of its DMN file, as a reviewer reads it.

Columns and rules are matched by id (dmn-js and Camunda Modeler keep them across edits), so a
changed cell is reported as "rule 2, column 涉众规模: `>= 100` -> `>= 50`" rather than as a
removed and an added rule. Cells are compared as written (their FEEL text), not as compiled:
a reviewer reads the text. A column added or removed is one change; its cells in every rule
are not listed again. Moving a rule matters under FIRST and RULE ORDER, so it is a change too.

The files are read with engine.bpmn.loader.parse_xml (size limit, no DTD, no entities); any
DMN namespace is read the same way (the elements' local names are the same in 1.1 to 1.3).
"""
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.loader import parse_xml

DEFAULT_HIT_POLICY = "UNIQUE"


@dataclass
class FieldChange:
    field: str          # label, expression, type, values, name, description, row
    old: str | None
    new: str | None

    def as_dict(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class CellChange:
    column_id: str
    column: str         # the column's label (or expression / name when it has none)
    kind: str           # input | output
    old: str
    new: str

    def as_dict(self) -> dict:
        return {"column_id": self.column_id, "column": self.column, "kind": self.kind, "old": self.old,
                "new": self.new}


@dataclass
class DecisionChange:
    """One change. `part`: decision, hit_policy, input, output or rule; `action`: added, removed,
    renamed or changed. Rules carry their row (in the newer version; the older one's when removed)
    and description; columns their label."""
    part: str
    action: str
    element_id: str | None
    label: str
    row: int | None = None
    description: str = ""
    fields: list[FieldChange] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)
    entries: list[tuple[str, str]] = field(default_factory=list)  # an added or removed rule: (column, text)

    def as_dict(self) -> dict:
        return {"part": self.part, "action": self.action, "element_id": self.element_id, "label": self.label,
                "row": self.row, "description": self.description,
                "fields": [f.as_dict() for f in self.fields], "cells": [c.as_dict() for c in self.cells],
                "entries": [list(entry) for entry in self.entries]}


@dataclass
class _Column:
    id: str
    kind: str
    label: str
    facts: dict  # field -> text


@dataclass
class _Rule:
    id: str
    row: int
    description: str
    cells: dict  # column id -> text


@dataclass
class _Table:
    name: str
    hit_policy: str
    columns: list
    rules: list


def _local(element) -> str:
    return etree.QName(element.tag).localname if isinstance(element.tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text_of(element, name: str = "text") -> str:
    child = _child(element, name) if element is not None else None
    return (child.text or "").strip() if child is not None else ""


def _hit_policy(table) -> str:
    policy = " ".join((table.get("hitPolicy") or DEFAULT_HIT_POLICY).upper().replace("_", " ").split())
    aggregation = (table.get("aggregation") or "").upper()
    return f"{policy} {aggregation}" if aggregation else policy


def _read(xml: bytes, key: str, filename: str) -> _Table | None:
    root = parse_xml(xml, filename)
    decision = next((d for d in root if _local(d) == "decision" and d.get("id") == key), None)
    table = _child(decision, "decisionTable") if decision is not None else None
    if table is None:
        return None
    columns = []
    for element in table:
        kind = _local(element)
        if kind == "input":
            expression = _child(element, "inputExpression")
            facts = {"label": element.get("label") or "", "expression": _text_of(expression),
                     "type": (expression.get("typeRef") or "") if expression is not None else "",
                     "values": _text_of(_child(element, "inputValues"))}
            label = facts["label"] or facts["expression"] or element.get("id")
        elif kind == "output":
            facts = {"label": element.get("label") or "", "name": element.get("name") or "",
                     "type": element.get("typeRef") or "", "values": _text_of(_child(element, "outputValues"))}
            label = facts["label"] or facts["name"] or element.get("id")
        else:
            continue
        columns.append(_Column(element.get("id") or f"{kind}-{len(columns) + 1}", kind, label, facts))
    inputs = [c for c in columns if c.kind == "input"]
    outputs = [c for c in columns if c.kind == "output"]
    rules = []
    for row, rule in enumerate(_children(table, "rule"), 1):
        cells = {}
        for column, entry in zip(inputs, _children(rule, "inputEntry")):
            cells[column.id] = _text_of(entry)
        for column, entry in zip(outputs, _children(rule, "outputEntry")):
            cells[column.id] = _text_of(entry)
        rules.append(_Rule(rule.get("id") or f"row-{row}", row, _text_of(rule, "description"), cells))
    return _Table(decision.get("name") or key, _hit_policy(table), columns, rules)


def _column_changes(old: _Table, new: _Table) -> list[DecisionChange]:
    changes = []
    old_columns = {c.id: c for c in old.columns}
    new_ids = {c.id for c in new.columns}
    for column in new.columns:
        before = old_columns.get(column.id)
        if before is None:
            changes.append(DecisionChange(column.kind, "added", column.id, column.label,
                                          fields=[FieldChange(k, None, v) for k, v in column.facts.items() if v]))
            continue
        fields = [FieldChange(k, before.facts.get(k) or None, v or None) for k, v in column.facts.items()
                  if (before.facts.get(k) or "") != (v or "")]
        if fields:
            # A new label alone is a renamed column; anything else changes what it reads or gives.
            renamed = all(f.field == "label" for f in fields)
            changes.append(DecisionChange(column.kind, "renamed" if renamed else "changed", column.id,
                                          column.label, fields=fields))
    for column in old.columns:
        if column.id not in new_ids:
            changes.append(DecisionChange(column.kind, "removed", column.id, column.label,
                                          fields=[FieldChange(k, v, None) for k, v in column.facts.items() if v]))
    return changes


def _entries(table: _Table, rule: _Rule) -> list[tuple[str, str]]:
    return [(column.label, rule.cells.get(column.id, "")) for column in table.columns]


def _moved_rules(old: _Table, new: _Table) -> set[str]:
    """Rules whose order relative to the other kept rules changed (inserting or removing a rule
    renumbers the rows after it, but moves nothing): those outside the longest run of kept rules
    that are still in their old order."""
    old_index = {r.id: i for i, r in enumerate(old.rules)}
    kept = [r.id for r in new.rules if r.id in old_index]
    # Longest increasing subsequence of the old positions, O(n log n), remembering its members.
    tails, tail_ids, previous = [], [], {}
    for rule_id in kept:
        position = old_index[rule_id]
        low, high = 0, len(tails)
        while low < high:
            middle = (low + high) // 2
            if tails[middle] < position:
                low = middle + 1
            else:
                high = middle
        previous[rule_id] = tail_ids[low - 1] if low else None
        if low == len(tails):
            tails.append(position)
            tail_ids.append(rule_id)
        else:
            tails[low] = position
            tail_ids[low] = rule_id
    in_order = set()
    rule_id = tail_ids[-1] if tail_ids else None
    while rule_id is not None:
        in_order.add(rule_id)
        rule_id = previous[rule_id]
    return set(kept) - in_order


def _rule_changes(old: _Table, new: _Table) -> list[DecisionChange]:
    changes = []
    old_rules = {r.id: r for r in old.rules}
    new_ids = {r.id for r in new.rules}
    shared_columns = [c for c in new.columns if c.id in {o.id for o in old.columns}]
    moved = _moved_rules(old, new)
    for rule in new.rules:
        before = old_rules.get(rule.id)
        if before is None:
            changes.append(DecisionChange("rule", "added", rule.id, rule.description, rule.row, rule.description,
                                          entries=_entries(new, rule)))
            continue
        cells = [CellChange(column.id, column.label, column.kind, before.cells.get(column.id, ""),
                            rule.cells.get(column.id, ""))
                 for column in shared_columns if before.cells.get(column.id, "") != rule.cells.get(column.id, "")]
        fields = []
        if before.description != rule.description:
            fields.append(FieldChange("description", before.description or None, rule.description or None))
        if rule.id in moved:
            fields.append(FieldChange("row", str(before.row), str(rule.row)))
        if cells or fields:
            changes.append(DecisionChange("rule", "changed", rule.id, rule.description, rule.row, rule.description,
                                          fields=fields, cells=cells))
    for rule in old.rules:
        if rule.id not in new_ids:
            changes.append(DecisionChange("rule", "removed", rule.id, rule.description, rule.row, rule.description,
                                          entries=_entries(old, rule)))
    return changes


def diff_decisions(old_xml: bytes, new_xml: bytes, key: str) -> list[DecisionChange]:
    """The changes of decision `key` from `old_xml` to `new_xml` (empty: the same table)."""
    old = _read(old_xml, key, f"{key}.dmn")
    new = _read(new_xml, key, f"{key}.dmn")
    if old is None or new is None:
        if old is None and new is None:
            return []
        present = new or old
        return [DecisionChange("decision", "added" if old is None else "removed", key, present.name)]
    changes = []
    if old.name != new.name:
        changes.append(DecisionChange("decision", "renamed", key, new.name, fields=[FieldChange("name", old.name,
                                                                                               new.name)]))
    if old.hit_policy != new.hit_policy:
        changes.append(DecisionChange("hit_policy", "changed", None, new.hit_policy,
                                      fields=[FieldChange("hit_policy", old.hit_policy, new.hit_policy)]))
    return changes + _column_changes(old, new) + _rule_changes(old, new)
