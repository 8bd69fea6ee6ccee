"""Small DMN 1.3 documents for tests, shaped as dmn-js and Camunda Modeler write them."""
from html import escape

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def decision(key, inputs, outputs, rules, policy="UNIQUE", aggregation=None, name=None):
    """`inputs`: [(label, expression, typeRef)]; `outputs`: [(name, typeRef)] or [(name, typeRef, "a","b")];
    `rules`: [([input texts], [output texts], description?)]."""
    attrs = f' hitPolicy="{policy}"' if policy else ""
    attrs += f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<decision id="{key}" name="{escape(name or key)}"><decisionTable id="{key}_table"{attrs}>']
    for i, (label, expression, type_ref) in enumerate(inputs):
        parts.append(f'<input id="{key}_in{i}" label="{escape(label)}"><inputExpression id="{key}_ie{i}" '
                     f'typeRef="{type_ref}"><text>{escape(expression)}</text></inputExpression></input>')
    for i, (name_, type_ref, *allowed) in enumerate(outputs):
        values = (f'<outputValues id="{key}_ov{i}"><text>{escape(",".join(allowed))}</text></outputValues>'
                  if allowed else "")
        parts.append(f'<output id="{key}_out{i}" label="{name_}" name="{name_}" typeRef="{type_ref}">{values}</output>')
    for r, (ins, outs, *description) in enumerate(rules, 1):
        parts.append(f'<rule id="{key}_r{r}">')
        if description:
            parts.append(f"<description>{escape(description[0])}</description>")
        parts += [f'<inputEntry id="{key}_r{r}_i{i}"><text>{escape(t)}</text></inputEntry>' for i, t in enumerate(ins)]
        parts += [f'<outputEntry id="{key}_r{r}_o{i}"><text>{escape(t)}</text></outputEntry>'
                  for i, t in enumerate(outs)]
        parts.append("</rule>")
    parts.append("</decisionTable></decision>")
    return "".join(parts)


def definitions(*decisions, id="definitions_test") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN_NS}" id="{id}" name="tests" '
            f'namespace="http://duban.example/dmn">{"".join(decisions)}</definitions>').encode()


def table(key="grading", policy="UNIQUE", aggregation=None, rules=None, inputs=None, outputs=None) -> bytes:
    """One decision: amount (number) -> level (string)."""
    inputs = inputs or [("金额", "amount", "double")]
    outputs = outputs or [("level", "string")]
    rules = rules or [(["< 100"], ['"low"']), (["[100..1000]"], ['"mid"']), (["> 1000"], ['"high"'])]
    return definitions(decision(key, inputs, outputs, rules, policy, aggregation))
