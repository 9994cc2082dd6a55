"""Forms of the governance pages: rights, role grants, reasons, selections and share links."""
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.urls import reverse_lazy
from django.utils import timezone

from assets import permissions
from assets.models import Collection, Role
from governance.models import Channel, UsageRights, normalise_territory, validate_territory
from governance.services.bulk import MAX_ASSETS as MAX_SELECTED


class TerritoriesField(forms.CharField):
    """Comma-separated ISO codes as people type them (“fr, de” or “worldwide”); the model validates each."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        return [normalise_territory(part) for part in (value or "").split(",") if part.strip()]

    def validate(self, value):
        """Each code checked here, so a wrong one is named plainly (the model would say "Item 2 in the array…")."""
        super().validate(value)
        for territory in value:
            validate_territory(territory)


class UsageRightsForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text="None ticked means every channel.")
    territories = TerritoriesField(required=False, help_text="ISO country codes separated by commas, or “worldwide”. "
                                                             "Empty means everywhere.")

    class Meta:
        model = UsageRights
        fields = ["licence_type", "licence_url", "holder", "credit_line", "channels", "territories", "starts_on",
                  "expires_on", "model_release", "property_release", "restrictions", "acquire_licence_url"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
            "restrictions": forms.Textarea(attrs={"rows": 3}),
        }


class RoleGrantForm(forms.Form):
    """Grant a role to one user (by username) or one group (by name)."""

    username = forms.CharField(required=False, label="User", help_text="Their username: type a few letters to "
                                                                        "choose from the people who match.",
                               widget=forms.TextInput(attrs={"list": "people-suggestions", "autocomplete": "off",
                                                             "data-people-lookup": reverse_lazy(
                                                                 "governance-api:users-lookup")}))
    group = forms.ModelChoiceField(Group.objects.order_by("name"), required=False, to_field_name="name")
    role = forms.ChoiceField(choices=Role.choices)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"There is no active user named “{username}”: check the spelling, or ask "
                                        "a site administrator to add them.")
        return user

    def clean(self):
        cleaned = super().clean()
        if "username" not in self.errors and bool(cleaned.get("username")) == bool(cleaned.get("group")):
            raise forms.ValidationError("Name either a user or a group.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ModerationDecisionForm(forms.Form):
    """The queue's bulk form: the ticked assets, approve or reject, and one reason for all of them."""

    assets = forms.TypedMultipleChoiceField(coerce=str, error_messages={"required": "Tick at least one asset."})
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = queue
        self.fields["assets"].choices = [(str(uid), str(uid)) for uid in queue.values_list("uid", flat=True)]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Give the reason for rejecting.")
        return cleaned

    def chosen_assets(self):
        return list(self.queue.filter(uid__in=self.cleaned_data["assets"]))


class AssetUidsField(forms.MultipleChoiceField):
    """Ticked assets by uid: whether each exists and may be acted on is the services' question, per asset."""

    default_error_messages = {"required": "Tick at least one image first.",
                              "invalid_choice": "“%(value)s” does not name an image."}

    def valid_value(self, value):
        return permissions.is_uid(value)

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_SELECTED:
            raise forms.ValidationError(f"Choose at most {MAX_SELECTED} images at a time.")


class SelectionForm(forms.Form):
    """The library's selection bar: the ticked assets and what to do with them (``governance.services.bulk``, or
    the ZIP and the rights form, which have pages of their own)."""

    ACTIONS = [("add_to_collection", "Add to collection"), ("remove_from_collection", "Remove from collection"),
               ("add_keywords", "Add keywords"), ("set_rights", "Set usage rights"), ("download", "Download as ZIP"),
               ("trash", "Move to trash")]

    assets = AssetUidsField()
    action = forms.ChoiceField(choices=ACTIONS)
    collection_add = forms.ModelChoiceField(Collection.objects.none(), required=False, to_field_name="slug",
                                            label="Collection", empty_label="Choose a collection")
    collection_remove = forms.ModelChoiceField(Collection.objects.none(), required=False, to_field_name="slug",
                                               label="Collection", empty_label="Choose a collection")
    keywords = forms.CharField(required=False, max_length=2000, label="Keywords",
                               help_text="Separate them with commas.")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        filing = permissions.collections_with_role(user, "contributor")
        self.fields["collection_add"].queryset = filing
        self.fields["collection_remove"].queryset = filing

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        needed = {"add_to_collection": "collection_add", "remove_from_collection": "collection_remove",
                  "add_keywords": "keywords"}.get(action)
        if needed and not cleaned.get(needed):
            self.add_error(needed, "Type at least one keyword." if needed == "keywords" else "Choose a collection.")
        return cleaned

    def collection(self):
        return self.cleaned_data.get("collection_add") or self.cleaned_data.get("collection_remove")


class ShareLinkForm(forms.Form):
    """How long a new share link works, whether it lets people download originals, and a note about it."""

    LIFETIMES = [("1", "1 day"), ("7", "1 week"), ("30", "30 days"), ("date", "Until a date I choose")]

    lifetime = forms.ChoiceField(label="Works for", choices=LIFETIMES, initial="7", widget=forms.RadioSelect)
    until = forms.DateField(label="Until (last day)", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": "Enter the date as YYYY-MM-DD, for example 2025-05-31."})
    include_originals = forms.BooleanField(label="Let people download the original files", required=False,
                                           help_text="Otherwise they see and download previews up to 1280 pixels.")
    note = forms.CharField(label="Note", required=False, max_length=200,
                           help_text="For you and the admins: who the link is for.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lifetime") == "date" and not cleaned.get("until"):
            self.add_error("until", "Choose the last day the link works.")
        return cleaned

    def expires_at(self):
        """The end of the chosen day, or now plus the chosen number of days."""
        data = self.cleaned_data
        if data["lifetime"] == "date":
            end_of_day = datetime.combine(data["until"], time.max)
            return timezone.make_aware(end_of_day).replace(microsecond=0)
        return timezone.now() + timedelta(days=int(data["lifetime"]))


SITE_ROLES = [("member", "Member: sees what their collection roles allow"),
              ("site_admin", "Site administrator: every collection, people and the audit log")]


class PersonDetailsForm(forms.Form):
    """A person's name, address and site role, as a site admin edits them."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False, help_text="Invitations are sent here.")
    site_role = forms.ChoiceField(label="Site role", choices=SITE_ROLES, initial="member", widget=forms.RadioSelect)

    def details(self):
        return {name: self.cleaned_data[name] for name in ("email", "first_name", "last_name")}

    def site_admin(self):
        return self.cleaned_data["site_role"] == "site_admin"


class NewPersonForm(PersonDetailsForm):
    """A new person: invited to choose a password (the link is shown, and mailed if there is an address), or given
    one now."""

    ACCESS = [("invite", "Invite them: a one-time link to choose their password"),
              ("password", "Set a password now and tell them")]

    username = forms.CharField(label="Username", max_length=150,
                               validators=[get_user_model().username_validator],
                               help_text="Letters, digits and @ . + - _ only; they sign in with it.")
    access = forms.ChoiceField(label="How they get in", choices=ACCESS, initial="invite", widget=forms.RadioSelect)
    password = forms.CharField(label="Password", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="Only when setting a password now.")

    field_order = ["username", "first_name", "last_name", "email", "site_role", "access", "password"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("access") != "password":
            return cleaned
        if not cleaned.get("password"):
            self.add_error("password", "Type the password, or choose to invite them.")
            return cleaned
        try:  # here too, so the form keeps what was typed (the service refuses a weak one for the API)
            password_validation.validate_password(cleaned["password"], get_user_model()(
                username=cleaned.get("username", ""), email=cleaned.get("email", "")))
        except forms.ValidationError as error:
            self.add_error("password", error)
        return cleaned

    def password_or_none(self):
        return self.cleaned_data["password"] if self.cleaned_data["access"] == "password" else None
