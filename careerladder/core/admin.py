"""The admin base class for audited models: history can be read, never rewritten."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """``SimpleHistoryAdmin`` with its revert turned off.

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides the "Revert" button: the page of an old
    version still saves whatever is posted to it. Here that page answers a POST with 403, so the
    audit trail is never changed from the admin (a correction is an ordinary edit of the live
    record, which itself lands in the history)."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("The history is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)
