"""``requirements.lock``: what deployments install, kept in step with ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from service.settings import PROJECT_ROOT


def _locked() -> dict[str, str]:
    text = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, flags=re.MULTILINE)
    }


def test_the_lock_pins_every_dependency_at_a_version_pyproject_allows() -> None:
    # given
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    required = [Requirement(line) for line in project["project"]["dependencies"]]
    # when
    locked = _locked()
    # then: regenerate with the command in README, Deployment, when this fails
    for requirement in required:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside {requirement.specifier}"
        )


def test_the_lock_has_hashes_and_no_local_paths() -> None:
    # given
    text = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8")
    # then: installable with --require-hashes anywhere, no index or folder of this machine
    assert len(re.findall(r"^\S+==", text, flags=re.MULTILINE)) == len(
        re.findall(r"==\S+(?: ; [^\\\n]+)? \\\n\s+--hash=sha256:", text)
    )
    assert "file://" not in text and "--find-links" not in text and "--index-url" not in text
