from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from finance_pack.access.audit import AuditRecord, read_audit
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Run = Callable[..., tuple[int, str, str]]
ALICE = "user:alice@example.com"


def _audit(target: Path) -> list[AuditRecord]:
    engine = make_engine(load_context(target).state_db_url)
    upgrade(engine)
    with engine.connect() as connection:
        return read_audit(connection)


def _roles_yaml(target: Path) -> Path:
    return target / "packs/finance/roles.yaml"


@pytest.fixture(autouse=True)
def _no_acting_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLACKROAD_SUBJECT", raising=False)


def test_bind_by_the_local_operator_writes_the_file_and_one_audit_record(
    brctl: Run, installed_target: Path
) -> None:
    code, out, _ = brctl("roles", "bind", "user:Alice@Example.com", "policy-steward")
    assert code == 0 and f"bound policy-steward to {ALICE}" in out
    assert "# Role bindings" in _roles_yaml(installed_target).read_text()
    [record] = _audit(installed_target)
    assert record.actor.startswith("local:") and record.via == "cli"
    assert (record.action, record.target) == ("roles.bind", ALICE)
    assert (record.before, record.after) == ({"roles": []}, {"roles": ["policy-steward"]})


def test_binding_again_changes_nothing_and_records_nothing(
    brctl: Run, installed_target: Path
) -> None:
    brctl("roles", "bind", ALICE, "policy-steward")
    code, out, _ = brctl("roles", "bind", ALICE, "policy-steward")
    assert code == 0 and "no changes" in out
    assert len(_audit(installed_target)) == 1


def test_unbind_as_a_steward_is_attributed_to_the_steward(
    brctl: Run, installed_target: Path
) -> None:
    brctl("roles", "bind", ALICE, "policy-steward")
    brctl("roles", "bind", "slack:U012AB3CD", "growth-catalyst")
    code, out, _ = brctl("roles", "unbind", "slack:U012AB3CD", "growth-catalyst", "--as", ALICE)
    assert code == 0 and "unbound growth-catalyst" in out
    last = _audit(installed_target)[-1]
    assert (last.actor, last.action, last.after) == (ALICE, "roles.unbind", {"roles": []})


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("roles", "bind", "bob", "policy-steward"), 2, "malformed subject 'bob'"),
        (("roles", "bind", "user:bob@example.com", "admin"), 2, "unknown role 'admin'"),
        (("roles", "unbind", "user:bob@example.com", "owner"), 2, "unknown role 'owner'"),
        (
            ("roles", "bind", ALICE, "growth-catalyst", "--as", "user:bob@example.com"),
            3,
            "roles:write is granted only by policy-steward",
        ),
        (("roles", "bind", ALICE, "growth-catalyst", "--as", "bob"), 2, "malformed subject"),
        (("roles", "check", ALICE, "budgets:delete"), 2, "unknown permission 'budgets:delete'"),
        (("roles", "check", "nobody", "budgets:read"), 2, "malformed subject 'nobody'"),
        (("roles", "list", "--pack", "hr"), 2, "pack 'hr' is not installed"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    brctl: Run, installed_target: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    before = _roles_yaml(installed_target).read_bytes()
    got, _, err = brctl(*args)
    assert got == code and message in err
    assert _roles_yaml(installed_target).read_bytes() == before
    assert _audit(installed_target) == []


def test_acting_subject_comes_from_the_environment(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLACKROAD_SUBJECT", "user:bob@example.com")
    code, _, err = brctl("roles", "bind", ALICE, "policy-steward")
    assert code == 3 and "user:bob@example.com holds no role" in err


def test_an_unknown_role_in_the_file_blocks_edits_with_file_and_line(
    brctl: Run, installed_target: Path
) -> None:
    path = _roles_yaml(installed_target)
    path.write_text("bindings:\n  - subject: user:bob@example.com\n    roles: [superuser]\n")
    code, _, err = brctl("roles", "bind", ALICE, "policy-steward")
    assert code == 2 and "roles.yaml:3: bindings.0.roles.0: unknown role 'superuser'" in err
    assert "superuser" in path.read_text() and _audit(installed_target) == []


def test_a_failed_file_write_leaves_no_audit_record(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, content: bytes) -> None:
        raise OSError(28, "No space left on device")

    before = _roles_yaml(installed_target).read_bytes()
    monkeypatch.setattr("brctl.roles._replace_atomically", disk_full)
    code, _, err = brctl("roles", "bind", ALICE, "policy-steward")
    assert code == 1 and "No space left on device; nothing changed" in err
    assert _roles_yaml(installed_target).read_bytes() == before
    assert _audit(installed_target) == []


def test_list_as_json_shows_bindings_and_permissions(brctl: Run, installed_target: Path) -> None:
    brctl("roles", "bind", ALICE, "policy-steward")
    brctl("roles", "bind", "service:invoice-requester", "growth-catalyst")
    code, out, _ = brctl("roles", "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert [(r["subject"], r["role"]) for r in rows] == [
        (ALICE, "policy-steward"),
        ("service:invoice-requester", "growth-catalyst"),
    ]
    assert "invoices:create" in rows[1]["permissions"]


def test_check_explains_yes_and_no_with_exit_codes(brctl: Run, installed_target: Path) -> None:
    brctl("roles", "bind", "slack:U012AB3CD", "growth-catalyst")
    code, out, _ = brctl("roles", "check", "slack:U012AB3CD", "invoices:create")
    assert (
        code == 0
        and "yes: slack:U012AB3CD holds growth-catalyst, which grants invoices:create" in out
    )
    code, out, _ = brctl("roles", "check", "slack:U012AB3CD", "budgets:write", "--format", "json")
    assert code == 1 and json.loads(out)[0]["allowed"] is False


def test_with_no_pack_installed_the_pack_must_be_named(brctl: Run, tmp_path: Path) -> None:
    code, _, err = brctl("roles", "list", f"--target={tmp_path}")
    assert code == 2 and "choose a pack with --pack" in err


def test_every_roles_command_has_help_with_an_example(brctl: Run) -> None:
    for command in ("bind", "unbind", "list", "check"):
        code, out, _ = brctl("roles", command, "--help")
        assert code == 0 and "Example" in out, command


def test_concurrent_binds_from_separate_processes_all_land(installed_target: Path) -> None:
    import os
    import subprocess
    import sys

    brctl_path = Path(sys.executable).with_name("brctl")
    env = {**os.environ, "BLACKROAD_HOME": str(installed_target)}
    subjects = [f"service:worker-{n}" for n in range(4)]
    processes = [
        subprocess.Popen(
            [str(brctl_path), "roles", "bind", s, "growth-catalyst"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for s in subjects
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, outputs
    text = _roles_yaml(installed_target).read_text()
    assert all(s in text for s in subjects)
    assert sorted(r.target for r in _audit(installed_target)) == sorted(subjects)
