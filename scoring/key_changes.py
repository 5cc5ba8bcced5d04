"""Amend an item's key after the council's decision on a faulty item, as pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from scoring.types import AcceptedAnswer, BlankKey, ItemKey, OptionKey

KEY_CHANGES = ("credit_all", "accept_option", "accept_text")
ONE_CHOICE_TYPES = ("true_false", "single_choice")


@dataclass(frozen=True)
class KeyChange:
    """One change to a key: credit everyone, accept another option, or accept another text."""

    kind: str  # one of KEY_CHANGES
    option_id: str | None = None  # accept_option
    blank: int | None = None  # accept_text: 0-based blank index
    text: str | None = None  # accept_text

    def __post_init__(self) -> None:
        if self.kind not in KEY_CHANGES:
            raise ValueError(f"unknown key change {self.kind!r}; use one of {KEY_CHANGES}")
        if self.kind == "accept_option" and not self.option_id:
            raise ValueError("accept_option needs an option id")
        if self.kind == "accept_text" and (self.blank is None or not (self.text or "").strip()):
            raise ValueError("accept_text needs a blank index and a text")


def amend_key(key: ItemKey, changes: Iterable[KeyChange]) -> ItemKey:
    """Return the key with the changes applied in order.

    credit_all: the item earns full points whatever the response (blank included), the
    rules' "faulty item credited to every candidate".
    accept_option on true/false or single choice: the option earns full credit too, so
    either option is accepted. On multiple response the option joins the key options and the
    positive credit is shared equally among them (1/k each; negative fractions unchanged), so
    all_or_nothing wants the enlarged set and partial credit still sums to 1.
    accept_text: the blank also accepts the text, with full credit, under its match mode.
    """
    for change in changes:
        if change.kind == "credit_all":
            key = replace(key, credited_to_all=True)
        elif change.kind == "accept_option":
            key = accept_option(key, change.option_id)
        else:
            key = accept_text(key, change.blank, change.text)
    return key


def accept_option(key: ItemKey, option_id: str) -> ItemKey:
    if key.item_type == "fill_blank":
        raise ValueError("a fill in the blank item has no options; accept a text instead")
    if option_id not in {option.id for option in key.options}:
        raise ValueError(f"the item has no option {option_id!r}")
    if key.item_type in ONE_CHOICE_TYPES:
        options = tuple(OptionKey(o.id, 1.0) if o.id == option_id else o for o in key.options)
        return replace(key, options=options)
    keyed = {o.id for o in key.options if o.fraction > 0} | {option_id}
    share = 1.0 / len(keyed)
    options = tuple(
        OptionKey(o.id, share) if o.id in keyed else OptionKey(o.id, min(o.fraction, 0.0))
        for o in key.options
    )
    return replace(key, options=options)


def accept_text(key: ItemKey, blank: int, text: str) -> ItemKey:
    if key.item_type != "fill_blank":
        raise ValueError("only a fill in the blank item accepts texts")
    if not 0 <= blank < len(key.blanks):
        raise ValueError(f"the item has no blank {blank}")
    blanks = list(key.blanks)
    target = blanks[blank]
    kept = tuple(a for a in target.answers if a.text != text)
    blanks[blank] = BlankKey((*kept, AcceptedAnswer(text, 1.0)), target.match)
    return replace(key, blanks=tuple(blanks))
