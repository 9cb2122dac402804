from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import forms as f
from ..access import access_address_book, access_contact
from ..contact_files import ContactFileError, decode_upload
from ..models import Contact
from ..selectors import address_books_visible, contacts_search
from ..services import SharedDataMoveRefused, address_books_ensure, contact_delete, contact_save, contacts_import
from ..vcard import CardData, write_cards

PAGE_SIZE = 25
EXPORT_BATCH = 500


@login_required
def contact_index(request: HttpRequest) -> HttpResponse:
    search = f.ContactSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    book = access_address_book(request.user, request.GET["book"]) if request.GET.get("book", "").isdigit() else None
    contacts = contacts_search(user=request.user, query=query, book=book)
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "search": search,
        "query": query,
        "book": book,
        "books": address_books_visible(user=request.user),
        "page": page,
    }
    return render(request, "accounts/contact_index.html", context)


@login_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    return render(request, "accounts/contact_detail.html", {"contact": contact})


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    address_books_ensure(user=request.user)
    return _contact_form(request, contact=None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _contact_form(request, contact=access_contact(request.user, contact_id))


def _contact_form(request: HttpRequest, *, contact: Contact | None) -> HttpResponse:
    books = address_books_visible(user=request.user)
    region = request.user.default_country or None
    data = request.POST if request.method == "POST" else None
    if contact is None:
        form = f.ContactForm(data, books=books)
        phone_initial, email_initial = [], []
    else:
        form = f.ContactForm(
            data,
            books=books,
            initial={
                "book": contact.book_id,
                "name": contact.name,
                "organisation": contact.organisation,
                "notes": contact.notes,
            },
        )
        phone_initial = [{"label": p.label, "number": p.display} for p in contact.phones.all()]
        email_initial = [{"address": e.address} for e in contact.emails.all()]
    phone_set = f.PhoneFormSet(data, prefix="phones", initial=phone_initial, default_region=region)
    email_set = f.EmailFormSet(data, prefix="emails", initial=email_initial)
    status = 200
    if data is not None:
        if form.is_valid() and phone_set.is_valid() and email_set.is_valid():
            try:
                saved = contact_save(
                    contact=contact,
                    book=form.cleaned_data["book"],
                    name=form.cleaned_data["name"].strip(),
                    organisation=form.cleaned_data["organisation"].strip(),
                    notes=form.cleaned_data["notes"],
                    phone_entries=f.phone_entries(phone_set),
                    emails=f.email_addresses(email_set),
                    actor=request.user,
                )
            except SharedDataMoveRefused as error:
                form.add_error("book", str(error))
            else:
                messages.success(request, _("Contact “%(name)s” saved.") % {"name": saved.name})
                return redirect("contact_detail", contact_id=saved.pk)
        status = 400
    context = {"form": form, "phone_set": phone_set, "email_set": email_set, "contact": contact}
    return render(request, "accounts/contact_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contact_remove(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    if request.method == "POST":
        contact_delete(contact=contact)
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.name})
        return redirect("contact_index")
    return render(request, "accounts/contact_confirm_delete.html", {"contact": contact})


@login_required
@require_http_methods(["GET", "POST"])
def contact_import(request: HttpRequest) -> HttpResponse:
    address_books_ensure(user=request.user)
    books = address_books_visible(user=request.user)
    form = f.ContactImportForm(request.POST or None, request.FILES or None, books=books)
    report, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = contacts_import(
                    book=form.cleaned_data["book"],
                    filename=upload.name,
                    text=decode_upload(upload.read()),
                    default_region=request.user.default_country or None,
                    actor=request.user,
                )
            except ContactFileError as error:
                form.add_error("file", str(error))
            else:
                # Some rows may have been refused: the report says which, by line.
                status = 200 if not report.errors or report.imported else 400
    limits = {
        "max_rows": number_format(settings.CONTACT_IMPORT_MAX_ROWS, force_grouping=True),
        "max_kb": number_format(settings.CONTACT_IMPORT_MAX_BYTES // 1024, force_grouping=True),
    }
    context = {"form": form, "report": report, **limits}
    return render(request, "accounts/contact_import.html", context, status=status)


@login_required
@require_GET
def contact_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every contact the user can see (or one book's), as a vCard 3.0 file."""
    book_id = request.GET.get("book", "")
    book = access_address_book(request.user, book_id) if book_id.isdigit() else None
    contacts = contacts_search(user=request.user, book=book)

    def cards():
        for contact in contacts.iterator(chunk_size=EXPORT_BATCH):
            yield write_cards([_card_of(contact)])

    response = StreamingHttpResponse(cards(), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contacts.vcf"'
    return response


def _card_of(contact: Contact) -> CardData:
    return CardData(
        line=0,
        name=contact.name,
        organisation=contact.organisation,
        notes=contact.notes,
        emails=[e.address for e in contact.emails.all()],
        phones=[(p.label, p.e164 or p.raw) for p in contact.phones.all()],
    )
