"""Vietnamese name order: given name first, then family and middle names, then SBD.

Letters follow the Vietnamese alphabet (a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t
u ư v w x y z; f j w z only occur in foreign names and sit where Latin puts them). Within a
word, the letters decide first; the tone decides only between words with the same letters,
in the order ngang, huyền, hỏi, ngã, sắc, nặng (ma < mà < mả < mã < má < mạ < mác).
"""

from __future__ import annotations

import unicodedata

ALPHABET = (
    "a",
    "ă",
    "â",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "ê",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "ô",
    "ơ",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "ư",
    "v",
    "w",
    "x",
    "y",
    "z",
)
LETTER_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}

# Combining marks that make a different letter (not a tone): breve, circumflex, horn.
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tone marks in dictionary order; no mark (ngang) is 0.
TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# Characters outside the alphabet (digits, hyphens, foreign letters) sort after it, by code point.
OTHER_BASE = len(ALPHABET)


def _split(char: str) -> tuple[str, int]:
    """Return (the letter without its tone, the tone rank) of one lower-case character."""
    decomposed = unicodedata.normalize("NFD", char)
    tone = 0
    kept = []
    for part in decomposed:
        if part in TONE_RANK:
            tone = TONE_RANK[part]
        else:
            kept.append(part)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def word_key(word: str) -> tuple[tuple[int, ...], int]:
    """Return the sort key of one word (a syllable): its letter ranks, then its tone."""
    letters: list[int] = []
    word_tone = 0
    for char in unicodedata.normalize("NFC", word.casefold()):
        letter, tone = _split(char)
        for single in letter:  # a letter with a mark is one NFC character
            rank = LETTER_RANK.get(single)
            letters.append(rank if rank is not None else OTHER_BASE + ord(single))
        word_tone = max(word_tone, tone)  # a syllable carries one tone
    return tuple(letters), word_tone


def name_key(full_name: str) -> tuple:
    """Return the key of a full name: the given name (last word), then family and middle."""
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return ((), ())
    given, rest = words[-1], words[:-1]
    return (word_key(given), tuple(word_key(w) for w in rest))


def candidate_key(full_name: str, registration_number: str) -> tuple:
    """Return the key listing candidates the Vietnamese way, SBD breaking ties."""
    return (*name_key(full_name), registration_number)


def sort_candidates(candidates, name=lambda c: c.full_name, sbd=lambda c: c.registration_number):
    """Return candidates (any objects) sorted in Vietnamese name order."""
    return sorted(candidates, key=lambda c: candidate_key(name(c), sbd(c)))
