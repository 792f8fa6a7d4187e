"""Every graded function of the course, re-exported from the notebooks' own reference modules.

The grading process judges students' outcomes against these functions, so they
follow the course contract (``docs/course-spec.md``) to the letter:

- arrays are float64, batched tensors NCHW, conv weights ``(F, C, kh, kw)``,
  transposed-conv weights ``(C_in, C_out, kh, kw)`` (PyTorch orders);
- ``stride``, ``pad``, ``dilation``, ``size``, ``scale``, ``output_padding`` are an
  int or an ``(h, w)`` pair; ``pad`` is per side;
- output size ``floor((n + 2p - d*(k-1) - 1) / s) + 1`` (the remainder is dropped);
- max pooling: unpadded windows, ``stride`` defaults to ``size``, ties go to the
  first maximum in row-major order, switches are int64 flat indices into each
  input ``H*W`` plane;
- gradients of overlapping windows accumulate;
- inputs are never modified, and every invalid argument raises ``ValueError``
  with a message that names the argument.

Everything is vectorised: the only Python loops run over kernel taps
(``kh*kw``), over the elements of ``numerical_gradient``'s input (that is the
method), or over the few layers of ``receptive_field``. ``tools/compare_with_torch.py``
checks these functions against PyTorch.

Each notebook's functions live in ``grader/course/notebooks/nbNN_topic/reference.py`` (its ``__all__``);
this module collects them, so ``from grader.course.reference import conv2d`` works for any of them.
It imports only numpy (and the standard library).
"""

from __future__ import annotations

from grader.course import notebooks as _notebooks

__all__: list[str] = []
for _assignment in _notebooks.assignments():
    _module = _notebooks.module(_assignment, "reference")
    if _module is None:
        continue
    for _name in _module.__all__:
        if _name in globals():
            raise ImportError(f"graded function {_name!r} is defined by two notebooks")
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _assignment, _module, _name
