"""The API's JSON parser: refuses what JSON can spell but the project cannot handle.

Two valid JSON documents used to be 500s, whichever field they hit:
- a lone UTF-16 surrogate (`"\\ud800"`): json.loads gives a str that UTF-8 cannot
  encode, and the first encode (PostgreSQL, a log line, the response) raises;
- nesting deeper than Python recurses (`[` x 100,000): RecursionError, which is not the
  ValueError DRF turns into a 400; and a few hundred levels that do parse can still
  overflow later in code that walks the value (str() of it in an error message).
Checked once here, for every endpoint, as a 400 in the documented shape (ParseError
becomes {"detail", "errors": []} in smsoffice/api_errors.py).
"""

import re
from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No API body nests more than two levels ({"to": [...]}); the margin is for clients
# that wrap values, the bound keeps every walk over the value far from the recursion limit.
MAX_DEPTH = 16
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a well-formed pair is one code point after json.loads


class SafeJSONParser(JSONParser):
    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        _check(data)
        return data


def _too_deep() -> str:
    return _("JSON parse error - nested more than %(max)d levels deep.") % {"max": MAX_DEPTH}


def _check(data: Any) -> None:
    """Raise ParseError for a value nested too deep or a string with a lone surrogate.

    Iterative, so that the check itself cannot overflow the stack."""
    pending = [(data, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ParseError(_too_deep())
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, _("a key in %(field)s") % {"field": path} if path else _("a key"))
                pending.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))
        else:
            _check_text(value, path)


def _check_text(value: Any, path: str) -> None:
    if isinstance(value, str) and (found := LONE_SURROGATE.search(value)):
        raise ParseError(
            _(
                "JSON parse error - %(field)s has a lone UTF-16 surrogate (%(code)s): a character "
                "outside the Basic Multilingual Plane is escaped as a pair, e.g. \\ud83d\\ude00."
            )
            % {"field": path or _("the body"), "code": f"\\u{ord(found.group()):04x}"}
        )
