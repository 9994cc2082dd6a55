"""Minimal in-memory edits of an ONNX model's protobuf, without the ``onnx`` package.

The classifier needs an intermediate tensor (global-average-pool activations)
as an extra graph output. The ``onnx`` package would do this in three lines,
but it is a large dependency that is not otherwise needed; the ONNX format is
plain protobuf, so reading node records and appending two small messages is
done here directly on the wire format. Field numbers are those of onnx.proto
(ModelProto.graph = 7; GraphProto.node = 1, output = 12; NodeProto.input = 1,
output = 2, name = 3, op_type = 4; ValueInfoProto.name = 1, type = 2;
TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_FLOAT = 1  # onnx TensorProto.DataType.FLOAT


@dataclass(frozen=True)
class Node:
    name: str
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _fields(data: bytes):
    """Yield ``(field number, value, start, end)`` for each top-level field of a message."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire_type == _FIXED64:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire_type == _FIXED32:
            value, pos = data[pos : pos + 4], pos + 4
        elif wire_type == _LENGTH:
            size, pos = _read_varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        yield number, value, start, pos


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3 | _VARINT) + _varint(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(number << 3 | _LENGTH) + _varint(len(payload)) + payload


def _graph_span(model: bytes) -> tuple[bytes, int, int]:
    for number, value, start, end in _fields(model):
        if number == 7:
            return value, start, end
    raise ValueError("not an ONNX model: no graph")


def graph_nodes(model: bytes) -> list[Node]:
    """The nodes of the main graph, in file (topological) order."""
    graph, _, _ = _graph_span(model)
    nodes = []
    for number, value, _, _ in _fields(graph):
        if number != 1:
            continue
        fields: dict[int, list[str]] = {1: [], 2: [], 3: [], 4: []}
        for sub_number, sub_value, _, _ in _fields(value):
            if sub_number in fields:
                fields[sub_number].append(sub_value.decode())
        nodes.append(Node("".join(fields[3]), "".join(fields[4]), tuple(fields[1]), tuple(fields[2])))
    return nodes


def add_float_output(model: bytes, node: Node, output: str) -> bytes:
    """Append ``node`` (default ONNX domain) and expose ``output`` as an extra float graph output.

    New nodes go at the end of the node list, which keeps the graph
    topologically sorted as long as their inputs already exist.
    """
    graph, start, end = _graph_span(model)
    encoded_node = (
        b"".join(_field(1, name) for name in node.inputs)
        + b"".join(_field(2, name) for name in node.outputs)
        + _field(3, node.name)
        + _field(4, node.op_type)
    )
    tensor_type = _field(1, _FLOAT)
    value_info = _field(1, output) + _field(2, _field(1, tensor_type))
    new_graph = graph + _field(1, encoded_node) + _field(12, value_info)
    return model[:start] + _field(7, new_graph) + model[end:]
