"""Typed SQLAlchemy models: accounts, process definitions, instances, inbox, files, documents."""
from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def pick_language(values: object, lang: str) -> str:
    """The text of `values` in `lang`: `values` is {"kk", "ru", "en"} (a missing or empty language falls
    back to kk, ru, en in that order) or, as documents stored it before positions had languages, one
    string for all."""
    if isinstance(values, dict):
        for key in (lang, "kk", "ru", "en"):
            text = values.get(key)
            if isinstance(text, str) and text:
                return text
        return ""
    return values if isinstance(values, str) else ""


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A DateTime stored as UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Status(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskState(enum.StrEnum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(20), default="office", server_default="office")
    # units and users point at each other: the constraint is created after both tables (use_alter)
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_units_head_id_users"), index=True)
    head: Mapped[User | None] = relationship(foreign_keys=[head_id], lazy="select")  # loaded when asked

    def name_in(self, lang: str) -> str:
        """The name in `lang` (kk, ru or en), or in another language when that one is empty."""
        return pick_language({"kk": self.name_kk, "ru": self.name_ru, "en": self.name_en}, lang)


class UnitMembership(Base):
    """A stay of a person in a unit: from `started_at` until `ended_at` (empty while it lasts)."""
    __tablename__ = "unit_memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")


class UnitParentHistory(Base):
    """A place of a unit in the tree: under `parent_id` (empty: at the top) from `started_at` (empty:
    since before the history was kept) until `ended_at` (empty while it lasts)."""
    __tablename__ = "unit_parent_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    parent: Mapped[Unit | None] = relationship(foreign_keys=[parent_id], lazy="joined")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))  # in Kazakh: the name shown wherever one is printed
    full_name_ru: Mapped[str] = mapped_column(String(200), default="", server_default="")
    full_name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # the position in the three languages of the interface (§9.1), printed on documents in theirs
    position_kk: Mapped[str] = mapped_column(String(200), default="", server_default="")
    position_ru: Mapped[str] = mapped_column(String(200), default="", server_default="")
    position_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    area: Mapped[str | None] = mapped_column(String(64))
    seniority: Mapped[int] = mapped_column(Integer, default=1000)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )  # loaded when read (the acting user's, once per request): not with every user a task or case joins;
    # lists that show many users' roles load them at once (selectinload)
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id], lazy="joined")
    # the units whose head this person is named (`Unit.head_id`)
    headed_units: Mapped[list[Unit]] = relationship(foreign_keys="Unit.head_id", viewonly=True, lazy="select")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def positions(self) -> dict[str, str]:
        """The position as {"kk", "ru", "en"}, as documents store it."""
        return {"kk": self.position_kk, "ru": self.position_ru, "en": self.position_en}

    def position_in(self, lang: str) -> str:
        """The position in `lang` (kk, ru or en), or in another language when that one is empty."""
        return pick_language(self.positions, lang)

    @property
    def full_names(self) -> dict[str, str]:
        """The full name as {"kk", "ru", "en"} (`full_name` is the Kazakh one)."""
        return {"kk": self.full_name, "ru": self.full_name_ru, "en": self.full_name_en}

    def name_in(self, lang: str) -> str:
        """The full name in `lang` (kk, ru or en), or in another language when that one is empty."""
        return pick_language(self.full_names, lang)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class LoginSession(Base):
    """A server-side session record; the cookie carries only its random id."""

    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordLink(Base):
    """A one-time link to set a password: only the SHA-256 of its token is stored; it expires, is used once,
    and issuing a new one for the user revokes the older ones."""

    __tablename__ = "password_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ProcessDefinition(Base):
    """One deployed version of a process; the spec is stored here once."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"), UniqueConstraint("key", "checksum"))
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    # loaded only when read (starting or restoring a run): every list joins the definition of each row
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the version of each decision table it was built with: {"approver_routing": 2} (migration 0015)
    decisions: Mapped[dict | None] = mapped_column(JSON)
    # the BPMN XML the version was deployed from, for its diagram (migration 0018; empty for versions deployed
    # earlier whose file has changed since)
    diagram: Mapped[str | None] = mapped_column(Text, deferred=True)


class DecisionVersion(Base):
    """One version of a decision table (a routing table): shipped with a release (`source` "file") or
    saved by an administrator ("admin"). Never changed nor deleted; processes deployed after it use it."""

    __tablename__ = "decision_versions"
    __table_args__ = (UniqueConstraint("decision", "version", name="uq_decision_versions_decision_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    decision: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of content
    content: Mapped[str] = mapped_column(Text)  # the DMN document
    file_name: Mapped[str] = mapped_column(String(200))  # the DMN file it replaces in deployments
    file_checksum: Mapped[str] = mapped_column(String(64))  # the shipped file this version was based on
    source: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class Instance(Base):
    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.RUNNING.value, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # indexed by ix_instances_due_timer
    holder: Mapped[str | None] = mapped_column(String(200))
    # set by the timer worker when processing this instance failed; cleared by an administrator's retry
    error: Mapped[str | None] = mapped_column(String(1000))
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")
    started_by: Mapped[User] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": version}
    # the timer worker's due query (processes/usecases/timers.py) reads only this index (migration 0007)
    __table_args__ = (Index("ix_instances_due_timer", "next_timer_at",
                            sqlite_where=text("status = 'running' AND error IS NULL"),
                            postgresql_where=text("status = 'running' AND error IS NULL")),)


class InstanceState(Base):
    """The engine's serialized state, kept apart so lists never load it."""

    __tablename__ = "instance_states"
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    state_json: Mapped[str] = mapped_column(Text)


class InboxTask(Base):
    """A human task, ready or done; updated in the same transaction as its instance."""

    __tablename__ = "inbox_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    form: Mapped[str | None] = mapped_column(String(200))
    ui_form: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.READY.value, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the absent person the assignee holds this task for (a substitution, processes/usecases/absences.py)
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    instance: Mapped[Instance] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="selectin")
    # who completed it: for a task of a role's queue, the person who took it (the assignee is empty)
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], lazy="selectin")
    # the flow of work (processes/usecases/flow.py, migration 0013): a queue task someone claimed keeps its
    # role, with the claimer as assignee, until it is released; a holder may ask a colleague to prepare it
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delegated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    delegated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delegation_comment: Mapped[str | None] = mapped_column(Text)
    draft: Mapped[dict | None] = mapped_column(JSON)  # the values the delegate prepared, prefilled for the holder
    delegated_to: Mapped[User | None] = relationship(foreign_keys=[delegated_to_id], lazy="selectin")


class ContentVersion(Base):
    """One submitted version of a process's content (text and/or file); never deleted."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("instance_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    file: Mapped[StoredFile | None] = relationship(lazy="joined")


class StoredFile(Base):
    __tablename__ = "files"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # files of one instance with the same name are versions of one logical document
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    uploaded_by: Mapped[User] = relationship(lazy="joined")


class Document(Base):
    """An issued document (certificate, sheet, letter): its content is fixed when issued, and its
    PDF is rendered by the worker after the commit, outside the locks (`sha256` is None until then:
    the document is pending)."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a document of no instance: the edition of the policy loaded from its source text
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    reg_number: Mapped[str] = mapped_column(String(40), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    public: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the render queue: documents whose PDF is pending, drained by the worker
    __table_args__ = (Index("ix_documents_pending", "id", sqlite_where=text("sha256 IS NULL"),
                            postgresql_where=text("sha256 IS NULL")),)


class DocumentSignature(Base):
    """A signed PDF of a document (issue 17): the file the render stored (PAdES, signed after the layout), and
    each later file that supersedes it (the same with a document timestamp added, when the timestamp authority was
    down at signing). Rows are only added: every file ever issued stays recognisable by its SHA-256."""

    __tablename__ = "document_signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the signed file (its blob)
    size: Mapped[int] = mapped_column(BigInteger)
    signer: Mapped[str] = mapped_column(String(300))  # the signing certificate's subject (common name)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timestamped: Mapped[bool] = mapped_column(Boolean, default=False)  # carries an RFC 3161 timestamp
    tsa_time: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the time the authority gave
    tsa_error: Mapped[str | None] = mapped_column(String(300))  # the authority failed: to be timestamped later
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("document_signatures.id"), unique=True)


class SignedOffMaterial(Base):
    """The archive of signed-off promotional material (§3.2.3), one row per approval."""

    __tablename__ = "signed_off_materials"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    reg_number: Mapped[str] = mapped_column(String(40), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_name: Mapped[str] = mapped_column(String(300))
    material_type: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(500))
    planned_date: Mapped[date] = mapped_column(Date, index=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InformationRequest(Base):
    """The register of written information requests (§11): one row per request, kept in step with its
    instance in the same transactions; the register page and its CSV export read only this table."""

    __tablename__ = "information_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    reg_number: Mapped[str] = mapped_column(String(40), unique=True)
    requester_name: Mapped[str] = mapped_column(String(300))
    requester_kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), default="")
    postal_address: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decision: Mapped[str | None] = mapped_column(String(32))
    ground: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responsible_unit: Mapped[str | None] = mapped_column(String(64))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    payment_status: Mapped[str | None] = mapped_column(String(16))
    payment_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    letter_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    dispatch_method: Mapped[str | None] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the letter was issued
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)
    days_taken: Mapped[int | None] = mapped_column(Integer)  # working days from receipt to dispatch
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    overdue_seconds: Mapped[int | None] = mapped_column(BigInteger)  # length of the breach, once answered


class PolicyEdition(Base):
    """One edition of the Information Policy: edition 1 is the source text; each approved amendment
    makes the next one as an addition (§14.3). Never changed once written."""

    __tablename__ = "policy_editions"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # unique: two approvals cannot both make N+1
    base_number: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), unique=True)
    preamble: Mapped[str] = mapped_column(Text, default="")
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # section number (as text) -> heading
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # the whole edition (PDF)
    addition_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # the addition (PDF)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PolicyClause(Base):
    """A clause as it reads in one edition."""

    __tablename__ = "policy_clauses"
    __table_args__ = (UniqueConstraint("edition_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("policy_editions.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    changed: Mapped[bool] = mapped_column(Boolean, default=False)  # changed or added by this edition's addition


class PolicyChange(Base):
    """One change an addition made: the clause before and after."""

    __tablename__ = "policy_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("policy_editions.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # added | changed | removed
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")


class PolicyProposal(Base):
    """An amendment proposal's current state; the clauses it touches are in policy_proposal_clauses."""

    __tablename__ = "policy_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    base_edition: Mapped[int] = mapped_column(Integer)
    changes: Mapped[list] = mapped_column(JSON)  # the consolidated list (or the proposer's, before MCD)
    proposed: Mapped[list] = mapped_column(JSON)  # the proposer's latest version, kept as submitted
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposalClause(Base):
    """A clause an amendment proposal touches (for the warning when two open proposals touch one)."""

    __tablename__ = "policy_proposal_clauses"
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ProcessStartRole(Base):
    """A role the administrator allowed to start a process beyond its own starters (e.g. §14.4's "and others")."""

    __tablename__ = "process_start_roles"
    process_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistrationCounter(Base):
    __tablename__ = "registration_counters"
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMail(Base):
    """An e-mail written in the same transaction as its cause and sent by the worker after commit."""

    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # an issued document sent as the PDF attachment (e.g. the answer letter); sent once it is rendered
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditHead(Base):
    """Single row holding the chain head; locked to serialise appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """Insert-only, hash-chained audit entry."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(80), index=True)
    role: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task: Mapped[str | None] = mapped_column(String(100))
    object: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    clause: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditTreeNode(Base):
    """A complete subtree of the audit log's Merkle tree (RFC 6962): level 0 are the leaves (index = seq − 1),
    level l index i covers the leaves [i·2^l, (i+1)·2^l). Insert-only; extended by the checkpoint step
    (storage/audit_log.py)."""

    __tablename__ = "audit_tree_nodes"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed checkpoint of the audit log (a C2SP signed note: origin, tree size, root hash). Insert-only."""

    __tablename__ = "audit_checkpoints"
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))  # hex
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    origin: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)


class AuditWitnessMail(Base):
    """A checkpoint e-mailed to the witnesses (KELISIM_CHECKPOINT_WITNESSES). Insert-only."""

    __tablename__ = "audit_witness_mails"
    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(ForeignKey("audit_checkpoints.tree_size"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recipients: Mapped[list] = mapped_column(JSON)


class Absence(Base):
    """A recorded absence: from `starts_on` to `ends_on` (Almaty dates, both included) the person's tasks of
    the covered processes (`processes`, empty = all) go to `substitute`. Never deleted: ending it early
    sets `ended_at`."""

    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    processes: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="selectin")

    def covers(self, process_key: str) -> bool:
        return not self.processes or process_key in self.processes


class CalendarDay(Base):
    """An administrator's override of the Republic of Kazakhstan working-day calendar for one date:
    'working' (a transferred working day, e.g. a Saturday) or 'day_off' (an extra day off)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('working', 'day_off')", name="kind"),)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpertPoolEdition(Base):
    """One edition of the university's expert pool (the staff entitled to speak for it, approved by the
    rector): every approval of changes makes a new edition; editions are never changed or deleted."""

    __tablename__ = "expert_pool_editions"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)  # the approval
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changes: Mapped[list] = mapped_column(JSON, default=list)  # what this edition changed against the one before
    approved_by: Mapped[User | None] = relationship(lazy="selectin")


class ExpertPoolMember(Base):
    """A membership as an edition of the pool holds it (each edition holds its whole list)."""

    __tablename__ = "expert_pool_members"
    __table_args__ = (UniqueConstraint("edition_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("expert_pool_editions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)  # free-text topics, as written
    search_text: Mapped[str] = mapped_column(String(2000), default="")  # the topics, lower-cased, for search
    languages: Mapped[list] = mapped_column(JSON, default=list)  # kk, ru, en
    formats: Mapped[list] = mapped_column(JSON, default=list)  # press, tv, radio, online
    term_until: Mapped[date] = mapped_column(Date, index=True)  # the last day of the membership
    expiry_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # MCD told the term ends soon
    user: Mapped[User] = relationship(lazy="joined")


class UnitMediaContact(Base):
    """A unit's responsible person for media questions (§7.10.4), kept by its head. An edit makes a new row
    that supersedes the old one (`ended_at`, `superseded_by_id`); a removal only ends the row."""

    __tablename__ = "unit_media_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # when they have an account
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # last saved or confirmed current
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("unit_media_contacts.id"))
    stale_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the head was told it is a year old
    unit: Mapped[Unit] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="selectin")


class MediaInquiry(Base):
    """The register of media inquiries (§7.10, §10, §3.8): one row per inquiry, kept in step with its
    instance in the same transactions."""

    __tablename__ = "media_inquiries"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    reg_number: Mapped[str] = mapped_column(String(40), unique=True)
    outlet: Mapped[str] = mapped_column(String(300))
    journalist: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(String(300))
    received_via: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    search_text: Mapped[str] = mapped_column(String(2000), default="")  # subject, outlet, questions, lower-cased
    questions: Mapped[list] = mapped_column(JSON, default=list)
    outlet_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    related_to_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)
    override_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clearance: Mapped[str | None] = mapped_column(String(16))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_sha256: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_method: Mapped[str | None] = mapped_column(String(32))
    released_to: Mapped[str | None] = mapped_column(String(300))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[User | None] = relationship(foreign_keys=[source_id], lazy="joined")


class MediaAsk(Base):
    """One unit's question list of a media inquiry and its clock (§7.10.2): due 3 h (urgent) or 6 h (deep)
    after the questions were sent, or at the stated term, else 3 calendar days (current)."""

    __tablename__ = "media_asks"
    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("media_inquiries.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    urgency: Mapped[str] = mapped_column(String(16))
    term_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open answered not_competent
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late_seconds: Mapped[int | None] = mapped_column(BigInteger)  # the breach, once answered after due_at
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    redirected_from_id: Mapped[int | None] = mapped_column(ForeignKey("media_asks.id"))
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the open task of its branch
    answer_task_id: Mapped[str | None] = mapped_column(String(36))  # the task its answer was given in
    unit: Mapped[Unit] = relationship(lazy="joined")


class EventNotice(Base):
    """An event a unit notified MCD of (§7.4, §7.6): the notice, MCD's decision and coverage plan, and what was
    published; one row per notice, kept in step with its instance in the same transactions."""

    __tablename__ = "event_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    event_kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(500))
    organiser: Mapped[str] = mapped_column(String(500))
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    guests: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    requests: Mapped[list] = mapped_column(JSON, default=list)  # announcement photo video press_release site_news
    site_languages: Mapped[list] = mapped_column(JSON, default=list)  # kk ru en, for the news on the site
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # fewer than late_days ahead (§7.4)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    covered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channels: Mapped[list] = mapped_column(JSON, default=list)
    publish_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publications: Mapped[list] = mapped_column(JSON, default=list)  # [{"link", "published_on"}]
    unit: Mapped[Unit] = relationship(lazy="joined")
    covered_by: Mapped[User | None] = relationship(foreign_keys=[covered_by_id], lazy="joined")


class ViolationReport(Base):
    """The register of violation reports (§1.6, §13.1–13.3): one row per report, kept in step with its instance.
    It holds no reporter: who reported is the instance's starter, withheld from all but the head of MCD and
    auditors (`ProcessKind.withholds_starter`)."""

    __tablename__ = "violation_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    reg_number: Mapped[str] = mapped_column(String(40), unique=True)
    clause: Mapped[str] = mapped_column(String(32), index=True)  # the clause the reporter thinks was breached
    happened_on: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_where: Mapped[str | None] = mapped_column(String(500))
    assessment: Mapped[str | None] = mapped_column(String(16))  # no_breach | breach
    measures: Mapped[list] = mapped_column(JSON, default=list)  # removal correction notice other
    # the units asked for explanations (§13.2): [{"key", "unit", "due_at", "task_id", "status"}]
    asks: Mapped[list] = mapped_column(JSON, default=list)
    referred: Mapped[bool] = mapped_column(Boolean, default=False)
    rector_decision: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)


class PlanVersion(Base):
    """A version of a plan or regulation the rector approves (§7.1): the PR plan (the programme of information
    occasions, `items`) or the website regulation (`text` and its files). Each approval makes the next version of
    its kind, which supersedes the one in force; versions are never changed or deleted."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("kind", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # pr_plan | website_regulation
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … within its kind
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), unique=True)  # the approval
    title: Mapped[str] = mapped_column(String(500), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    items: Mapped[list] = mapped_column(JSON, default=list)  # a plan's items, as approved
    text: Mapped[str] = mapped_column(Text, default="")  # a regulation's text
    file_ids: Mapped[list] = mapped_column(JSON, default=list)  # a regulation's files (the instance's)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"))
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id], lazy="selectin")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id], lazy="selectin")


class PlanItemMark(Base):
    """MCD's record that an item of a plan version happened (§7.1), on a date; a later mark of the same item
    supersedes it (the rows are kept)."""

    __tablename__ = "plan_item_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    item: Mapped[str] = mapped_column(String(64))  # the item's key within the version
    done_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(2000), default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    marked_by: Mapped[User | None] = relationship(lazy="selectin")


class BrandBookEdition(Base):
    """An edition of the university's brand guideline (§6.2–6.4): its version label, the date it takes effect, a
    note, and its files. Not public: MCD, management and auditors read it. An edition never changes; the one in
    force is the latest whose effective date has come."""

    __tablename__ = "brand_book_editions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[User] = relationship(lazy="joined")
    files: Mapped[list[BrandBookFile]] = relationship(lazy="selectin", order_by="BrandBookFile.id")


class BrandBookFile(Base):
    """One file of a brand guideline edition (its bytes in the blob store, by SHA-256)."""

    __tablename__ = "brand_book_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("brand_book_editions.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))


class WebsiteChange(Base):
    """A unit head's request to change the website (§9.8): what, where (§9.4 section, page addresses), the text
    per language (§9.1), management's consent and MCD's publication (§9.5); one row per request, kept in step
    with its instance in the same transactions. MCD's register and the unit's list read it."""

    __tablename__ = "website_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(64))  # a code of processes/website_change/sections.py (§9.4)
    change_kind: Mapped[str] = mapped_column(String(16))  # change addition removal
    pages: Mapped[list] = mapped_column(JSON, default=list)  # page addresses
    texts: Mapped[dict] = mapped_column(JSON, default=dict)  # language -> text (kk ru en), as requested
    file_ids: Mapped[list] = mapped_column(JSON, default=list)
    wanted_on: Mapped[date] = mapped_column(Date, index=True)
    area: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_texts: Mapped[dict] = mapped_column(JSON, default=dict)  # language -> text as placed
    missing_reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # language -> why it is not needed
    published_url: Mapped[str | None] = mapped_column(String(1000))
    published_on: Mapped[date | None] = mapped_column(Date)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit: Mapped[Unit] = relationship(lazy="joined")
    consented_by: Mapped[User | None] = relationship(foreign_keys=[consented_by_id], lazy="joined")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id], lazy="joined")


class WebsitePage(Base):
    """A page of the website a unit answers for (§9.6): learnt from the unit's published change requests; the
    yearly reminder to review them lists these."""

    __tablename__ = "website_pages"
    __table_args__ = (UniqueConstraint("unit_id", "address", name="uq_website_pages_unit_id_address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    address: Mapped[str] = mapped_column(String(1000))
    section: Mapped[str] = mapped_column(String(64))
    last_instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    updated_on: Mapped[date] = mapped_column(Date)  # the last publication touching it


class WebsiteReview(Base):
    """A yearly reminder to a unit head to review the unit's pages (§9.6): one row per reminder, kept."""

    __tablename__ = "website_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pages: Mapped[list] = mapped_column(JSON, default=list)  # the addresses listed in it


__all__ = [
    "Base", "Status", "TaskState", "Unit", "User", "UserRole", "LoginSession", "ApiToken", "PasswordLink",
    "LoginFailure", "ProcessDefinition", "Instance", "InstanceState", "InboxTask",
    "ContentVersion", "StoredFile", "Document", "SignedOffMaterial", "InformationRequest", "RegistrationCounter",
    "Notification", "PolicyEdition", "PolicyClause", "PolicyChange", "PolicyProposal", "ProposalClause",
    "ProcessStartRole", "AuditHead", "AuditEvent", "CalendarDay", "Absence", "ExpertPoolEdition", "ExpertPoolMember",
    "UnitMediaContact", "MediaInquiry", "MediaAsk", "EventNotice", "ViolationReport", "PlanVersion", "PlanItemMark",
    "BrandBookEdition", "BrandBookFile", "WebsiteChange", "WebsitePage", "WebsiteReview",
    "DocumentSignature",
    "utcnow", "date",
]
