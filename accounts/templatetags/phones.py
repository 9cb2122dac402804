from django import template

from accounts.phones import format_international

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """Show an E.164 number the way people read it: +32 475 12 34 56."""
    return format_international(e164) if e164 else ""
