from django.contrib.auth import views as auth_views
from django.urls import path

from .forms import LimitedPasswordResetForm
from .views import api_token, contacts, lists, organisation, personal

urlpatterns = [
    # Before Django's own (included after these): the reset form with its limits (password_reset.py).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=LimitedPasswordResetForm),
        name="password_reset",
    ),
    path("settings/personal/", personal.personal_data, name="personal_data"),
    path("settings/api/", api_token.api_settings, name="api_settings"),
    path("settings/organisation/", organisation.organisation_page, name="organisation"),
    path("settings/organisation/invite/", organisation.organisation_invite, name="organisation_invite"),
    path(
        "settings/organisation/members/<int:membership_id>/",
        organisation.organisation_member_edit,
        name="organisation_member_edit",
    ),
    path(
        "settings/organisation/members/<int:membership_id>/remove/",
        organisation.organisation_member_remove,
        name="organisation_member_remove",
    ),
    path(
        "settings/organisation/invitations/<int:invitation_id>/revoke/",
        organisation.organisation_invitation_revoke,
        name="organisation_invitation_revoke",
    ),
    path("invitations/<str:token>/", organisation.invitation_accept_page, name="invitation_accept"),
    path("contacts/", contacts.contact_index, name="contact_index"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/import/", contacts.contact_import, name="contact_import"),
    path("contacts/export.vcf", contacts.contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", contacts.contact_remove, name="contact_delete"),
    path("lists/", lists.list_index, name="list_index"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<int:list_id>/", lists.list_detail, name="list_detail"),
    path("lists/<int:list_id>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<int:list_id>/delete/", lists.list_remove, name="list_delete"),
    path("lists/<int:list_id>/add/<int:contact_id>/", lists.list_add_contact, name="list_add_contact"),
    path("lists/<int:list_id>/members/<int:member_id>/remove/", lists.list_member_delete, name="list_member_delete"),
]
