"""Destructive actions ask first. A view that purges, trashes, revokes or removes calls ``confirmation_page``
before acting: a POST without ``confirmed=yes`` gets a page that says what will happen, with the same form
ready to send again confirmed (and a way back). Our script (static/js/site.js) shows that page's question in a
dialog instead, so the words are written once, here in the views, and a browser without scripts still asks.
The API does not ask: its clients confirm in their own way.
"""
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

CONFIRMED = "confirmed"
NOT_RESENT = ("csrfmiddlewaretoken", CONFIRMED)


def confirmed(request):
    return request.POST.get(CONFIRMED) == "yes"


def confirmation_page(request, *, title, message, button, details=(), back=None):
    """None once the POST is confirmed; else the page asking ``title`` (a question), explaining ``message`` (and
    ``details``, a list of lines), whose ``button`` sends the same form again with ``confirmed=yes``."""
    if confirmed(request):
        return None
    fields = [(name, value) for name, values in request.POST.lists() if name not in NOT_RESENT for value in values]
    return render(request, "confirm.html", {
        "title": title, "message": message, "details": list(details), "button": button,
        "action": request.get_full_path(), "fields": fields, "back": back or back_url(request),
    })


def back_url(request):
    """Where the person came from: the form's own ``next`` (a page that posts through a confirmation keeps it),
    else the referring page of this site, else the library."""
    for candidate in (request.POST.get("next", ""), request.META.get("HTTP_REFERER", "")):
        if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure()):
            return candidate
    return reverse("assets:library")
