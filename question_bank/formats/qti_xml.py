"""One view of QTI 2.x and 3.0 XML: element and attribute names in 2.x camelCase.

QTI 3.0 writes "qti-choice-interaction response-identifier=..." where 2.1
writes "choiceInteraction responseIdentifier=..."; normalising the names lets
one reader handle both. HTML elements (p, img, ...) keep their names.
"""

from __future__ import annotations

from .safe_xml import Node

QTI2_NAMESPACES = frozenset(
    {
        "http://www.imsglobal.org/xsd/imsqti_v2p0",
        "http://www.imsglobal.org/xsd/imsqti_v2p1",
        "http://www.imsglobal.org/xsd/imsqti_v2p2",
    }
)
QTI3_NAMESPACE = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI_NAMESPACES = QTI2_NAMESPACES | {QTI3_NAMESPACE, ""}


def camel(name: str) -> str:
    """Return "choiceInteraction" for "qti-choice-interaction" (and 2.x names unchanged)."""
    if name.startswith("qti-"):
        name = name[4:]
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def normalise(node: Node) -> Node:
    """Return a copy of the tree with local, 2.x-style names (namespaces dropped)."""
    local = node.local
    is_qti3 = local.startswith("qti-")
    attrib = {}
    for key, value in node.attrib.items():
        name = key.rpartition("}")[2]
        if key.startswith("{http://www.w3.org/XML/1998/namespace}"):
            name = "xml:" + name
        attrib[camel(name) if is_qti3 else name] = value
    copy = Node(camel(local) if is_qti3 else local, attrib, node.line, [], node.text, node.tail)
    copy.children = [normalise(child) for child in node.children]
    return copy
