"""Vietnamese name order for room lists: given name (the last word) first, then the rest.

Letters follow the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v
x y); within a word tones only break ties, in dictionary order (none, huyền, hỏi, ngã,
sắc, nặng), so every "Anh" comes before every "Ánh".
"""

from __future__ import annotations

import unicodedata

ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]  # fmt: skip
RANK = {letter: index for index, letter in enumerate(ALPHABET)}
# Combining marks that make a separate letter (ă â ê ô ơ ư) versus those that are tones.
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
TONE_ORDER = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters_and_tones(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", word.lower()):
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        marks = decomposed[1:]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in LETTER_MARKS))
        tone = max((TONE_ORDER.get(m, 0) for m in marks), default=0)
        if letter in RANK:
            letters.append(RANK[letter])
        elif letter.isalnum():
            letters.append(len(ALPHABET) + ord(letter))  # digits and foreign letters last
        else:
            continue  # spaces, hyphens and apostrophes do not order names
        tones.append(tone)
    return tuple(letters), tuple(tones)


def vietnamese_key(text: str) -> tuple:
    """Return a sort key for one word or phrase in Vietnamese alphabetical order."""
    letters, tones = _letters_and_tones(text)
    return letters, tones


def name_order_key(full_name: str) -> tuple:
    """Return the room-list key: the given name, then family and middle names, word by word."""
    words = full_name.split()
    if not words:
        return ((), (), (), ())
    given_letters, given_tones = _letters_and_tones(words[-1])
    rest = [_letters_and_tones(word) for word in words[:-1]]  # word by word: "Lê Anh" < "Lêa"
    return (
        given_letters,
        given_tones,
        tuple(letters for letters, _ in rest),
        tuple(tones for _, tones in rest),
    )
