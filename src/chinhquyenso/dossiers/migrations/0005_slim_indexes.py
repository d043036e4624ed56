"""Fewer indexes on the dossier tables (decision 0005).

Every dossier write (intake, each status change, the historical import) pays for every index on the tables it
touches. Dropped: single-column indexes that lead a composite index already (agency, receiving agency,
assignee, an event's dossier: the unique (dossier, seq)), the unused (kind, occurred_at) on events, and on
PostgreSQL the ``varchar_pattern_ops`` copy of the code index that ``unique=True`` adds (no query matches codes
with LIKE). Indexes on foreign keys that are empty for most rows now hold only the rows where they are set.

The database side is written out (``SeparateDatabaseAndState``): Django's own ``AlterField`` for a ``db_index``
change drops and re-adds each foreign key, which re-validates it over the whole table; here only indexes
change, and on PostgreSQL the code's unique constraint is renamed in place. On SQLite the column's inline
UNIQUE stays (it cannot be dropped without rebuilding the table) and enforces what ``dossier_code_unique``
states.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, column) of the single-column foreign-key indexes Django made in 0001 and that go away here.
_PLAIN_FK = [
    ("dossier", "agency_id"),
    ("dossier", "receiving_agency_id"),
    ("dossier", "assignee_id"),
    ("dossier", "citizen_id"),
    ("dossier", "current_step_id"),
    ("dossier", "process_version_id"),
    ("dossiercomponent", "digitized_by_id"),
    ("dossiercomponent", "file_id"),
    ("dossiercomponent", "supplement_id"),
    ("dossierevent", "actor_id"),
    ("dossierevent", "dossier_id"),
    ("dossierevent", "step_id"),
    ("dossierresult", "file_id"),
    ("dossiersupplement", "received_by_id"),
    ("dossiersupplement", "requested_by_id"),
]
# (model, index name) created here, as the new models state them.
_NEW = [
    ("dossier", "dossier_assignee_status"),
    ("dossier", "dossier_citizen_set"),
    ("dossier", "dossier_current_step_set"),
    ("dossier", "dossier_process_version_set"),
    ("dossiercomponent", "component_file_set"),
    ("dossiercomponent", "component_digitized_by_set"),
    ("dossiercomponent", "component_supplement_set"),
    ("dossierevent", "dossier_event_actor_set"),
    ("dossierevent", "dossier_event_step_set"),
    ("dossierresult", "result_file_set"),
    ("dossiersupplement", "supplement_requested_by_set"),
    ("dossiersupplement", "supplement_received_by_set"),
]


def _index(apps, model_name, name):
    model = apps.get_model("dossiers", model_name)
    return model, next(i for i in model._meta.indexes if i.name == name)


def _code_unique(schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'dossiers_dossier'::regclass "
            "AND contype = 'u' AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE "
            "attrelid = 'dossiers_dossier'::regclass AND attname = 'code')]::smallint[]"
        )
        return [row[0] for row in cur.fetchall()]


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    for model_name, column in _PLAIN_FK:
        table = apps.get_model("dossiers", model_name)._meta.db_table
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(schema_editor._create_index_name(table, [column]))}")
    schema_editor.execute("DROP INDEX IF EXISTS dossier_assignee_status")
    schema_editor.execute("DROP INDEX IF EXISTS dossier_event_kind_occurred")
    if schema_editor.connection.vendor == "postgresql":
        table = "dossiers_dossier"
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {quote(schema_editor._create_index_name(table, ['code'], '_like'))}"
        )
        for name in _code_unique(schema_editor):
            if name != "dossier_code_unique":
                schema_editor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {quote(name)} TO dossier_code_unique")
    for model_name, name in _NEW:
        schema_editor.add_index(*_index(apps, model_name, name))


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    for _model_name, name in _NEW:
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
    for model_name, column in _PLAIN_FK:
        table = apps.get_model("dossiers", model_name)._meta.db_table
        name = schema_editor._create_index_name(table, [column])
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")
    schema_editor.execute('CREATE INDEX "dossier_assignee_status" ON "dossiers_dossier" ("assignee_id", "status")')
    schema_editor.execute(
        'CREATE INDEX "dossier_event_kind_occurred" ON "dossiers_dossierevent" ("kind", "occurred_at")'
    )
    if schema_editor.connection.vendor == "postgresql":
        table = "dossiers_dossier"
        schema_editor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT dossier_code_unique TO dossiers_dossier_code_key")
        name = schema_editor._create_index_name(table, ["code"], "_like")
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {table} (code varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_inbox_agency_due_indexes"),
        ("files", "0001_initial"),
        ("procedures", "0001_initial"),
        ("units", "0002_unit_name_folded_partial_predecessors"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State first, so that forwards() finds the new indexes in the models it is given.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="dossier",
                    name="dossier_assignee_status",
                ),
                migrations.RemoveIndex(
                    model_name="dossierevent",
                    name="dossier_event_kind_occurred",
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="agency",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="Đơn vị xử lý (DonViXuLy)",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dossiers",
                        to="units.agency",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_dossiers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="citizen",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Online owner account",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="own_dossiers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="code",
                    field=models.CharField(max_length=60, verbose_name="mã hồ sơ"),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="current_step",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="procedures.processstep",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="process_version",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dossiers",
                        to="procedures.processversion",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="receiving_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="Nơi tiếp nhận",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="received_dossiers",
                        to="units.agency",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossiercomponent",
                    name="digitized_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dossiercomponent",
                    name="file",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="files.storedfile",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossiercomponent",
                    name="supplement",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Set when the component came with a supplement",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="components",
                        to="dossiers.dossiersupplement",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossierevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dossierevent",
                    name="dossier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="dossiers.dossier",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossierevent",
                    name="step",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="procedures.processstep",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossierresult",
                    name="file",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="files.storedfile",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossiersupplement",
                    name="received_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dossiersupplement",
                    name="requested_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        condition=models.Q(("assignee__isnull", False)),
                        fields=["assignee", "status"],
                        name="dossier_assignee_status",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        condition=models.Q(("citizen__isnull", False)), fields=["citizen"], name="dossier_citizen_set"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        condition=models.Q(("current_step__isnull", False)),
                        fields=["current_step"],
                        name="dossier_current_step_set",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        condition=models.Q(("process_version__isnull", False)),
                        fields=["process_version"],
                        name="dossier_process_version_set",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossiercomponent",
                    index=models.Index(
                        condition=models.Q(("file__isnull", False)), fields=["file"], name="component_file_set"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossiercomponent",
                    index=models.Index(
                        condition=models.Q(("digitized_by__isnull", False)),
                        fields=["digitized_by"],
                        name="component_digitized_by_set",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossiercomponent",
                    index=models.Index(
                        condition=models.Q(("supplement__isnull", False)),
                        fields=["supplement"],
                        name="component_supplement_set",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossierevent",
                    index=models.Index(
                        condition=models.Q(("actor__isnull", False)), fields=["actor"], name="dossier_event_actor_set"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossierevent",
                    index=models.Index(
                        condition=models.Q(("step__isnull", False)), fields=["step"], name="dossier_event_step_set"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossierresult",
                    index=models.Index(
                        condition=models.Q(("file__isnull", False)), fields=["file"], name="result_file_set"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossiersupplement",
                    index=models.Index(
                        condition=models.Q(("requested_by__isnull", False)),
                        fields=["requested_by"],
                        name="supplement_requested_by_set",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossiersupplement",
                    index=models.Index(
                        condition=models.Q(("received_by__isnull", False)),
                        fields=["received_by"],
                        name="supplement_received_by_set",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="dossier",
                    constraint=models.UniqueConstraint(fields=("code",), name="dossier_code_unique"),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
