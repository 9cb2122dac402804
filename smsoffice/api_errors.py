"""The API answers errors in JSON, also those Django raises before a view runs.

A path under /api/ that matches no route (`/api/v1/messages/abc/`), or a request
Django refuses as malformed (too many fields), would otherwise get Django's HTML
error page; API clients parse JSON. The OpenAPI schema documents these answers on
every operation (`add_error_responses`), so that clients know what they may get.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Malformed request.", "errors": []}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error: it has been logged."}, status=500)
    return defaults.server_error(request)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with every 400 in the documented shape {"detail", "errors"}: a
    serializer's errors become one problem per field (and per list item), naming what
    was given; any other 400 (malformed JSON) keeps its detail with no problems."""
    response = drf_exception_handler(exc, context)
    if response is None or response.status_code != 400 or "errors" in response.data:
        return response
    if isinstance(exc, ValidationError):
        given = getattr(context.get("request"), "data", {})
        problems = _problems(exc.detail, given if isinstance(given, dict) else {})
        response.data = {"detail": "The request has errors: see each one below.", "errors": problems}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else ""
        response.data = {"detail": str(detail or "Malformed request."), "errors": []}
    return response


def _problems(detail: dict | list, given: dict) -> list[dict[str, str]]:
    problems = []
    for field, errors in (detail if isinstance(detail, dict) else {"non_field_errors": detail}).items():
        value = given.get(field, "")
        # A list field's errors come per item index: {"to": {3: ["..."]}}.
        items = errors.items() if isinstance(errors, dict) else [(None, errors)]
        for index, messages in items:
            item = value[index] if index is not None and isinstance(value, list) else value
            for message in messages if isinstance(messages, list) else [messages]:
                problems.append({"field": field, "input": str(item)[:200], "reason": str(message)})
    return problems


DETAIL = {
    "application/json": {
        "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    }
}
COMMON = {
    "401": "Missing or wrong token (`Authorization: Token <key>`).",
    "403": "Not allowed (e.g. a session request without its CSRF token).",
    "429": "Too many requests: wait and try again (API_RATE_LIMIT).",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: document the errors every operation may answer."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = dict(COMMON)
            if "{" in path:
                errors["404"] = "No such object, or not yours."
            if "requestBody" in operation:
                errors["415"] = "The body must be JSON (`Content-Type: application/json`)."
                errors.setdefault("400", "Malformed request.")
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": DETAIL})
    return result
