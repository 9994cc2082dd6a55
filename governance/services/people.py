"""People: site admins add and invite people, make them site admins, deactivate them, without Django's admin.

An invitation is a one-time link to choose a password: Django's password-reset token, made from the person's
password hash and last sign-in, so it stops working once a password is chosen (or after
``PASSWORD_RESET_TIMEOUT``, three days by default). There may be no mail server, so the link is always handed back
to the admin to pass on; it is also mailed through ``EMAIL_BACKEND`` when the person has an address.
Collection admins do not manage people: they only look names up (``find_people``) to grant roles.
"""
from typing import NamedTuple
from urllib.parse import urljoin

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from assets import permissions
from core import audit
from core.refusals import Refused

User = get_user_model()
LOOKUP_LIMIT = 10
DETAILS = ("email", "first_name", "last_name")


class Invitation(NamedTuple):
    url: str
    emailed: bool


def _authorise(actor):
    if actor.user is not None and not permissions.is_site_admin(actor.user):
        raise PermissionDenied("Only site administrators may manage people.")


def _described(user):
    return {"username": user.get_username(), "email": user.email, "name": user.get_full_name(),
            "site_admin": user.is_superuser, "active": user.is_active}


def _refuse_invalid_password(password, user):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise Refused(" ".join(error.messages), code="weak_password")


def add_person(*, actor, username, email="", first_name="", last_name="", site_admin=False, password=None):
    """A new person; without ``password`` they choose one through an invitation (``invite``)."""
    _authorise(actor)
    username = username.strip()
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise Refused(" ".join(error.messages), code="invalid_username")
    user = User(username=username, email=User.objects.normalize_email(email), first_name=first_name,
                last_name=last_name, is_superuser=site_admin, is_staff=site_admin)
    if password:
        _refuse_invalid_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        if User.objects.select_for_update().filter(username__iexact=username).exists():
            raise Refused(f"There is already someone with the username “{username}”.", code="username_taken",
                          status=409)
        user.save()
        audit.record(actor, "user.create", obj=user, after={**_described(user), "password_set": bool(password)})
    return user


def invite(user, *, actor, site_url):
    """A one-time link for ``user`` to choose a password (the old one, if any, keeps working until then), mailed
    when they have an address; ``site_url`` makes it whole."""
    _authorise(actor)
    if not user.is_active:
        raise Refused(f"{user.get_username()} is deactivated: reactivate them first.", code="inactive", status=409)
    path = reverse("governance:accept_invitation", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    url = urljoin(site_url, path)
    with transaction.atomic():
        audit.record(actor, "user.invite", obj=user, after={"emailed_to": user.email})
    if user.email:
        inviter = (actor.user.get_full_name() or actor.user.get_username()) if actor.user else "An administrator"
        send_mail("Your Lumen DAM account",
                  f"{inviter} gave you an account on Lumen DAM, with the username {user.get_username()}.\n\n"
                  f"Choose your password here (the link works once):\n{url}\n", None, [user.email])
    return Invitation(url, emailed=bool(user.email))


def invited_person(uidb64, token):
    """The person an invitation link names while it still works, else ``Refused`` (410) saying what to do."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise Refused("This invitation link was already used, has expired, or was not copied whole. Ask the "
                      "person who invited you for a new one.", code="invitation_invalid", status=410)
    return user


def accept_invitation(user, password, *, actor):
    """``user`` chooses ``password``; the invitation stops working with it."""
    _refuse_invalid_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor, "user.password_set", obj=user, after={"via": "invitation"})
    return user


def update_person(user, *, actor, site_admin=None, active=None, **details):
    """Change ``email``, ``first_name``, ``last_name``, whether ``user`` is a site administrator (every
    collection, the people and audit pages) and whether they are active (``set_active``), in one transaction."""
    _authorise(actor)
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise ValueError(f"not a person's detail: {sorted(unknown)}")
    with transaction.atomic():
        before = _described(user)
        for name, value in details.items():
            setattr(user, name, User.objects.normalize_email(value) if name == "email" else value)
        details_changed = _described(user) != before
        if site_admin is not None and site_admin != user.is_superuser:
            if not site_admin:
                _refuse_leaving_no_site_admin(user)
            user.is_superuser = user.is_staff = site_admin
            audit.record(actor, "user.site_admin", obj=user, before={"site_admin": not site_admin},
                         after={"site_admin": site_admin})
        user.save(update_fields=[*details, "is_superuser", "is_staff"])
        if details_changed:
            audit.record(actor, "user.update", obj=user, before=before, after=_described(user))
        if active is not None:
            set_active(user, active, actor=actor)
    return user


def _refuse_leaving_no_site_admin(user):
    others = User.objects.select_for_update().filter(is_superuser=True, is_active=True).exclude(pk=user.pk)
    if user.is_superuser and user.is_active and not others.exists():
        raise Refused(f"{user.get_username()} is the only active site administrator: make someone else one first.",
                      code="last_site_admin", status=409)


def set_active(user, active, *, actor):
    """Deactivate (no sign-in, no API token, every share link they made stops showing anything) or reactivate."""
    _authorise(actor)
    with transaction.atomic():
        if user.is_active == active:
            return user
        if not active:
            if actor.user is not None and actor.user.pk == user.pk:
                raise Refused("You cannot deactivate yourself.", code="deactivate_self", status=409)
            _refuse_leaving_no_site_admin(user)
        before = _described(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(actor, "user.activate" if active else "user.deactivate", obj=user, before=before,
                     after=_described(user))
    return user


def may_look_up_people(user):
    """Site admins, and collection admins who grant roles by name."""
    return "admin" in permissions.roles_somewhere(user)


def find_people(user, text):
    """Active people whose username or name starts with ``text``, for granting roles by name."""
    if not may_look_up_people(user):
        raise PermissionDenied("Only administrators of a collection may look people up.")
    text = text.strip()
    if not text:
        return User.objects.none()
    matches = Q(username__istartswith=text) | Q(first_name__istartswith=text) | Q(last_name__istartswith=text)
    return User.objects.filter(matches, is_active=True).order_by("username")[:LOOKUP_LIMIT]


def people(text=""):
    """Everyone, for the site admins' list, optionally those whose username, name or address contains ``text``."""
    everyone = User.objects.order_by("username")
    if text.strip():
        text = text.strip()
        everyone = everyone.filter(Q(username__icontains=text) | Q(first_name__icontains=text)
                                   | Q(last_name__icontains=text) | Q(email__icontains=text))
    return everyone


def status_of(user):
    """``active``, ``invited`` (no password chosen yet) or ``deactivated``."""
    if not user.is_active:
        return "deactivated"
    return "active" if user.has_usable_password() else "invited"
