"""Where the files read at run time are: the reference data (``fixtures/``), the catalogs
(``locales/``) and the published operations (``graphql/operations``).

In the repository (and an editable install) they are the top-level folders; an installed wheel
carries copies inside the package (``service/_resources``, put there by setup.py at build
time), since a deployment has no checkout. The packaged copy wins when it exists: an
installed service never reads a folder that happens to lie in site-packages (the PyPI
package ``fixtures`` installs one there).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Kept in step with setup.py (RESOURCE_FOLDERS).
RESOURCE_FOLDERS = ("fixtures", "locales", "graphql")


def resource_dir(name: str) -> Path:
    """The folder ``name`` (one of RESOURCE_FOLDERS), packaged or from the repository."""
    if name not in RESOURCE_FOLDERS:
        raise ValueError(f"not a resource folder: {name!r}")
    packaged = Path(str(resources.files("service"))) / "_resources" / name
    if packaged.is_dir():
        return packaged
    return PROJECT_ROOT / name
