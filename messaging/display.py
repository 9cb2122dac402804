"""How a text that came from outside (an incoming SMS) is shown: never obeyed."""

import unicodedata

# Characters that must not act when a reply is shown: C0/C1 controls (but the line break)
# and the bidirectional overrides that can make a text read backwards.
_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def text_shown(text: str) -> str:
    """A reply's text safe to show: each control character as a visible symbol (U+2400 pictures)."""

    def visible(char: str) -> str:
        if char == "\n":
            return char
        if ord(char) < 0x20:
            return chr(0x2400 + ord(char))
        if ord(char) == 0x7F:
            return "\u2421"
        if char in _BIDI or unicodedata.category(char) == "Cc":
            return "\ufffd"
        return char

    return "".join(visible(char) for char in text)
