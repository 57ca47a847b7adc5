"""The Typer internals ccwrap patches are there, and the patches take (cli/typer_patches.py)."""

from __future__ import annotations

import pytest

from ccwrap.cli import typer_patches
from ccwrap.cli.app import build_app


@pytest.mark.parametrize("internal", typer_patches.FOREIGN_INTERNALS, ids=lambda i: i.attribute)
def test_every_internal_exists_where_expected(internal: typer_patches.Internal) -> None:
    found = typer_patches.lookup(internal)
    if typer_patches.expected(internal):
        assert found is not None, f"Typer {typer_patches.typer_version()} lost {internal}"
    else:
        assert found is None, f"{internal} now exists before {internal.since}: update since"


@pytest.mark.parametrize(
    "internal",
    [typer_patches.SANITIZE_HELP, typer_patches.PROCESS_VALUE],
    ids=lambda i: i.attribute,
)
def test_every_patch_takes(internal: typer_patches.Internal) -> None:
    build_app()  # installs the patches
    found = typer_patches.lookup(internal)
    if not typer_patches.expected(internal):
        pytest.skip(f"Typer {typer_patches.typer_version()} has no {internal.attribute}")
    assert getattr(found, typer_patches.PATCHED, False), f"{internal.attribute} is not patched"


def test_install_twice_wraps_once() -> None:
    build_app()
    first = typer_patches.lookup(typer_patches.PROCESS_VALUE)
    typer_patches.install()
    assert typer_patches.lookup(typer_patches.PROCESS_VALUE) is first


def test_the_docstring_names_every_internal() -> None:
    doc = typer_patches.__doc__ or ""
    for internal in typer_patches.FOREIGN_INTERNALS:
        assert internal.attribute.rsplit(".", 1)[-1] in doc
