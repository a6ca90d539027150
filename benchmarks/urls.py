"""The benchmark's URLconf: the project's URLs plus the framework-floor view.

The runner switches ``ROOT_URLCONF`` to this module while it measures, so production never has
the floor route. The floor is a logged-in view that renders the base template and does nothing
else: the session and user look-ups, the middleware, the navigation context processor and the
layout are all a page costs before it reads anything of its own.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from careerladder.urls import urlpatterns as project_urlpatterns

FLOOR_PATH = "bench-floor/"
_FLOOR_TEMPLATE = '{% extends "base.html" %}{% block title %}Floor{% endblock %}'


@login_required
def floor(request):
    template = engines["django"].from_string(_FLOOR_TEMPLATE)
    return HttpResponse(template.render({}, request))


urlpatterns = [path(FLOOR_PATH, floor, name="bench-floor"), *project_urlpatterns]
