"""URLs of named routes without a ``reverse()`` per object: a page of 50 assets named ~750 URLs, each
reverse() a walk of the URL resolver (issue #15). Each route is reversed once per script prefix with
marker arguments; later URLs fill the markers' places in that template."""
import uuid
from functools import lru_cache
from string import Formatter
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


def _template(name, prefix, arguments):
    """``(parts, names)``: the URL split at the markers of ``arguments`` ((name, kind) pairs)."""
    markers = {key: _marker(index, kind) for index, (key, kind) in enumerate(arguments)}
    url = prefix + reverse(name, kwargs=markers)[len(get_script_prefix()):]  # under ``prefix``, whatever is current
    parts, names = [], []
    for key, marker in sorted(markers.items(), key=lambda item: url.index(item[1])):
        before, url = url.split(marker, 1)
        parts.append(before)
        names.append(key)
    parts.append(url)
    return tuple(parts), tuple(names)


_FILLERS = {}  # (name, script prefix, argument names) -> _filler(...): one entry per route and call shape


@lru_cache(maxsize=4096)
def quoted(text):
    """``text`` quoted as reverse() quotes an argument."""
    return quote(text, safe=SAFE)


_PLAIN = frozenset({uuid.UUID, int})  # types whose text needs no quoting


def _plain_or_quoted(value):
    return value if type(value) in _PLAIN else quoted(str(value))


def _format_string(parts, fields):
    return "".join(part.replace("{", "{{").replace("}", "}}") + field for part, field in zip(parts, [*fields, ""]))


def _filler(name, prefix, kwargs):
    """A function of the arguments that writes the URL: the route reversed once with markers and made a format
    string, so that each URL after the first is one ``str.format``."""
    parts, names = _template(name, prefix, tuple((arg, _kind(value)) for arg, value in kwargs.items()))
    template = _format_string(parts, ["{}"] * len(names))
    if not names:
        return lambda arguments: template
    if len(names) == 1:
        (only,) = names
        return lambda arguments: template.format(_plain_or_quoted(arguments[only]))
    return lambda arguments: template.format(*[_plain_or_quoted(arguments[arg]) for arg in names])


def url_for(name, **kwargs):
    """``reverse(name, kwargs=kwargs)``, as fast as string formatting after the first call per route: a grid page
    names ~300 URLs, and even the template's lookup by argument kinds showed in its profile."""
    return _filled(name, get_script_prefix(), kwargs)


def url_maker(name, origin=""):
    """``url_for(name, **kwargs)`` prefixed with ``origin``, as a function for naming many objects in one request:
    the script prefix sits in a thread-local whose every read cost more than the filling (a page of 50 API
    assets names ~600 URLs)."""
    prefix = get_script_prefix()
    return lambda **kwargs: origin + _filled(name, prefix, kwargs)


def url_format(name, origin="", **kinds):
    """Route ``name``'s URL under ``origin`` as a ``str.format`` string with a field per argument (``kinds``:
    ``"uuid"``, ``"int"`` or ``"str"``, what the route's converters accept), for many URLs of one route (and for
    ``url_sql``). The caller fills it with text that needs no quoting, a UUID's or a number's, or
    ``quoted(text)``."""
    return origin.replace("{", "{{").replace("}", "}}") + _route_format(name, get_script_prefix(), tuple(kinds.items()))


@lru_cache(maxsize=1024)
def _route_format(name, prefix, arguments):
    parts, names = _template(name, prefix, arguments)
    return _format_string(parts, [f"{{{arg}}}" for arg in names])


def url_sql(name, origin="", **arguments):
    """``(sql, params)``: route ``name``'s URL under ``origin``, written by Postgres, for JSON that it writes.
    ``arguments`` gives each argument as ``(kind, sql)``: its kind as for ``url_format``, and an SQL expression of
    its text that needs no quoting (a uuid's or an integer's text, or text quoted in SQL)."""
    template = url_format(name, origin, **{arg: kind for arg, (kind, _) in arguments.items()})
    pieces, params = [], []
    for literal, field, _, _ in Formatter().parse(template):
        if literal:
            pieces.append("%s")
            params.append(literal)
        if field is not None:
            pieces.append(arguments[field][1])
    return f"({' || '.join(pieces)})", params


def _filled(name, prefix, kwargs):
    key = (name, prefix, *kwargs)
    filler = _FILLERS.get(key)
    if filler is None:
        filler = _FILLERS[key] = _filler(name, prefix, kwargs)
    return filler(kwargs)
