from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import pytest

from brctl.errors import UsageError, ValidationError
from brctl.manifest import Manifest
from brctl.roles import (
    AccessDeniedError,
    apply_edit,
    authorize,
    explain,
    load_bindings,
    parse_subject,
    plan_bind,
    plan_unbind,
)
from brctl.yamlfile import load_model

MANIFEST = load_model(Manifest, Path(str(files("finance_pack") / "pack" / "pack.yaml")))

COMMENTED = """\
# who holds what (kept by every edit)
bindings:
  # the steward
  - subject: user:alice@example.com
    roles: [policy-steward]
  - subject: slack:U012AB3CD   # sales lead
    roles: [growth-catalyst]
"""


@pytest.fixture
def roles_path(tmp_path: Path) -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(COMMENTED)
    return path


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("user:Alice@Example.COM", "user:alice@example.com"),
        ("slack:U012AB3CD", "slack:U012AB3CD"),
        ("slack:W0123ABCD", "slack:W0123ABCD"),
        ("service:invoice-requester", "service:invoice-requester"),
    ],
)
def test_well_formed_subjects_are_canonicalised(text: str, canonical: str) -> None:
    assert parse_subject(text) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "alice@example.com",
        "user:alice",
        "user:@example.com",
        "slack:u012ab3cd",
        "slack:X012AB3CD",
        "service:Invoice",
        "service:",
        "group:admins",
        "local:root",
        "",
    ],
)
def test_malformed_subjects_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="malformed subject"):
        parse_subject(text)


def test_unknown_role_in_roles_yaml_names_file_and_line(roles_path: Path) -> None:
    roles_path.write_text(COMMENTED.replace("[growth-catalyst]", "[growth-catalyst, admin]"))
    with pytest.raises(
        ValidationError, match=r"roles.yaml:7: bindings.1.roles.1: unknown role 'admin'"
    ):
        load_bindings(roles_path, MANIFEST)


def test_malformed_subject_in_roles_yaml_names_file_and_line(roles_path: Path) -> None:
    roles_path.write_text(COMMENTED.replace("slack:U012AB3CD", "bob"))
    with pytest.raises(
        ValidationError, match=r"roles.yaml:6: bindings.1.subject: .*malformed subject 'bob'"
    ):
        load_bindings(roles_path, MANIFEST)


def test_a_permission_written_into_roles_yaml_is_rejected(roles_path: Path) -> None:
    roles_path.write_text(COMMENTED + "    permissions: [budgets:write]\n")
    with pytest.raises(ValidationError, match=r"bindings.1.permissions: Extra inputs"):
        load_bindings(roles_path, MANIFEST)


def test_bind_appends_a_role_and_keeps_comments_and_order(roles_path: Path) -> None:
    edit = plan_bind(roles_path, MANIFEST, "local:op", "slack:U012AB3CD", "policy-steward")
    assert edit is not None
    apply_edit(roles_path, edit)
    assert roles_path.read_text() == COMMENTED.replace(
        "roles: [growth-catalyst]", "roles: [growth-catalyst, policy-steward]"
    )
    assert edit.change.before == ["growth-catalyst"]
    assert edit.change.after == ["growth-catalyst", "policy-steward"]


def test_bind_of_a_new_subject_adds_an_entry_at_the_end(roles_path: Path) -> None:
    edit = plan_bind(
        roles_path, MANIFEST, "local:op", "service:invoice-requester", "growth-catalyst"
    )
    assert edit is not None
    apply_edit(roles_path, edit)
    assert roles_path.read_text() == COMMENTED + (
        "  - subject: service:invoice-requester\n    roles: [growth-catalyst]\n"
    )


def test_bind_into_the_shipped_empty_template_writes_a_block_list(tmp_path: Path) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text("# header comment\nbindings: []\n")
    edit = plan_bind(path, MANIFEST, "local:op", "user:alice@example.com", "policy-steward")
    assert edit is not None
    apply_edit(path, edit)
    assert path.read_text() == (
        "# header comment\nbindings:\n  - subject: user:alice@example.com\n"
        "    roles: [policy-steward]\n"
    )


def test_unbinding_the_last_role_removes_the_entry(roles_path: Path) -> None:
    edit = plan_unbind(roles_path, MANIFEST, "local:op", "slack:U012AB3CD", "growth-catalyst")
    assert edit is not None
    apply_edit(roles_path, edit)
    assert "slack:U012AB3CD" not in roles_path.read_text()
    assert "# the steward" in roles_path.read_text()
    assert load_bindings(roles_path, MANIFEST).roles_of("user:alice@example.com") == [
        "policy-steward"
    ]


def test_binding_twice_and_unbinding_an_unheld_role_plan_nothing(roles_path: Path) -> None:
    assert (
        plan_bind(roles_path, MANIFEST, "local:op", "user:ALICE@example.com", "policy-steward")
        is None
    )
    assert (
        plan_unbind(roles_path, MANIFEST, "local:op", "user:bob@example.com", "policy-steward")
        is None
    )


def test_bind_of_an_unknown_role_changes_nothing(roles_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown role 'admin'"):
        plan_bind(roles_path, MANIFEST, "local:op", "user:bob@example.com", "admin")
    assert roles_path.read_text() == COMMENTED


def test_a_failed_file_write_leaves_the_file_and_rolls_the_guard_back(
    roles_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    @contextmanager
    def guard() -> Iterator[None]:
        events.append("begin")
        try:
            yield
        except BaseException:
            events.append("rollback")
            raise
        events.append("commit")

    def broken_write(path: Path, content: bytes) -> None:
        raise OSError(28, "No space left on device")

    edit = plan_bind(roles_path, MANIFEST, "local:op", "user:bob@example.com", "growth-catalyst")
    assert edit is not None
    monkeypatch.setattr("brctl.roles._replace_atomically", broken_write)
    with pytest.raises(OSError):
        apply_edit(roles_path, edit, guard())
    assert events == ["begin", "rollback"]
    assert roles_path.read_text() == COMMENTED


def test_a_failed_commit_puts_the_old_file_back(roles_path: Path) -> None:
    @contextmanager
    def failing_commit() -> Iterator[None]:
        yield
        raise RuntimeError("database is locked")

    edit = plan_bind(roles_path, MANIFEST, "local:op", "user:bob@example.com", "growth-catalyst")
    assert edit is not None
    with pytest.raises(RuntimeError):
        apply_edit(roles_path, edit, failing_commit())
    assert roles_path.read_text() == COMMENTED


def test_explain_says_which_role_grants_a_permission(roles_path: Path) -> None:
    bindings = load_bindings(roles_path, MANIFEST)
    yes = explain("user:alice@example.com", "budgets:write", bindings, MANIFEST)
    assert yes.allows("budgets:write")
    assert yes.reason == "user:alice@example.com holds policy-steward, which grants budgets:write"
    no = explain("slack:U012AB3CD", "budgets:write", bindings, MANIFEST)
    assert not no.allows("budgets:write")
    assert no.reason == (
        "slack:U012AB3CD holds growth-catalyst; budgets:write is granted only by policy-steward"
    )


def test_the_local_operator_who_can_write_the_pack_holds_every_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLACKROAD_SUBJECT", raising=False)
    (tmp_path / "roles.yaml").write_text(COMMENTED)
    grant = authorize(None, "roles:write", tmp_path, MANIFEST)
    assert grant.subject.startswith("local:") and "pack administrator" in grant.reason
    assert grant.permissions == {p.name for p in MANIFEST.permissions}


def test_acting_as_a_subject_limits_to_its_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "roles.yaml").write_text(COMMENTED)
    monkeypatch.setenv("BLACKROAD_SUBJECT", "slack:U012AB3CD")
    with pytest.raises(AccessDeniedError, match="roles:write is granted only by policy-steward"):
        authorize(None, "roles:write", tmp_path, MANIFEST)
    assert authorize("user:alice@example.com", "roles:write", tmp_path, MANIFEST).roles == (
        "policy-steward",
    )


def test_an_undeclared_permission_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "roles.yaml").write_text(COMMENTED)
    with pytest.raises(UsageError, match="unknown permission 'budgets:delete'"):
        authorize("user:alice@example.com", "budgets:delete", tmp_path, MANIFEST)


def test_a_local_operator_who_cannot_write_the_pack_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLACKROAD_SUBJECT", raising=False)
    (tmp_path / "roles.yaml").write_text(COMMENTED)
    monkeypatch.setattr("brctl.roles.os.access", lambda path, mode: False)
    with pytest.raises(AccessDeniedError, match="is not this pack's administrator"):
        authorize(None, "roles:write", tmp_path, MANIFEST)
