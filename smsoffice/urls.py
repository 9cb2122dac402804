from django.contrib import admin
from django.urls import include, path

from accounts.views import contacts, lists, personal
from messaging import views as messaging_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("settings/personal/", personal.personal_data, name="personal_data"),
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
    path("sms/new/", messaging_views.compose, name="sms_compose"),
    path("admin/", admin.site.urls),
]
