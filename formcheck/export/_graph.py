"""A small builder for ONNX graphs written like NumPy: each call adds a node, returns its output.

Only standard-domain ONNX operators (opset :data:`OPSET`) are used. Arithmetic
runs in float64, as formcheck's NumPy code does, so the graph's results
match it to rounding; onnxruntime has float64 kernels for every operator used
here (its ``Atan`` is float32 only, hence :meth:`Graph.atan`, a polynomial).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["Graph", "OPSET", "IR_VERSION", "DOUBLE", "FLOAT", "INT64", "MAX_FRAMES"]

#: The opset the graphs are written in (onnxruntime >= 1.12, its mobile packages included).
OPSET = 17
#: The IR version that goes with it, so runtimes older than the onnx package still load the file.
IR_VERSION = 8
DOUBLE = TensorProto.DOUBLE
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
#: Doubling steps of :meth:`Graph.running_extreme`: exact for series of up to 2**12 frames.
RUNNING_STEPS = 12
MAX_FRAMES = 2 ** RUNNING_STEPS
# atan on [0, tan(pi/16)]: the Taylor series to x**23 is exact to about 1e-18.
_ATAN_TERMS = 12


class Graph:
    """Nodes and constants of one ONNX graph, built step by step.

    Tensor arguments are names (str) of earlier outputs or inputs; any other
    value (a number, a list, an array) becomes a constant: floats as float64,
    integers as int64, booleans as bool.
    """

    def __init__(self):
        self.nodes, self.initializers, self.inputs = [], [], []
        self._count = 0

    # -- building blocks -----------------------------------------------------------------------
    def _name(self, hint) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def input(self, name, elem_type, shape, doc):
        """Declare a graph input (``shape`` entries: int, or a str naming a dynamic axis)."""
        info = helper.make_tensor_value_info(name, elem_type, shape)
        info.doc_string = doc
        self.inputs.append(info)
        return name

    def const(self, value, hint="const") -> str:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(np.float64)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def weights(self, value, hint="weights") -> str:
        """A float64 tensor stored as float32 (half the bytes in the file), cast back in the
        graph: for weights whose float32 rounding (relative 6e-8) changes the result by far
        less than the tolerance, not for thresholds or centring constants."""
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return self.cast(name, DOUBLE)

    def _tensor(self, value) -> str:
        return value if isinstance(value, str) else self.const(value)

    def op(self, op_type, *inputs, outputs=1, **attributes):
        """Add one node; its output name (a list of names when ``outputs > 1``)."""
        names = [self._name(op_type.lower()) for _ in range(outputs)]
        args = ["" if x is None else self._tensor(x) for x in inputs]
        self.nodes.append(helper.make_node(op_type, args, names, **attributes))
        return names[0] if outputs == 1 else names

    def model(self, output, output_doc, *, doc, metadata) -> onnx.ModelProto:
        """The finished model: ``output`` (float64) becomes the float32 output ``output_doc[0]``."""
        name, shape, text = output_doc
        self.nodes.append(helper.make_node("Cast", [output], [name], to=TensorProto.FLOAT))
        info = helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
        info.doc_string = text
        graph = helper.make_graph(self.nodes, "formcheck", self.inputs, [info],
                                  initializer=self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="formcheck", doc_string=doc)
        model.ir_version = IR_VERSION
        helper.set_model_props(model, metadata)
        onnx.checker.check_model(model, full_check=True)
        return model

    # -- NumPy-like shorthands -----------------------------------------------------------------
    def add(self, a, b):
        return self.op("Add", a, b)

    def sub(self, a, b):
        return self.op("Sub", a, b)

    def mul(self, a, b):
        return self.op("Mul", a, b)

    def div(self, a, b):
        return self.op("Div", a, b)

    def where(self, condition, a, b):
        return self.op("Where", condition, a, b)

    def cast(self, x, to):
        return self.op("Cast", x, to=to)

    def isnan(self, x):
        return self.op("IsNaN", x)

    def take(self, x, index, axis):
        """``np.take(x, index, axis)``: a scalar index drops the axis, a list keeps it."""
        return self.op("Gather", x, index, axis=axis)

    def dim(self, x, axis) -> str:
        """Length of ``x`` along ``axis``, an int64 scalar."""
        return self.take(self.op("Shape", x), axis, axis=0)

    def arange(self, stop, dtype=DOUBLE) -> str:
        """``0 .. stop - 1`` (``stop`` an int64 scalar tensor) as ``dtype``."""
        return self.cast(self.op("Range", np.int64(0), stop, np.int64(1)), dtype)

    def reduce(self, op_type, x, axis, keepdims=False):
        """ReduceMin / ReduceMax / ReduceMean / ReduceSum / ArgMin / ArgMax over one axis."""
        if op_type == "ReduceSum":  # its axes are an input since opset 13
            return self.op(op_type, x, [axis], keepdims=int(keepdims))
        if op_type in ("ArgMin", "ArgMax"):
            return self.op(op_type, x, axis=axis, keepdims=int(keepdims))
        return self.op(op_type, x, axes=[axis], keepdims=int(keepdims))

    def full(self, shape, value):
        """A float64 tensor of ``shape`` (an int64 1-D tensor) filled with ``value``."""
        return self.op("ConstantOfShape", shape,
                       value=numpy_helper.from_array(np.array([value], np.float64)))

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", x, list(axes))

    # -- numerics ------------------------------------------------------------------------------
    def atan(self, t):
        """``arctan(t)`` for ``t >= 0`` (``inf`` included), in float64 from standard operators.

        Beyond 1 it uses ``pi/2 - atan(1/t)``; two half-angle steps
        ``atan(x) = 2 atan(x / (1 + sqrt(1 + x**2)))`` bring the argument under
        tan(pi/16), where the Taylor series converges to float64 precision.
        """
        inverted = self.op("Greater", t, 1.0)
        x = self.where(inverted, self.div(1.0, t), t)
        for _ in range(2):
            x = self.div(x, self.add(1.0, self.op("Sqrt", self.add(1.0, self.mul(x, x)))))
        square, series = self.mul(x, x), None
        for k in reversed(range(_ATAN_TERMS)):
            term = (-1.0) ** k / (2 * k + 1)
            series = term if series is None else self.add(term, self.mul(square, series))
        angle = self.mul(4.0, self.mul(x, series))
        return self.where(inverted, self.sub(math.pi / 2, angle), angle)

    def atan2_nonnegative(self, y, x):
        """``arctan2(y, x)`` for ``y >= 0``, in [0, pi] (0 when both are 0, as NumPy)."""
        magnitude = self.op("Abs", x)
        safe = self.where(self.op("Greater", magnitude, 0.0), magnitude, 1.0)
        base = self.atan(self.div(y, safe))
        vertical = self.where(self.op("Greater", y, 0.0), math.pi / 2, 0.0)
        return self.where(self.op("Greater", x, 0.0), base,
                          self.where(self.op("Less", x, 0.0), self.sub(math.pi, base), vertical))

    def running_extreme(self, x, fill, *, reverse=False):
        """Running maximum down the rows of ``x`` (T, n) (running minimum from the end if ``reverse``).

        Doubling: after step ``k`` every row holds the extreme of the ``2**k``
        rows up to it, so :data:`RUNNING_STEPS` steps are exact for up to
        :data:`MAX_FRAMES` rows. ``fill`` is the neutral value (-1 for a
        maximum of indices, the length for a minimum).
        """
        length = self.dim(x, 0)
        for step in range(RUNNING_STEPS):
            shift = 2 ** step
            pads = [0, 0, shift, 0] if reverse else [shift, 0, 0, 0]
            padded = self.op("Pad", x, np.array(pads, np.int64), np.array(fill, np.int64))
            start = np.array([shift if reverse else 0], np.int64)
            stop = self.add(start, self.unsqueeze(length, [0]))
            shifted = self.op("Slice", padded, start, stop, np.array([0], np.int64))
            x = self.op("Min" if reverse else "Max", x, shifted)
        return x
