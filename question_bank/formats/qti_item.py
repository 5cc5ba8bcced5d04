"""One QTI 2.x/3.0 assessment item (names normalised by qti_xml) into a record.

Supported: one choiceInteraction (maxChoices 1: single_choice, or true_false
when the two choices read true/false or Đúng/Sai; otherwise
multiple_response), or one or more textEntryInteractions (fill_blank; each
inline one leaves BLANK in the stem, one alone in its paragraph is an answer
box after the text). Scoring comes from the response declarations under the
standard templates match_correct or map_response (by URI), no response
processing, or a sum of mapResponse over the responses. Mapped values are
normalised to the item's maximum (for multiple responses the sum of positive
values, capped by upperBound); a text entry's key mapped to 0 is an accepted
answer worth no credit. shuffle="false" pins every choice; otherwise
fixed="true" pins a choice. Every other interaction is reported unsupported.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass, field

from . import messages as msg
from .columns import TRUE_FALSE_TITLES
from .errors import Problem
from .html_text import clean_plain, html_to_plain, sanitize_html
from .metadata import fold
from .records import (
    BLANK,
    FILL_BLANK,
    MATCH_EXACT,
    MATCH_IGNORE_CASE,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Option,
    QuestionRecord,
    true_false_options,
)
from .safe_xml import Node
from .validation import SUM_TOLERANCE

_VOID = frozenset({"img", "br", "hr", "col", "area", "input"})
_SKIP = frozenset(
    {
        "feedbackInline",
        "feedbackBlock",
        "rubricBlock",
        "modalFeedback",
        "templateInline",
        "templateBlock",
        "printedVariable",
        "stylesheet",
    }
)
_TEMPLATES = ("match_correct", "map_response")


@dataclass
class _Declaration:
    identifier: str
    cardinality: str
    correct: list[str] = field(default_factory=list)
    # Map entries in document order, repeats kept: a text entry reports a repeated key as
    # a repeated accepted answer instead of silently keeping one of its values.
    entries: list[tuple[str, float]] = field(default_factory=list)
    default: float = 0.0
    upper: float | None = None
    case_sensitive: bool = True

    @property
    def mapping(self) -> dict[str, float]:
        """Return the map entries by key (the last value of a repeated key)."""
        return dict(self.entries)


def _number(value: str | None, problems: list[Problem]) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        problems.append(Problem("responseDeclaration", msg.FRACTION_INVALID, {"value": value}))
        return None


def _declarations(root: Node, problems: list[Problem]) -> dict[str, _Declaration]:
    found = {}
    for node in root.findall("responseDeclaration"):
        declaration = _Declaration(
            node.get("identifier") or "", node.get("cardinality") or "single"
        )
        correct = node.find("correctResponse")
        if correct is not None:
            declaration.correct = [clean_plain(v.text_content()) for v in correct.findall("value")]
        mapping = node.find("mapping")
        if mapping is not None:
            declaration.default = _number(mapping.get("defaultValue"), problems) or 0.0
            declaration.upper = _number(mapping.get("upperBound"), problems)
            for entry in mapping.findall("mapEntry"):
                value = _number(entry.get("mappedValue"), problems)
                declaration.entries.append((clean_plain(entry.get("mapKey")), value or 0.0))
                if (entry.get("caseSensitive") or "true").strip().lower() in ("false", "0"):
                    declaration.case_sensitive = False
        found[declaration.identifier] = declaration
    return found


def _is_sum_of_map_responses(rp: Node) -> bool:
    rules = rp.children
    if len(rules) != 1 or rules[0].local != "setOutcomeValue":
        return False
    expression = rules[0].children
    if len(expression) == 1 and expression[0].local == "mapResponse":
        return True
    return (
        len(expression) == 1
        and expression[0].local == "sum"
        and all(child.local == "mapResponse" for child in expression[0].children)
    )


def _scoring_mode(root: Node, problems: list[Problem]) -> str | None:
    """Return "match_correct", "map_response" or "auto" (decide per declaration)."""
    rp = root.find("responseProcessing")
    if rp is None:
        return "auto"
    template = (rp.get("template") or rp.get("templateLocation") or "").strip()
    if template:
        name = template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml")
        if name in _TEMPLATES:
            return name
        problems.append(
            Problem("responseProcessing", msg.QTI_RP_UNSUPPORTED, {"template": template})
        )
        return None
    if not rp.children:
        return "auto"
    if _is_sum_of_map_responses(rp):
        return "map_response"
    problems.append(Problem("responseProcessing", msg.QTI_RP_CUSTOM))
    return None


class _BodyWriter:
    """Serialise item body nodes to HTML, replacing interactions."""

    def __init__(self, resolve_src: Callable[[str], str]) -> None:
        self.resolve_src = resolve_src
        self.parts: list[str] = []

    def children(self, node: Node) -> None:
        self.parts.append(html.escape(node.text, quote=False))
        for child in node.children:
            self.write(child)
            self.parts.append(html.escape(child.tail, quote=False))

    def write(self, node: Node) -> None:
        local = node.local
        if local in _SKIP or _is_answer_box(node):
            return
        if local == "choiceInteraction":
            prompt = node.find("prompt")
            if prompt is not None:
                self.children(prompt)
            return
        if local == "textEntryInteraction":
            self.parts.append(BLANK)
            return
        if local.endswith("Interaction"):
            return
        attrib = dict(node.attrib)
        if local == "object" and (attrib.get("type") or "").startswith("image/"):
            local = "img"
            attrib = {"src": attrib.get("data", ""), "alt": clean_plain(node.text_content())}
        if local == "img" and attrib.get("src"):
            attrib["src"] = self.resolve_src(attrib["src"])
        attributes = "".join(
            f' {name}="{html.escape(value, quote=True)}"' for name, value in attrib.items()
        )
        self.parts.append(f"<{local}{attributes}>")
        if local in _VOID:
            return
        self.children(node)
        self.parts.append(f"</{local}>")

    def html(self) -> str:
        return sanitize_html("".join(self.parts))


def _is_answer_box(node: Node) -> bool:
    """Return True for a block holding nothing but one text entry (not inline)."""
    return (
        node.local in ("p", "div")
        and not node.text.strip()
        and len(node.children) == 1
        and node.children[0].local == "textEntryInteraction"
        and not node.children[0].tail.strip()
    )


def _html(node: Node, resolve_src: Callable[[str], str], inner: bool = True) -> str:
    writer = _BodyWriter(resolve_src)
    if inner:
        writer.children(node)
    else:
        writer.write(node)
    return writer.html()


def read_item(
    root: Node,
    resolve_src: Callable[[str], str] = lambda src: src,
    detect_true_false: bool = True,
) -> tuple[QuestionRecord | None, list[Problem]]:
    """Return the item as a record (without category and tags) and its problems."""
    problems: list[Problem] = []
    body = root.find("itemBody")
    interactions = [
        node
        for node in (body.iter() if body is not None else [])
        if node.local.endswith("Interaction")
    ]
    kinds = {node.local for node in interactions}
    unsupported = sorted(kinds - {"choiceInteraction", "textEntryInteraction"})
    if not interactions:
        return None, [Problem("itemBody", msg.QTI_NO_INTERACTION)]
    if unsupported:
        return None, [Problem("itemBody", msg.TYPE_UNSUPPORTED, {"type": unsupported[0]})]
    if len(kinds) > 1 or (kinds == {"choiceInteraction"} and len(interactions) > 1):
        return None, [Problem("itemBody", msg.QTI_SEVERAL_INTERACTIONS)]
    mode = _scoring_mode(root, problems)
    declarations = _declarations(root, problems)
    if mode is None or problems:
        return None, problems
    stem = _html(body, resolve_src)
    if kinds == {"choiceInteraction"}:
        fields = _choice(interactions[0], declarations, mode, resolve_src, problems)
    else:
        fields = _text_entries(interactions, declarations, mode, problems)
    if fields is None or problems:
        return None, problems
    record = QuestionRecord(stem=stem, location=root.line, **fields)
    return (as_true_false(record) if detect_true_false else record), problems


def _declaration(interaction: Node, declarations, problems) -> _Declaration | None:
    identifier = interaction.get("responseIdentifier") or ""
    declaration = declarations.get(identifier)
    if declaration is None:
        problems.append(
            Problem("responseDeclaration", msg.QTI_RESPONSE_MISSING, {"identifier": identifier})
        )
    return declaration


def _scale(values: list[float], multiple: bool, upper: float | None) -> float:
    top = sum(v for v in values if v > 0) if multiple else max(values, default=0.0)
    if upper is not None:
        top = min(top, upper)
    return 1.0 if abs(top - 1.0) <= SUM_TOLERANCE else top


def _choice(interaction, declarations, mode, resolve_src, problems) -> dict | None:
    declaration = _declaration(interaction, declarations, problems)
    if declaration is None:
        return None
    choices = interaction.findall("simpleChoice")
    ids = [choice.get("identifier") or "" for choice in choices]
    max_choices = (interaction.get("maxChoices") or "1").strip()
    multiple = max_choices != "1" or declaration.cardinality != "single"
    use_mapping = mode == "map_response" or (mode == "auto" and declaration.mapping)
    keys = declaration.mapping if use_mapping else declaration.correct
    for key in keys:
        if key not in ids:
            problems.append(
                Problem("responseDeclaration", msg.QTI_UNKNOWN_CHOICE, {"identifier": key})
            )
    if use_mapping:
        values = [declaration.mapping.get(i, declaration.default) for i in ids]
        top = _scale(values, multiple, declaration.upper)
        fractions = [max(-1.0, min(1.0, v / top)) for v in values] if top > 0 else []
    elif declaration.correct:
        share = 1.0 / len(declaration.correct) if multiple else 1.0
        fractions = [share if i in declaration.correct else 0.0 for i in ids]
    else:
        fractions = []
    if not fractions:
        problems.append(
            Problem(
                "responseDeclaration", msg.QTI_NO_CORRECT, {"identifier": declaration.identifier}
            )
        )
    if problems:
        return None
    shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
    texts = [_html(choice, resolve_src) for choice in choices]
    options = tuple(
        Option(text, fraction, not shuffle or (choice.get("fixed") or "").lower() == "true")
        for choice, text, fraction in zip(choices, texts, fractions, strict=True)
    )
    return {"type": MULTIPLE_RESPONSE if multiple else SINGLE_CHOICE, "options": options}


def as_true_false(record: QuestionRecord) -> QuestionRecord:
    """Return a two-option single choice titled true/false as a true/false record."""
    if record.type != SINGLE_CHOICE or len(record.options) != 2:
        return record
    meanings = [TRUE_FALSE_TITLES.get(fold(html_to_plain(o.text))) for o in record.options]
    fractions = [option.fraction for option in record.options]
    if sorted(meanings, key=str) != [False, True] or sorted(fractions) != [0.0, 1.0]:
        return record
    truth = fractions[meanings.index(True)] == 1.0
    return dataclasses.replace(record, type=TRUE_FALSE, options=true_false_options(truth))


def _text_entries(interactions, declarations, mode, problems) -> dict | None:
    blanks, case_sensitive = [], []
    for interaction in interactions:
        declaration = _declaration(interaction, declarations, problems)
        if declaration is None:
            continue
        use_mapping = mode == "map_response" or (mode == "auto" and declaration.entries)
        if use_mapping and declaration.entries:
            top = _scale([value for _, value in declaration.entries], False, declaration.upper)
            # A key mapped to 0 is an accepted answer worth no credit (it still matches, so
            # it is kept); a negative value has no meaning for a typed answer.
            answers = [
                Answer(key, value / top)
                for key, value in declaration.entries
                if top > 0 and value >= 0
            ]
            case_sensitive.append(declaration.case_sensitive)
        else:
            answers = [Answer(value, 1.0) for value in declaration.correct if value]
            case_sensitive.append(True)
        if not answers:
            problems.append(
                Problem(
                    "responseDeclaration",
                    msg.QTI_NO_CORRECT,
                    {"identifier": declaration.identifier},
                )
            )
        blanks.append(tuple(answers))
    if problems:
        return None
    match = MATCH_EXACT if all(case_sensitive) else MATCH_IGNORE_CASE
    return {"type": FILL_BLANK, "blanks": tuple(blanks), "match": match}
