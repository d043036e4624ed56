"""Known corrections to the ``holidays`` package (checked against the government's notices).

Tết Dương lịch 2026: Văn bản 12729/VPCP-KGVX ngày 25/12/2025 agreed to the Ministry of Home
Affairs' proposal (Bộ Nội vụ): civil servants rest from Thursday 01/01 to Sunday 04/01/2026,
working Friday 02/01/2026 swapped with Saturday 10/01/2026. The ``holidays`` package 0.109 does
not have this swap. (Tết Âm lịch and Quốc khánh 2026 from Thông báo 9441/TB-BNV are already in
the package: 16–20/02, 31/08 off for 22/08, 01–02/09.)

The data is copied here, not imported, so the migration stays what it was when it ran.
"""

import datetime

from django.db import migrations

DECISION = "Văn bản 12729/VPCP-KGVX ngày 25/12/2025"
NOTE = "Hoán đổi ngày làm việc dịp Tết Dương lịch 2026 cho cán bộ, công chức, viên chức (nạp sẵn)."

KNOWN = [
    (datetime.date(2026, 1, 2), "day_off", "Nghỉ Tết Dương lịch (hoán đổi, làm bù thứ Bảy 10/01/2026)"),
    (datetime.date(2026, 1, 10), "working_day", "Ngày làm việc bù (cho ngày 02/01/2026)"),
]


def add_known(apps, schema_editor):
    CalendarOverride = apps.get_model("workdays", "CalendarOverride")
    for day, kind, name in KNOWN:
        CalendarOverride.objects.get_or_create(
            day=day, defaults={"kind": kind, "name": name, "decision": DECISION, "note": NOTE}
        )


def remove_known(apps, schema_editor):
    CalendarOverride = apps.get_model("workdays", "CalendarOverride")
    CalendarOverride.objects.filter(day__in=[day for day, _, _ in KNOWN], decision=DECISION).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(add_known, remove_known)]
