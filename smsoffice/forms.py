"""The project's form renderer: Django's templates, with our own field layout."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Renders with the project's TEMPLATES (so templates/forms/ can change a field's layout).

    templates/forms/field.html puts a checkbox inside its own label (Pico draws it beside
    the text) and a field's errors right after it; Django ties them with aria-invalid and
    aria-describedby.
    """

    field_template_name = "forms/field.html"
