"""How many SMS parts a text takes, and where it is cut.

One credit is one part. The limits come from 3GPP TS 23.038 (the GSM 7-bit
alphabet) and TS 23.040 (a concatenated part carries a 6-octet user data header):

- GSM 7-bit: 160 septets in a single SMS, 153 per part when concatenated. A
  character of the extension table costs two septets (ESC + code) and a part never
  splits such a pair.
- Anything outside the GSM alphabet makes the whole text UCS-2: 70 UTF-16 code
  units in a single SMS, 67 per part. A character outside the Basic Multilingual
  Plane (an emoji) is a surrogate pair, two units, never split.
"""

from dataclasses import dataclass

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# TS 23.038 section 6.2.1, the default alphabet (0x1B, the escape, left out: it is not text).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# TS 23.038 section 6.2.1.1, the extension table: two septets each.
GSM_EXTENSION = frozenset("\x0c^{}\\[~]|€")

GSM7, UCS2 = "GSM-7", "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # GSM-7 or UCS-2
    length: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    characters: int  # what a person counts: code points
    ucs2_characters: tuple[str, ...]  # the characters that forced UCS-2, in order of appearance


def gsm_cost(char: str) -> int | None:
    """Septets `char` takes in GSM 7-bit, or None when it has no GSM encoding."""
    if char in GSM_BASIC:
        return 1
    if char in GSM_EXTENSION:
        return 2
    return None


def ucs2_cost(char: str) -> int:
    """UTF-16 code units: 2 for a character outside the BMP (a surrogate pair)."""
    return 2 if ord(char) > 0xFFFF else 1


def non_gsm_characters(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for char in text:
        if gsm_cost(char) is None:
            seen.setdefault(char)
    return tuple(seen)


def split(text: str) -> list[str]:
    """The parts `text` is sent as, in order; "".join(split(text)) == text."""
    if not text:
        return []
    forcing = non_gsm_characters(text)
    cost = ucs2_cost if forcing else gsm_cost
    single, per_part = (UCS2_SINGLE, UCS2_PART) if forcing else (GSM_SINGLE, GSM_PART)
    if sum(cost(char) for char in text) <= single:
        return [text]
    parts, current, used = [], [], 0
    for char in text:
        width = cost(char)
        # A character is never cut: an escape pair or a surrogate pair goes whole to the next part.
        if used + width > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += width
    parts.append("".join(current))
    return parts


def count(text: str) -> SegmentInfo:
    """Encoding, length in the encoding's units, parts, and the characters that forced UCS-2."""
    forcing = non_gsm_characters(text)
    cost = ucs2_cost if forcing else gsm_cost
    length = sum(cost(char) for char in text)
    return SegmentInfo(
        encoding=UCS2 if forcing else GSM7,
        length=length,
        segments=len(split(text)),
        characters=len(text),
        ucs2_characters=forcing,
    )
