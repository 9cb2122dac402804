"""Segment counting and splitting, checked against the gsm0338 codec."""

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.segments import GSM_BASIC, GSM_EXTENSION, count, split

GSM_CHARS = "".join(sorted(GSM_BASIC | GSM_EXTENSION))
# The codec also "encodes" ESC (0x1B) itself, the prefix of the extension table; in a
# text it means nothing (and message_send refuses control characters), so it is left out.
texts = (
    st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700)
    | st.text(max_size=400)
    | st.text(alphabet=st.sampled_from(GSM_CHARS + "😀çé€’“"), max_size=500)
).filter(lambda text: "\x1b" not in text)


def septets(text: str) -> int:
    return len(text.encode("gsm03.38"))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def gsm_encodable(text: str) -> bool:
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


@given(text=texts)
def test_encoding_and_length_agree_with_the_codec(text):
    info = count(text)
    if gsm_encodable(text):
        assert (info.encoding, info.length, info.ucs2_characters) == ("GSM-7", septets(text), ())
    else:
        assert info.encoding == "UCS-2"
        assert info.length == utf16_units(text)
        assert info.ucs2_characters and all(not gsm_encodable(c) for c in info.ucs2_characters)


@given(text=texts)
def test_parts_rejoin_fit_their_limit_and_are_as_few_as_possible(text):
    parts = split(text)
    assert "".join(parts) == text
    if not text:
        assert parts == [] and count(text).segments == 0
        return
    info = count(text)
    assert info.segments == len(parts)
    if info.encoding == "GSM-7":
        limits = (160, 153)
        sizes = [septets(p) for p in parts]
    else:
        limits = (70, 67)
        sizes = [utf16_units(p) for p in parts]
    single, per_part = limits
    if len(parts) == 1:
        assert sizes[0] <= single
    else:
        assert all(size <= per_part for size in sizes)
        # Greedy and minimal: each part but the last is full up to one double-width character.
        assert all(size >= per_part - 1 for size in sizes[:-1])
        assert info.length > single


@pytest.mark.parametrize(
    ("text", "encoding", "length", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        ("é" * 70, "GSM-7", 70, 1),  # é is in the GSM alphabet
        ("ç" * 70, "UCS-2", 70, 1),  # ç is not: UCS-2
        ("ç" * 71, "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_known_lengths(text, encoding, length, segments):
    info = count(text)
    assert (info.encoding, info.length, info.segments) == (encoding, length, segments)


def test_an_escape_pair_is_never_cut():
    text = "a" * 152 + "€" + "b" * 10  # the € would straddle septets 153 and 154
    parts = split(text)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_a_surrogate_pair_is_never_cut():
    text = "ç" * 66 + "😀" + "x" * 10
    parts = split(text)
    assert parts[0] == "ç" * 66 and parts[1].startswith("😀")


def test_the_characters_that_forced_ucs2_are_named_once_in_order():
    assert count("Don’t “quote” me ç").ucs2_characters == ("’", "“", "”", "ç")
