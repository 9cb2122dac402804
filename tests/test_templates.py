"""Template source that Django would show to users as text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_template_comment_spans_lines():
    # Django's {# #} comments end at the line: one that goes on to the next line is
    # printed on the page as it is (the composer showed one). {% comment %} spans lines.
    unclosed = re.compile(r"\{#(?![^\n]*#\})")
    offenders = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts
        for text in [path.read_text()]
        for match in unclosed.finditer(text)
    ]
    assert offenders == []
