"""Doctests that need an optional extra skip, with the reason, when it is not installed; no
doctest or test reads or writes the user's own formcheck settings.

A module names them the way pytest-doctestplus reads them::

    __doctest_requires__ = {("read_video", "write_video"): ("cv2",)}

(top-level names of the module -> the modules their examples import), so a
core install (``pip install .``) passes its doctests without the ``video`` extra.
"""

import importlib.util
import os

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


@pytest.fixture(scope="session", autouse=True)
def _isolated_config(tmp_path_factory):
    """Point formcheck's config directory (the user exercise file) at an empty folder."""
    previous = os.environ.get("FORMCHECK_CONFIG_DIR")
    os.environ["FORMCHECK_CONFIG_DIR"] = str(tmp_path_factory.mktemp("formcheck-config"))
    yield
    if previous is None:
        os.environ.pop("FORMCHECK_CONFIG_DIR", None)
    else:
        os.environ["FORMCHECK_CONFIG_DIR"] = previous
