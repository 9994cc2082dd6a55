"""Look into zlib and gzip streams without letting them fill memory: a few bytes of a stream can inflate
to gigabytes (a decompression bomb), so reads stop at a limit instead of trusting the stream."""
import zlib

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 16 + zlib.MAX_WBITS
RAW_DEFLATE_WBITS = -zlib.MAX_WBITS
CHUNK = 1 << 20


def inflate_head(data, size, wbits):
    """At most the first ``size`` inflated bytes of ``data`` (fewer when the stream is shorter or broken)."""
    try:
        return zlib.decompressobj(wbits).decompress(data, size)
    except zlib.error:
        return b""


def inflated_size(data, wbits, limit):
    """How many bytes ``data`` inflates to, counted in chunks and never kept; ``limit + 1`` as soon as it
    passes ``limit``. Concatenated gzip members are counted too; bytes after the last member are ignored.

    Raises ``zlib.error`` for a corrupt stream and ``EOFError`` for one that ends early.
    """
    total = 0
    while True:
        inflater = zlib.decompressobj(wbits)
        position = 0
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            else:
                chunk = data[position:position + CHUNK]
                position += len(chunk)
            inflated = inflater.decompress(chunk, CHUNK)
            if not chunk and not inflated:
                raise EOFError("the compressed data ends before its end-of-stream marker")
            total += len(inflated)
            if total > limit:
                return limit + 1
        data = inflater.unused_data + data[position:]
        if wbits != GZIP_WBITS or not data.startswith(GZIP_MAGIC):
            return total
