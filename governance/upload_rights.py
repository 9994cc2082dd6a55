"""Usage rights given once for a whole upload (``upload_rights``), checked with the API's own rules.

Kept apart from ``governance.services.rights`` because it validates with ``UsageRightsSerializer``: the API
serializers use the services, so the services cannot import them back."""
from functools import partial

from django.dispatch import receiver

from assets.signals import upload_rights
from core.refusals import Refused
from governance.api.serializers import UsageRightsSerializer
from governance.services.rights import set_rights


@receiver(upload_rights, dispatch_uid="governance.upload_rights")
def rights_for_upload(sender=None, *, terms, **kwargs):
    """Usage rights given once for a whole upload: checked here, recorded on each new asset by ``set_rights``."""
    serializer = UsageRightsSerializer(data=terms)
    if not serializer.is_valid():
        raise Refused("Usage rights: " + " ".join(
            f"{name.replace('_', ' ')}: {_first_error(errors)}" for name, errors in serializer.errors.items()),
            code="invalid_rights")
    return partial(_record_upload_rights, fields=serializer.validated_data)


def _first_error(errors):
    while isinstance(errors, (list, dict)):
        errors = next(iter(errors.values() if isinstance(errors, dict) else errors), "")
    return str(errors)


def _record_upload_rights(asset, actor, *, fields):
    set_rights(asset, actor=actor, **fields)
