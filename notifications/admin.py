from django.contrib import admin, messages

from notifications import services
from notifications.models import CalendarFeed, Digest, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "threshold", "escalated", "created_on", "read_at", "digest"]
    list_filter = ["kind", "threshold", "escalated", "created_on"]
    search_fields = ["title", "key", "recipient__username"]
    raw_id_fields = ["recipient", "technician", "digest"]
    date_hierarchy = "created_on"


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient", "status", "attempts", "address", "sent_at", "error"]
    list_filter = ["status", "day"]
    search_fields = ["recipient__username", "address"]
    raw_id_fields = ["recipient"]
    actions = ["send_again"]

    @admin.action(description="Send again with the next run (a digest stuck in 'sending' or failed)")
    def send_again(self, request, queryset):
        released = 0
        for digest in queryset.exclude(status=Digest.Status.SENT):
            services.digest_release(digest=digest)
            released += 1
        self.message_user(request, f"{released} digest(s) released for the next run.", messages.SUCCESS)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """The token is a credential: it is not shown here; deleting the row revokes the feed."""

    list_display = ["user", "created_at", "updated_at"]
    search_fields = ["user__username"]
    exclude = ["token"]
    readonly_fields = ["user"]

    def has_add_permission(self, request):
        return False
