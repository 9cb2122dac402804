"""The fax copy as a PDF: a cover header (from, to, date, page count), then the text.

fpdf2 with DejaVu Sans (vendored in fonts/, Bitstream Vera licence: Latin, Greek,
Cyrillic, Hebrew, Arabic, many symbols), HarfBuzz shaping (Arabic letters joined,
right-to-left scripts laid out right to left; only for text that needs it) and, only
when the text needs them,
the fonts listed in FAX_FALLBACK_FONTS that exist on the machine (Chinese, Japanese,
Korean: Debian's fonts-droid-fallback). Loading a font costs ~0.1-0.3 s, so a fax
loads DejaVu and no more unless a character asks for it.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont
from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
MAIN_FONT = FONTS / "DejaVuSans.ttf"
MAIN = "dejavu"
PAGES = "{nb}"  # fpdf2 puts the page count here when the document is written


@dataclass(frozen=True)
class FaxCover:
    sender: str
    recipient: str  # a name, or "" for a typed number
    number: str  # as shown: +32 2 555 12 34
    subject: str
    sent_at: dt.datetime  # shown as given: pass it in the sender's time zone


def fax_pdf(*, cover: FaxCover, text: str) -> bytes:
    """The whole fax; its page count is on the cover and at the foot of every page."""
    text = printable(text)
    everything = text + cover.subject + cover.recipient + cover.sender
    pdf = _FaxDocument(cover, needs_fallback=bool(_uncovered(everything)), needs_shaping=_needs_shaping(everything))
    pdf.add_page()
    pdf.set_font(MAIN, "", 20)
    pdf.cell(0, 12, _("Fax"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(MAIN, "", 11)
    rows = [
        (_("From"), cover.sender),
        (_("To"), f"{cover.recipient} ({cover.number})" if cover.recipient else cover.number),
        (_("Date"), cover.sent_at.strftime("%Y-%m-%d %H:%M %Z").strip()),
        (_("Pages"), PAGES),
        (_("Subject"), cover.subject),
    ]
    for label, value in rows:
        pdf.set_text_color(90)
        pdf.cell(30, 7, label)
        pdf.set_text_color(0)
        pdf.multi_cell(0, 7, printable(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(6)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def printable(text: str) -> str:
    """Drop what a page cannot show: control characters but line breaks and tabs, lone surrogates."""
    text = text.replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))


class _FaxDocument(FPDF):
    def __init__(self, cover: FaxCover, *, needs_fallback: bool, needs_shaping: bool) -> None:
        super().__init__(format="A4")
        self.cover = cover
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_font(MAIN, "", MAIN_FONT)
        if needs_fallback:
            fallbacks = []
            for number, path in enumerate(p for p in settings.FAX_FALLBACK_FONTS if Path(p).is_file()):
                self.add_font(f"fallback{number}", "", path)
                fallbacks.append(f"fallback{number}")
            self.set_fallback_fonts(fallbacks, exact_match=False)
        if needs_shaping:
            self.set_text_shaping(use_shaping_engine=True)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(MAIN, "", 8)
        self.set_text_color(90)
        line = _("%(sender)s to %(recipient)s · page %(page)s of %(pages)s") % {
            "sender": printable(self.cover.sender),
            "recipient": printable(self.cover.recipient or self.cover.number),
            "page": self.page_no(),
            "pages": PAGES,
        }
        self.cell(0, 6, line, align="C")
        self.set_text_color(0)


def _needs_shaping(text: str) -> bool:
    """Right-to-left letters (Hebrew, Arabic...) or combining marks (Indic scripts...).

    HarfBuzz shaping makes those right; it also makes a page of Latin text 4x slower
    (0.75 s instead of 0.18 s measured), so it is only turned on when needed.
    """
    return any(unicodedata.bidirectional(c) in ("R", "AL") or unicodedata.category(c) in ("Mn", "Mc") for c in text)


def _uncovered(text: str) -> set[str]:
    """Characters of `text` that DejaVu Sans has no glyph for (spaces and line breaks aside)."""
    covered = _main_font_characters()
    return {c for c in set(text) if not c.isspace() and ord(c) not in covered}


@cache
def _main_font_characters() -> frozenset[int]:
    with TTFont(MAIN_FONT, lazy=True) as font:
        return frozenset(font.getBestCmap())
