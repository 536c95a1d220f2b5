"""Role bindings (`roles.yaml`): who holds which of a pack's roles, and what that grants.

A pack declares its permissions (`resource:verb`) and roles in `pack.yaml`; the operator binds
subjects to roles in `roles.yaml`:

    bindings:
      - subject: user:alice@example.com
        roles: [policy-steward]

Subjects are `user:EMAIL`, `slack:USER_ID` (e.g. `slack:U012AB3CD`) or `service:NAME`.
Permissions are always resolved from the files as they are now, so removing a binding takes
effect at once for every token and command.

The local operator: a command run with no `--as SUBJECT` and no `$BLACKROAD_SUBJECT` acts as
`local:<os user>`. When that user can write the pack directory they hold every permission of the
pack, because they could edit `roles.yaml` by hand anyway; this is how the first Policy Steward
gets bound. `--as` attributes an action to a bound subject (and limits it to that subject's
permissions); it is not a login: anyone who can run the CLI can already edit the files.

Edits keep the file's comments and order (ruamel round-trip), replace the file atomically, and
run inside a guard (the pack's audit transaction) so the change and its record land together.
"""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from brctl.errors import CommandError, UsageError, ValidationError
from brctl.manifest import NAME_PATTERN, Manifest, is_permission_name
from brctl.yamlfile import dump_yaml, line_of, parse_yaml, read_yaml, validate_data

SUBJECT_ENV = "BLACKROAD_SUBJECT"
LOCAL_KIND = "local"
_SUBJECT_FORMS: Mapping[str, re.Pattern[str]] = {
    "user": re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$"),
    "slack": re.compile(r"^[UW][A-Z0-9]{6,20}$"),
    "service": re.compile(r"^[a-z][a-z0-9-]{0,62}$"),
}
SUBJECT_HELP = "user:EMAIL, slack:USER_ID (e.g. slack:U012AB3CD) or service:NAME"


class AccessDeniedError(CommandError):
    """The acting subject lacks the permission a command needs."""

    exit_code = 3


def parse_subject(text: str) -> str:
    """The canonical form of a subject identity (emails lower-cased); raises UsageError."""
    kind, _, ident = text.strip().partition(":")
    kind = kind.lower()
    if kind == "user":
        ident = ident.lower()
    pattern = _SUBJECT_FORMS.get(kind)
    if pattern is None or not pattern.fullmatch(ident):
        raise UsageError(f"malformed subject {text!r}", hint=f"use {SUBJECT_HELP}")
    return f"{kind}:{ident}"


def _subject_field(value: str) -> str:
    try:
        return parse_subject(value)
    except UsageError as exc:
        raise ValueError(f"malformed subject {value!r}; use {SUBJECT_HELP}") from exc


class BindingEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: Annotated[str, AfterValidator(_subject_field)]
    roles: Annotated[list[Annotated[str, Field(pattern=NAME_PATTERN)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _roles_once(self) -> BindingEntry:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"{self.subject} lists a role twice")
        return self


class RolesFile(BaseModel):
    """`roles.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bindings: list[BindingEntry] = []

    @model_validator(mode="after")
    def _subjects_once(self) -> RolesFile:
        subjects = [b.subject for b in self.bindings]
        twice = sorted({s for s in subjects if subjects.count(s) > 1})
        if twice:
            raise ValueError(f"subjects listed more than once (merge their roles): {twice}")
        return self

    def roles_of(self, subject: str) -> list[str]:
        return next((b.roles for b in self.bindings if b.subject == subject), [])


@dataclass(frozen=True)
class Grant:
    """What a subject may do, and why."""

    subject: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    reason: str

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def _check_roles_declared(doc: Any, roles: RolesFile, manifest: Manifest, source: str) -> None:
    known = {r.name for r in manifest.roles}
    problems = []
    for i, entry in enumerate(roles.bindings):
        for j, role in enumerate(entry.roles):
            if role not in known:
                line = line_of(doc, ["bindings", i, "roles", j])
                where = f"{source}:{line}" if line else source
                problems.append(f"{where}: bindings.{i}.roles.{j}: unknown role {role!r}")
    if problems:
        raise ValidationError(
            "\n".join(problems), hint=f"roles of pack {manifest.name}: {', '.join(sorted(known))}"
        )


def _parse_roles_doc(doc: Any, manifest: Manifest, source: str) -> RolesFile:
    roles = validate_data(RolesFile, doc, source)
    _check_roles_declared(doc, roles, manifest, source)
    return roles


def load_bindings(path: Path, manifest: Manifest) -> RolesFile:
    """Read and check `roles.yaml`: malformed subjects and unknown roles name file:line."""
    return _parse_roles_doc(read_yaml(path), manifest, str(path))


def check_role(manifest: Manifest, role: str) -> None:
    if manifest.role(role) is None:
        known = ", ".join(r.name for r in manifest.roles)
        raise UsageError(f"unknown role {role!r}", hint=f"roles of pack {manifest.name}: {known}")


def check_permission(manifest: Manifest, permission: str) -> None:
    declared = [p.name for p in manifest.permissions]
    if not is_permission_name(permission) or permission not in declared:
        raise UsageError(
            f"unknown permission {permission!r}",
            hint=f"permissions of pack {manifest.name}: {', '.join(declared)}",
        )


def grant_for(subject: str, bindings: RolesFile, manifest: Manifest) -> Grant:
    roles = tuple(bindings.roles_of(subject))
    permissions = frozenset(
        p for name in roles if (role := manifest.role(name)) for p in role.permissions
    )
    reason = f"bound to {', '.join(roles)}" if roles else "holds no role"
    return Grant(subject, roles, permissions, reason)


def explain(subject: str, permission: str, bindings: RolesFile, manifest: Manifest) -> Grant:
    """The subject's grant, with a reason that says why `permission` is or is not held."""
    grant = grant_for(subject, bindings, manifest)
    granting = [r.name for r in manifest.roles if permission in r.permissions]
    giving = [r for r in grant.roles if r in granting]
    if giving:
        reason = f"{subject} holds {', '.join(giving)}, which grants {permission}"
    else:
        held = ", ".join(grant.roles) if grant.roles else "no role"
        offered = ", ".join(granting) if granting else "no role"
        reason = f"{subject} holds {held}; {permission} is granted only by {offered}"
    return Grant(grant.subject, grant.roles, grant.permissions, reason)


def local_operator() -> str:
    return f"{LOCAL_KIND}:{getpass.getuser()}"


def acting_subject(acting_as: str | None) -> str | None:
    """`--as`, else `$BLACKROAD_SUBJECT`, canonical; None means the local operator."""
    chosen = acting_as or os.environ.get(SUBJECT_ENV) or None
    return parse_subject(chosen) if chosen else None


def acting_grant(
    acting_as: str | None, permission: str, pack_dir: Path, manifest: Manifest
) -> Grant:
    """What the acting subject holds, explained for `permission` (which must be declared)."""
    check_permission(manifest, permission)
    subject = acting_subject(acting_as)
    if subject is None:
        operator = local_operator()
        if not os.access(pack_dir, os.W_OK):
            raise AccessDeniedError(
                f"{operator} cannot write {pack_dir}, so is not this pack's administrator",
                hint=f"act as a bound subject: --as SUBJECT or ${SUBJECT_ENV}",
            )
        every = frozenset(p.name for p in manifest.permissions)
        return Grant(operator, (), every, f"{operator} can write {pack_dir} (pack administrator)")
    return explain(subject, permission, load_bindings(pack_dir / "roles.yaml", manifest), manifest)


def authorize(acting_as: str | None, permission: str, pack_dir: Path, manifest: Manifest) -> Grant:
    """The acting subject's grant; raises AccessDeniedError when it lacks `permission`."""
    grant = acting_grant(acting_as, permission, pack_dir, manifest)
    if not grant.allows(permission):
        raise AccessDeniedError(f"permission denied: {grant.reason}")
    return grant


@dataclass(frozen=True)
class RoleChange:
    """One edit of `roles.yaml`, as the pack's audit log records it."""

    actor: str
    action: str  # roles.bind | roles.unbind
    subject: str
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class RoleEdit:
    change: RoleChange
    text: str  # the whole new roles.yaml


def _find_entry(seq: CommentedSeq, subject: str) -> int | None:
    for index, item in enumerate(seq):
        if isinstance(item, CommentedMap) and parse_subject(str(item.get("subject"))) == subject:
            return index
    return None


def _edit_doc(path: Path, manifest: Manifest) -> tuple[CommentedMap, RolesFile]:
    doc = read_yaml(path)
    roles = _parse_roles_doc(doc, manifest, str(path))
    if not isinstance(doc, CommentedMap):
        raise ValidationError("expected a mapping with `bindings:`", location=str(path))
    if not doc.get("bindings"):
        doc["bindings"] = CommentedSeq()  # a block list, not the template's flow `[]`
    return doc, roles


def plan_bind(
    path: Path, manifest: Manifest, actor: str, subject: str, role: str
) -> RoleEdit | None:
    """The edit binding `role` to `subject`, or None when it is already bound."""
    subject = parse_subject(subject)
    check_role(manifest, role)
    doc, roles = _edit_doc(path, manifest)
    before = roles.roles_of(subject)
    if role in before:
        return None
    seq = doc["bindings"]
    index = _find_entry(seq, subject)
    if index is None:
        role_list = CommentedSeq([role])
        role_list.fa.set_flow_style()
        seq.append(CommentedMap([("subject", subject), ("roles", role_list)]))
    else:
        seq[index]["roles"].append(role)
    change = RoleChange(actor, "roles.bind", subject, before, [*before, role])
    return RoleEdit(change, _checked_text(doc, manifest, path))


def plan_unbind(
    path: Path, manifest: Manifest, actor: str, subject: str, role: str
) -> RoleEdit | None:
    """The edit removing `role` from `subject`, or None when it is not bound."""
    subject = parse_subject(subject)
    check_role(manifest, role)
    doc, roles = _edit_doc(path, manifest)
    before = roles.roles_of(subject)
    if role not in before:
        return None
    seq = doc["bindings"]
    index = _find_entry(seq, subject)
    assert index is not None  # before is non-empty, so the entry exists
    entry_roles = seq[index]["roles"]
    entry_roles.remove(role)
    if not entry_roles:
        del seq[index]
    change = RoleChange(actor, "roles.unbind", subject, before, [r for r in before if r != role])
    return RoleEdit(change, _checked_text(doc, manifest, path))


def _checked_text(doc: CommentedMap, manifest: Manifest, path: Path) -> str:
    if not doc["bindings"]:
        empty = CommentedSeq()
        empty.fa.set_flow_style()
        doc["bindings"] = empty
    text = dump_yaml(doc)
    _parse_roles_doc(parse_yaml(text, str(path)), manifest, str(path))  # never write a bad file
    return text


def apply_edit(
    path: Path, edit: RoleEdit, guard: AbstractContextManager[object] | None = None
) -> None:
    """Replace `path` atomically inside `guard` (the audit transaction).

    The guard is entered first (it records the change, uncommitted), the file is replaced, then
    the guard commits. A failed write leaves the file as it was and the guard rolls back; a
    failed commit puts the old file back.
    """
    original = path.read_bytes()
    replaced = False
    try:
        with guard if guard is not None else nullcontext():
            _replace_atomically(path, edit.text.encode("utf-8"))
            replaced = True
    except BaseException:
        if replaced:
            _replace_atomically(path, original)
        raise


def _replace_atomically(path: Path, content: bytes) -> None:
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def binding_rows(bindings: RolesFile, manifest: Manifest) -> Iterator[dict[str, object]]:
    for entry in bindings.bindings:
        for name in entry.roles:
            role = manifest.role(name)
            yield {
                "subject": entry.subject,
                "role": name,
                "title": role.title if role else None,
                "permissions": sorted(role.permissions) if role else [],
            }
