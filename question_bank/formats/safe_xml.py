"""Parse uploaded XML with defusedxml (no DTD entities, no network) into light nodes.

Nodes keep the line where each element starts, so errors can name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from . import messages as msg
from .errors import ProblemError

MAX_DEPTH = 200


@dataclass
class Node:
    """An XML element: namespaced tag, attributes, text, tail, children, line."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""
    tail: str = ""

    @property
    def local(self) -> str:
        """Return the tag without its namespace."""
        return self.tag.rpartition("}")[2]

    @property
    def namespace(self) -> str:
        """Return the namespace URI ("" if none)."""
        return self.tag[1:].partition("}")[0] if self.tag.startswith("{") else ""

    def find(self, local: str) -> Node | None:
        """Return the first child with this local name."""
        return next((child for child in self.children if child.local == local), None)

    def findall(self, local: str) -> list[Node]:
        """Return the children with this local name."""
        return [child for child in self.children if child.local == local]

    def iter(self) -> Iterator[Node]:
        """Yield this node and all descendants in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def text_content(self) -> str:
        """Return all text inside the element."""
        parts = [self.text]
        for child in self.children:
            parts.append(child.text_content())
            parts.append(child.tail)
        return "".join(parts)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return an attribute by its local name."""
        for key, value in self.attrib.items():
            if key.rpartition("}")[2] == name:
                return value
        return default


class _Builder:
    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.stack: list[Node] = []
        self.root: Node | None = None
        self.closed: Node | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        line = self.parser.parser.CurrentLineNumber if self.parser else 0
        node = Node(tag, dict(attrib), line)
        if len(self.stack) >= MAX_DEPTH:
            raise ProblemError(msg.XML_TOO_DEEP, line=line, field="xml")
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self.closed = None

    def end(self, tag: str) -> None:
        self.closed = self.stack.pop()

    def data(self, text: str) -> None:
        if self.closed is not None:
            self.closed.tail += text
        elif self.stack:
            self.stack[-1].text += text

    def close(self) -> Node | None:
        return self.root


def parse_xml(data: bytes) -> Node:
    """Return the root node; raise ProblemError for unsafe or malformed XML."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise ProblemError(msg.XML_FORBIDDEN, field="xml") from exc
    except (LookupError, UnicodeError) as exc:  # unknown or lying encoding declaration
        raise ProblemError(msg.XML_MALFORMED, line=1, field="xml", line_number=1, column=0) from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise ProblemError(
            msg.XML_MALFORMED, line=line, field="xml", line_number=line, column=column
        ) from exc
    if root is None:
        raise ProblemError(msg.XML_MALFORMED, field="xml", line_number=1, column=0)
    return root
