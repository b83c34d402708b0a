"""The wire format between the trusted grader and the sandboxed worker: JSON plus ``.npy``, never pickle.

One message (a *frame*) is::

    >II   json_length, array_count
    json_length bytes of UTF-8 JSON (the header)
    array_count times:  >Q npy_length, then npy_length bytes written by ``np.save``

Plain data (the ``Learner`` protocol's vocabulary) is encoded into the header with one-key tags,
so a learner's dict can never be mistaken for a tag::

    None, bool, int, float, str   as themselves
    list                          {"l": [...]}
    tuple                         {"t": [...]}
    dict with str keys            {"d": {...}}
    numpy array (bool/int/float)  {"a": index into the frame's arrays}
    Named("cube")                 {"n": "cube"}
    Opaque("Cheat")               {"o": "Cheat"}   (anything else a learner returned: its type name)

numpy scalars become Python scalars. Anything else (objects, object or complex arrays, dicts with
non-str keys, recursion deeper than :data:`MAX_DEPTH`, more than :data:`MAX_ITEMS` elements) is
refused with :class:`Unsupported`, naming its type. Arrays are read back with
``np.load(allow_pickle=False)``; every length is checked against a cap before anything is read,
so a hostile worker cannot make the grader allocate more than :data:`MAX_FRAME_BYTES`.

>>> import numpy as np
>>> header, arrays = encode({"x": np.arange(3.0), "h": 1e-5, "shape": (2, 3)})
>>> header
{'d': {'x': {'a': 0}, 'h': 1e-05, 'shape': {'t': [2, 3]}}}
>>> decode(header, [load_array(dump_array(a)) for a in arrays])
{'x': array([0., 1., 2.]), 'h': 1e-05, 'shape': (2, 3)}
>>> encode(object())
Traceback (most recent call last):
...
course_pkg.grading.protocol.Unsupported: object
"""

import io
import json
import struct

import numpy as np

#: Caps on one frame: JSON header, number of arrays, bytes of one array, bytes in all.
MAX_JSON_BYTES = 8 * 2**20
MAX_ARRAYS = 512
MAX_ARRAY_BYTES = 64 * 2**20
MAX_FRAME_BYTES = 128 * 2**20
#: Caps on the structure of plain data.
MAX_DEPTH = 32
MAX_ITEMS = 200_000
#: numpy dtype kinds that cross: bool, signed and unsigned int, float.
ARRAY_KINDS = "biuf"

_HEAD = struct.Struct(">II")
_LEN = struct.Struct(">Q")


class Unsupported(TypeError):
    """A value that is not plain data; its message is the type's name."""


class ProtocolError(RuntimeError):
    """A frame that breaks the format or its caps (the other side is broken or hostile)."""


class Named:
    """A callable that crosses by name (resolved on each side from one fixed table).

    The engine's own ``course_pkg.checks.learner.Named`` is used when it exists; this one only
    stands in when that module is absent.
    """

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Named({self.name!r})"

    def __eq__(self, other):
        return isinstance(other, Named) and other.name == self.name

    def __hash__(self):
        return hash(("Named", self.name))


def _named_class():
    try:
        from course_pkg.checks.learner import Named as engine_named
    except ImportError:
        return Named
    return engine_named


def _opaque_class():
    from course_pkg.checks.learner import Opaque

    return Opaque


def encode(value, resolve_callable=None):
    """Plain data -> (JSON-safe header, list of arrays).

    ``resolve_callable(obj)`` may turn a callable into a name (the worker never needs it; the
    trusted side passes :class:`Named` objects directly).
    """
    arrays = []
    count = [0]
    named = _named_class()
    opaque = _opaque_class()

    def enc(obj, depth):
        count[0] += 1
        if count[0] > MAX_ITEMS:
            raise Unsupported(f"more than {MAX_ITEMS} elements")
        if depth > MAX_DEPTH:
            raise Unsupported(f"nesting deeper than {MAX_DEPTH}")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj) is int or type(obj) is float:
            return obj
        if isinstance(obj, np.generic):
            if obj.dtype.kind == "b":
                return bool(obj)
            if obj.dtype.kind in "iu":
                return int(obj)
            if obj.dtype.kind == "f":
                return float(obj)
            raise Unsupported(f"numpy.{type(obj).__name__}")
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind not in ARRAY_KINDS or obj.dtype.fields is not None:
                raise Unsupported(f"array of {obj.dtype}")
            arrays.append(np.array(obj, copy=True, order="C").view(np.ndarray))
            return {"a": len(arrays) - 1}
        if type(obj) is list:
            return {"l": [enc(v, depth + 1) for v in obj]}
        if type(obj) is tuple:
            return {"t": [enc(v, depth + 1) for v in obj]}
        if type(obj) is dict:
            out = {}
            for k, v in obj.items():
                if type(k) is not str:
                    raise Unsupported(f"dict with a {type(k).__name__} key")
                out[k] = enc(v, depth + 1)
            return {"d": out}
        if isinstance(obj, (named, Named)):
            return {"n": str(obj.name)}
        if type(obj) is opaque:
            return {"o": str(obj.type_name)[:200]}
        if isinstance(obj, int):  # an int subclass (e.g. a lying one) is not plain data
            raise Unsupported(type(obj).__name__)
        if resolve_callable is not None and callable(obj):
            return {"n": resolve_callable(obj)}
        raise Unsupported(type(obj).__name__)

    return enc(value, 0), arrays


def decode(header, arrays, resolve_name=None):
    """(header, arrays) -> plain data; ``resolve_name(name)`` turns ``{"n": name}`` into a value."""
    named = _named_class()
    opaque = _opaque_class()
    count = [0]

    def dec(obj, depth):
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise ProtocolError("plain data too large or too deep")
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj
        if isinstance(obj, dict) and len(obj) == 1:
            (tag, inner), = obj.items()
            if tag == "l" and isinstance(inner, list):
                return [dec(v, depth + 1) for v in inner]
            if tag == "t" and isinstance(inner, list):
                return tuple(dec(v, depth + 1) for v in inner)
            if tag == "d" and isinstance(inner, dict):
                return {str(k): dec(v, depth + 1) for k, v in inner.items()}
            if tag == "a" and type(inner) is int and 0 <= inner < len(arrays):
                return arrays[inner]
            if tag == "n" and isinstance(inner, str):
                try:
                    return resolve_name(inner) if resolve_name else named(inner)
                except (KeyError, ValueError):
                    raise ProtocolError(f"unknown named callable {inner[:80]!r}") from None
            if tag == "o" and isinstance(inner, str):
                return opaque(inner[:200])
        raise ProtocolError(f"not a plain-data tag: {str(obj)[:80]}")

    return dec(header, 0)


def dump_array(array):
    """One array as ``.npy`` bytes (``allow_pickle=False``: object arrays are refused)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def load_array(data):
    """``.npy`` bytes -> an array of bool/int/float, or :class:`ProtocolError`."""
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # a malformed .npy from a hostile worker
        raise ProtocolError(f"unreadable array: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in ARRAY_KINDS or array.dtype.fields:
        raise ProtocolError(f"array of {getattr(array, 'dtype', type(array))} is not plain data")
    return array


def pack(header, arrays=()):
    """A frame as bytes."""
    text = json.dumps(header, allow_nan=True, separators=(",", ":")).encode("utf-8")
    blobs = [dump_array(a) for a in arrays]
    if len(text) > MAX_JSON_BYTES or len(blobs) > MAX_ARRAYS or any(len(b) > MAX_ARRAY_BYTES for b in blobs):
        raise Unsupported("a message larger than the grader accepts")
    parts = [_HEAD.pack(len(text), len(blobs)), text]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    data = b"".join(parts)
    if len(data) > MAX_FRAME_BYTES:
        raise Unsupported("a message larger than the grader accepts")
    return data


def read_frame(read_exact):
    """Read one frame with ``read_exact(n) -> bytes``; check every cap before reading on."""
    json_length, count = _HEAD.unpack(read_exact(_HEAD.size))
    if json_length > MAX_JSON_BYTES or count > MAX_ARRAYS:
        raise ProtocolError(f"frame too large ({json_length} bytes of JSON, {count} arrays)")
    try:
        header = json.loads(read_exact(json_length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"unreadable JSON header: {exc}") from None
    total = json_length
    arrays = []
    for _ in range(count):
        (length,) = _LEN.unpack(read_exact(_LEN.size))
        total += length
        if length > MAX_ARRAY_BYTES or total > MAX_FRAME_BYTES:
            raise ProtocolError(f"array too large ({length} bytes)")
        arrays.append(load_array(read_exact(length)))
    return header, arrays
