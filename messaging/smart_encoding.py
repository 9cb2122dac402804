"""The GSM-friendly rewrite: look-alike characters replaced so that a text stays in GSM-7.

One function, `gsm_friendly()`, serves the composer's one-click replacement, the API's
`"smart_encoding": true` and each recipient's text when placeholders are filled in.

The table is the one Twilio documents for Smart Encoding
(https://www.twilio.com/docs/messaging/services/smart-encoding-char-list): typographic
quotes and apostrophes, dashes, the ellipsis, Unicode spaces, bullets, full-width forms
and similar look-alikes. Every replacement is GSM 03.38 text and no key is, so a GSM-7
text is never changed; letters with meaning (ê, ł, ç) and emoji are not in the table and
are never replaced (tests/messaging/test_smart_encoding.py checks both with hypothesis).
"""

from . import segments

_QUOTES = "«»“”ʺˮ‟❝❞〝〞＂„″‶"
_APOSTROPHES = "‘’ʻˈʼʽʹ‛＇´ˊ`‵❛❜̓̔′‚"
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_HYPHENS = "‐‑‒–—―−⁃•∙⎼⎽﹣－"

TABLE: dict[str, str] = {
    **dict.fromkeys(_QUOTES, '"'),
    **dict.fromkeys(_APOSTROPHES, "'"),
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_HYPHENS, "-"),
    # Characters that only look like something: nothing is lost by dropping them.
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark / zero-width no-break space
    "\u00ad": "",  # soft hyphen
    "…": "...",
    "‹": "<",
    "›": ">",
    "÷": "/",
    "¼": "1/4",
    "½": "1/2",
    "¾": "3/4",
    "⁄": "/",
    "∕": "/",
    "⧸": "/",
    "／": "/",
    "⧹": "\\",
    "⧵": "\\",
    "﹨": "\\",
    "＼": "\\",
    "＿": "_",
    "∣": "|",
    "｜": "|",
    "⎸": "|",
    "⎹": "|",
    "⏐": "|",
    "﹫": "@",
    "＠": "@",
    "﹩": "$",
    "＄": "$",
    "ǃ": "!",
    "︕": "!",
    "﹗": "!",
    "！": "!",
    "﹟": "#",
    "＃": "#",
    "﹪": "%",
    "％": "%",
    "﹠": "&",
    "＆": "&",
    "﹐": ",",
    "、": ",",
    "﹑": ",",
    "，": ",",
    "､": ",",
    "❨": "(",
    "❪": "(",
    "﹙": "(",
    "（": "(",
    "⟮": "(",
    "⦅": "(",
    "❩": ")",
    "❫": ")",
    "﹚": ")",
    "）": ")",
    "⟯": ")",
    "⦆": ")",
    "⁎": "*",
    "∗": "*",
    "⊛": "*",
    "✢": "*",
    "✣": "*",
    "✤": "*",
    "✥": "*",
    "✱": "*",
    "✲": "*",
    "✳": "*",
    "✺": "*",
    "✻": "*",
    "✼": "*",
    "✽": "*",
    "❃": "*",
    "❉": "*",
    "❊": "*",
    "❋": "*",
    "⧆": "*",
    "﹡": "*",
    "＊": "*",
    "˖": "+",
    "﹢": "+",
    "＋": "+",
    "。": ".",
    "﹒": ".",
    "．": ".",
    "｡": ".",
    "ː": ":",
    "˸": ":",
    "⦂": ":",
    "꞉": ":",
    "︓": ":",
    "：": ":",
    "⁏": ";",
    "︔": ";",
    "﹔": ";",
    "；": ";",
    "﹤": "<",
    "＜": "<",
    "꞊": "=",
    "﹦": "=",
    "＝": "=",
    "﹥": ">",
    "＞": ">",
    "︖": "?",
    "﹖": "?",
    "？": "?",
    "︿": "^",
    "＾": "^",
    "﹛": "{",
    "｛": "{",
    "﹜": "}",
    "｝": "}",
    "［": "[",
    "］": "]",
    "˜": "~",
    "˷": "~",
    "∼": "~",
    "～": "~",
    # Full-width digits and Latin letters (U+FF10-FF19, FF21-FF3A, FF41-FF5A).
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    **{chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
}
_TRANSLATION = str.maketrans(TABLE)


def gsm_friendly(text: str) -> str:
    """`text` with every look-alike of the table replaced by its GSM-7 equivalent; nothing else changes."""
    return text.translate(_TRANSLATION)


def replaceable(text: str) -> tuple[str, ...]:
    """The characters of `text` that force UCS-2 and that gsm_friendly() replaces, in order."""
    return tuple(char for char in segments.non_gsm_characters(text) if char in TABLE)


def only_lookalikes_force_ucs2(text: str) -> bool:
    """True when the text is UCS-2 and gsm_friendly() makes it GSM-7 (nothing else forces UCS-2)."""
    forcing = segments.non_gsm_characters(text)
    return bool(forcing) and all(char in TABLE for char in forcing)
