"""Doctests that need an optional extra skip, with the reason, when it is not installed.

A module names them the way pytest-doctestplus reads them::

    __doctest_requires__ = {("read_video", "write_video"): ("cv2",)}

(top-level names of the module -> the modules their examples import), so a
core install (``pip install .``) passes its doctests without the ``video`` extra.
"""

import importlib.util

import pytest


def missing_modules(doctest) -> list[str]:
    """Modules a collected doctest needs, by its module's ``__doctest_requires__``, that are absent."""
    module = doctest.globs.get("__name__", "")
    name = doctest.name.removeprefix(f"{module}.").split(".")[0]
    needed = [required for names, modules in doctest.globs.get("__doctest_requires__", {}).items()
              if name in names for required in modules]
    return [required for required in needed if importlib.util.find_spec(required) is None]


def pytest_collection_modifyitems(items):
    for item in items:
        doctest = getattr(item, "dtest", None)
        missing = missing_modules(doctest) if doctest is not None else []
        if missing:
            item.add_marker(pytest.mark.skip(
                reason=f"{doctest.name} needs {', '.join(missing)}, which is not installed "
                       "(an optional extra)"))
