"""The wheel carries the files the service reads at run time from the repository's top-level
folders (reference data, catalogs, the published operations): copied into the package as
``service/_resources/<folder>`` when it is built, so that an installed service finds them
(``service.resources``) while the repository keeps them where the design puts them.

Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Folders of the repository that the running service reads; kept in step with
# service/resources.py (RESOURCE_FOLDERS).
RESOURCE_FOLDERS = ("fixtures", "locales", "graphql")
SKIPPED = shutil.ignore_patterns("*.mo", "__pycache__", "*.py", "*.pyc")


class build_py_with_resources(build_py):  # noqa: N801  (setuptools' command naming)
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's folders themselves
        target = Path(self.build_lib) / "service" / "_resources"
        shutil.rmtree(target, ignore_errors=True)
        for folder in RESOURCE_FOLDERS:
            shutil.copytree(ROOT / folder, target / folder, ignore=SKIPPED)


setup(cmdclass={"build_py": build_py_with_resources})
