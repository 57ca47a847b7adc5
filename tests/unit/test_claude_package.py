"""ccwrap.claude and ccwrap.shell re-export their public names (loaded on first use)."""

from __future__ import annotations

import importlib

import pytest

import ccwrap.claude
import ccwrap.shell


@pytest.mark.parametrize("package", [ccwrap.claude, ccwrap.shell])
def test_every_public_name_is_importable_from_the_package(package: object) -> None:
    for name in package.__all__:  # type: ignore[attr-defined]
        value = getattr(package, name)
        module = getattr(value, "__module__", None)
        if module and module.startswith(package.__name__ + "."):  # type: ignore[attr-defined]
            assert getattr(importlib.import_module(module), name) is value


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = ccwrap.claude.no_such_name


def test_one_origin_and_resolution_pair() -> None:
    from ccwrap.claude.settings_files import Origin, Resolution

    assert ccwrap.claude.Origin is Origin
    assert ccwrap.claude.Resolution is Resolution
    assert not hasattr(ccwrap.claude, "Source")
