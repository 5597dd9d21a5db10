from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from bookings.responses import teacher_required

from .forms import NotificationSettingsForm


@require_http_methods(["GET", "POST"])
@teacher_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    form = NotificationSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Notification settings saved.")
            return redirect("teachers:notification-settings")
        return render(request, "teachers/notifications.html", {"form": form}, status=400)
    return render(request, "teachers/notifications.html", {"form": form})
