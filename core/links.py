"""URLs of named routes without a ``reverse()`` per object: a page of 50 assets named ~750 URLs, each
reverse() a walk of the URL resolver (issue #15). Each route is reversed once per script prefix with
marker arguments; later URLs fill the markers' places in that template."""
import uuid
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

# What reverse() leaves unquoted in an argument (django.urls.resolvers), so filled values read the same.
SAFE = "!$&'()*+,;=/~:@"


def _kind(value):
    return "uuid" if isinstance(value, uuid.UUID) else "int" if isinstance(value, int) else "str"


def _marker(index, kind):
    """A value of the argument's kind that reverse() accepts and that appears nowhere else in the URL."""
    if kind == "uuid":
        return str(uuid.UUID(int=0xF00D_0000_0000_4000_8000_0000_0000_0000 + index))
    if kind == "int":
        return str(9_876_543_210 + index)
    return f"zzmarker{index}zz"


@lru_cache(maxsize=128)
def _template(name, prefix, arguments):
    """``(parts, names)``: the URL split at the markers of ``arguments`` ((name, kind) pairs)."""
    markers = {key: _marker(index, kind) for index, (key, kind) in enumerate(arguments)}
    url = reverse(name, kwargs=markers)
    parts, names = [], []
    for key, marker in sorted(markers.items(), key=lambda item: url.index(item[1])):
        before, url = url.split(marker, 1)
        parts.append(before)
        names.append(key)
    parts.append(url)
    return tuple(parts), tuple(names)


def url_for(name, **kwargs):
    """``reverse(name, kwargs=kwargs)``, as fast as string formatting after the first call per route."""
    arguments = tuple((key, _kind(value)) for key, value in sorted(kwargs.items()))
    parts, names = _template(name, get_script_prefix(), arguments)
    url = [parts[0]]
    for key, part in zip(names, parts[1:]):
        value = kwargs[key]
        # UUIDs and numbers print only characters that need no quoting.
        url.append(str(value) if isinstance(value, (uuid.UUID, int)) else quote(str(value), safe=SAFE))
        url.append(part)
    return "".join(url)
