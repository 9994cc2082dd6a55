"""The API's JSON, written by orjson: DRF's renderer (the json module) took 1.4 of the ~20 ms of a page of 50
assets at 1M; orjson writes it in about a tenth of that (docs/benchmarks.md, "Library-wide pages")."""
import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder


class RawJSON:
    """JSON text written already (by Postgres: ``assets.api.serializers.asset_row``) that a response carries as it
    is: orjson places it without parsing it; DRF's encoder (indented output) parses it first."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


class _Encoder(JSONEncoder):
    def default(self, obj):
        return orjson.loads(obj.text) if isinstance(obj, RawJSON) else super().default(obj)


# Types orjson does not write as DRF does (timestamps: DRF cuts to milliseconds and writes UTC as "Z"; lazy
# translations, Decimals, querysets…) go through DRF's own encoder, so the output is the same document.
_drf_encoder = JSONEncoder()


def _default(obj):
    return orjson.Fragment(obj.text) if isinstance(obj, RawJSON) else _drf_encoder.default(obj)


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# DRF escapes these two for JavaScript that embeds the text (they end a line there, not in JSON): so do we.
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    """DRF's ``JSONRenderer`` for compact output; indented output (``; indent=``, the browsable API) stays DRF's.
    One difference: a float that is not a number is written as null, where DRF refuses it with a 500."""

    encoder_class = _Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:  # integers past 64 bits, a type DRF's encoder refuses: DRF's output or error
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in _LINE_SEPARATORS:
            if raw in text:
                text = text.replace(raw, escaped)
        return text
