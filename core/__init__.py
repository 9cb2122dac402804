"""Helpers shared by the apps: they import no app (import-linter checks it)."""
