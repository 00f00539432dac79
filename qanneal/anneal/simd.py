"""A 512-bit vector of eight uint64 words for numba kernels, with bitwise operators.

Hand-written because numba cannot express SIMD and does not find it on its own in the
multi-spin-coding loop (its SLP vectoriser is off, and the loop vectoriser gives up on
possibly aliasing arrays): the same counting code over eight scalar words measured ~6x
slower than over one ``U64x8``. LLVM lowers the vector to one AVX-512 register, two
AVX2 registers or four SSE registers, whatever the CPU has, so the code stays portable.

Inside ``@njit`` code: ``load_row(a, i)`` reads ``a[i, 0:8]`` of a C-contiguous (n, 8)
uint64 array, ``store_row(a, i, v)`` writes it, ``splat(x)`` repeats a scalar,
``lane(v, k)`` / ``with_lane(v, k, x)`` read / replace one word, ``shr`` / ``shl``
shift, ``add`` / ``mul`` / ``neg`` do modular arithmetic, ``less(a, b)`` is an
unsigned comparison mask, and ``& | ^ ~`` work on vectors (and on a vector with an
integer scalar, which is repeated).
"""

from __future__ import annotations

import operator

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, models, overload, register_model

#: Words per vector.
LANES = 8
_VEC = ir.VectorType(ir.IntType(64), LANES)


class U64x8Type(types.Type):
    """Numba type of an 8 x uint64 vector (lives in registers, never in a Python object)."""

    def __init__(self) -> None:
        super().__init__(name="U64x8")


u64x8 = U64x8Type()


@register_model(U64x8Type)
class _U64x8Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VEC)


def _row_pointer(context, builder, sig, args):
    """LLVM pointer to ``arr[row, 0]`` (``arr``, ``row`` = the first two arguments), as a vector."""
    row = context.cast(builder, args[1], sig.args[1], types.intp)
    ary = context.make_array(sig.args[0])(context, builder, args[0])
    ptr = cgutils.get_item_pointer(context, builder, sig.args[0], ary,
                                   [row, context.get_constant(types.intp, 0)])
    return builder.bitcast(ptr, _VEC.as_pointer())


@intrinsic
def load_row(typingctx, arr, row):
    """``arr[row, 0:8]`` as a vector (``arr``: C-contiguous 2-D uint64 with 8 columns)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and arr.dtype == types.uint64
            and isinstance(row, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        return builder.load(_row_pointer(context, builder, sig, args), align=8)

    return u64x8(arr, row), codegen


@intrinsic
def store_row(typingctx, arr, row, vec):
    """``arr[row, 0:8] = vec``."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and arr.dtype == types.uint64
            and isinstance(row, types.Integer) and vec is u64x8):
        return None

    def codegen(context, builder, sig, args):
        builder.store(args[2], _row_pointer(context, builder, sig, args), align=8)
        return context.get_dummy_value()

    return types.none(arr, row, vec), codegen


@intrinsic
def splat(typingctx, x):
    """A vector whose eight words all equal the uint64 ``x``."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        x = context.cast(builder, args[0], sig.args[0], types.uint64)
        v = builder.insert_element(ir.Constant(_VEC, ir.Undefined), x,
                                   ir.Constant(ir.IntType(32), 0))
        return builder.shuffle_vector(v, ir.Constant(_VEC, ir.Undefined),
                                      ir.Constant(ir.VectorType(ir.IntType(32), LANES),
                                                  [0] * LANES))

    return u64x8(x), codegen


@intrinsic
def lane(typingctx, vec, k):
    """Word ``k`` of ``vec``."""
    if vec is not u64x8 or not isinstance(k, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        return builder.extract_element(args[0], args[1])

    return types.uint64(vec, k), codegen


@intrinsic
def with_lane(typingctx, vec, k, x):
    """``vec`` with word ``k`` replaced by the uint64 ``x``."""
    if vec is not u64x8 or not isinstance(k, types.Integer) or not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        x = context.cast(builder, args[2], sig.args[2], types.uint64)
        return builder.insert_element(args[0], x, args[1])

    return u64x8(vec, k, x), codegen


def _binary(name):
    @intrinsic
    def vv(typingctx, a, b):
        if a is not u64x8 or b is not u64x8:
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, name)(args[0], args[1])

        return u64x8(a, b), codegen

    return vv


_and, _or, _xor = _binary("and_"), _binary("or_"), _binary("xor")
#: Word-wise ``a + b`` and ``a * b`` modulo 2**64.
add, mul = _binary("add"), _binary("mul")


@intrinsic
def less(typingctx, a, b):
    """All ones in the words where ``a < b`` (unsigned), zero elsewhere."""
    if a is not u64x8 or b is not u64x8:
        return None

    def codegen(context, builder, sig, args):
        return builder.sext(builder.icmp_unsigned("<", args[0], args[1]), _VEC)

    return u64x8(a, b), codegen


@intrinsic
def _not(typingctx, a):
    if a is not u64x8:
        return None

    def codegen(context, builder, sig, args):
        return builder.not_(args[0])

    return u64x8(a), codegen


def _register(op, impl):
    @overload(op, inline="always")
    def _ov(a, b):
        if a is u64x8 and b is u64x8:
            return lambda a, b: impl(a, b)
        if a is u64x8 and isinstance(b, types.Integer):
            return lambda a, b: impl(a, splat(b))
        if isinstance(a, types.Integer) and b is u64x8:
            return lambda a, b: impl(splat(a), b)
        return None


for _op, _impl in ((operator.and_, _and), (operator.or_, _or), (operator.xor, _xor)):
    _register(_op, _impl)


def _shift(name):
    @intrinsic
    def shift(typingctx, vec, k):
        if vec is not u64x8 or not isinstance(k, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            k = context.cast(builder, args[1], sig.args[1], types.uint64)
            v = builder.insert_element(ir.Constant(_VEC, ir.Undefined), k,
                                       ir.Constant(ir.IntType(32), 0))
            ks = builder.shuffle_vector(v, ir.Constant(_VEC, ir.Undefined),
                                        ir.Constant(ir.VectorType(ir.IntType(32), LANES),
                                                    [0] * LANES))
            return getattr(builder, name)(args[0], ks)

        return u64x8(vec, k), codegen

    return shift


#: Every word shifted right (logically) / left by the integer ``k``.
shr, shl = _shift("lshr"), _shift("shl")


@intrinsic
def neg(typingctx, vec):
    """``0 - vec`` word by word (modulo 2**64: 1 becomes all ones)."""
    if vec is not u64x8:
        return None

    def codegen(context, builder, sig, args):
        return builder.sub(ir.Constant(_VEC, None), args[0])

    return u64x8(vec), codegen


@overload(operator.invert, inline="always")
def _invert(a):
    if a is u64x8:
        return lambda a: _not(a)
    return None


@njit(cache=True)
def _selftest(a: np.ndarray) -> np.ndarray:
    """``(a[0] ^ a[1]) & ~a[2] | 5`` row-wise through vectors (see the doctest).

    >>> rows = np.arange(24, dtype=np.uint64).reshape(3, 8)
    >>> bool((_selftest(rows) == (((rows[0] ^ rows[1]) & ~rows[2]) | np.uint64(5))).all())
    True
    """
    out = np.empty((1, LANES), dtype=np.uint64)
    v = (load_row(a, 0) ^ load_row(a, 1)) & ~load_row(a, 2) | np.uint64(5)
    store_row(out, 0, v)
    return out[0]
