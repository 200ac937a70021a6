"""Prefilter triggers beyond plain substrings (the engine accepts any object with `search`).

A word that ML libraries mention everywhere in prose — `from_pretrained` in docstring examples,
`http://` in licence headers — says little about the code. `CodeWord` only counts occurrences on
lines that can be code: not comment lines, not doctest lines (`>>>`, `...`), and not after a
backtick on the same line (Markdown in docstrings and error messages). It errs towards parsing:
a docstring line without those marks counts; a real call is missed only on a line where a string
holding a backtick comes before it.
"""
from __future__ import annotations

from typing import Optional

_PROSE = (">>>", "...", "#")


class CodeWord:
    __slots__ = ("word",)

    def __init__(self, word: str) -> None:
        self.word = word

    def __repr__(self) -> str:
        return f"CodeWord({self.word!r})"

    def __hash__(self) -> int:
        return hash((CodeWord, self.word))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeWord) and other.word == self.word

    def search(self, text: str) -> Optional[int]:
        """The index of the first occurrence on a code line, or None."""
        word = self.word
        find = text.find
        index = find(word)
        while index >= 0:
            start = text.rfind("\n", 0, index) + 1
            head = text[start:index]
            if "`" not in head and not head.lstrip().startswith(_PROSE):
                return index
            end = find("\n", index)
            if end < 0:
                return None
            index = find(word, end)
        return None


class AnyWord:
    """One of several words on a code line (a tuple entry of `AnyWord`s needs one of each: "a
    source word and a sink word")."""

    __slots__ = ("words",)

    def __init__(self, *words: str) -> None:
        self.words = tuple(CodeWord(word) for word in dict.fromkeys(words))

    def __repr__(self) -> str:
        return f"AnyWord{tuple(w.word for w in self.words)!r}"

    def __hash__(self) -> int:
        return hash((AnyWord, self.words))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyWord) and other.words == self.words

    def search(self, text: str) -> Optional[int]:
        for word in self.words:
            index = word.search(text)
            if index is not None:
                return index
        return None
