"""Public names of a package loaded on first use (PEP 562), so importing the package stays light."""

from __future__ import annotations

import importlib

__all__ = ["lazy_names"]


def lazy_names(package: str, names: dict, namespace: dict):
    """The ``__getattr__`` and ``__dir__`` of a package whose ``names`` load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict
        Public name -> the module defining it, relative to ``package`` (``".distance"``).
    namespace : dict
        The package's ``globals()``: a loaded name is kept there, so it loads once.

    Examples
    --------
    >>> space = {}
    >>> getattr_, dir_ = lazy_names("json", {"JSONDecoder": ".decoder"}, space)
    >>> getattr_("JSONDecoder").__name__, "JSONDecoder" in space, dir_()
    ('JSONDecoder', True, ['JSONDecoder'])
    """
    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
