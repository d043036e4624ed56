"""The PAKN time limits of QĐ 766/QĐ-TTg (23/6/2022), indicator 5.2, as the first dated rule set.

Trả lời ≤ 15 ngày làm việc từ khi tiếp nhận (hoặc từ khi được chuyển đến); từ chối ≤ 2 NLV; yêu cầu
bổ sung thông tin lần đầu ≤ 5 NLV; công khai ≤ 2 NLV; PAKN đang xử lý cuối kỳ đúng hạn nếu
(cuối kỳ − ngày bắt đầu) ≤ 15 NLV. Reference: vn-methodology.md §1.3 row 5.2.
"""

import datetime as dt

from django.db import migrations

RULES = {
    "code": "QD766-2022",
    "name": "Thời hạn xử lý phản ánh, kiến nghị theo Bộ chỉ số 766 (chỉ số 5.2)",
    "legal_basis": "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ",
    "valid_from": dt.date(2022, 6, 23),
    "valid_to": None,
    "reply_days": 15,
    "refuse_days": 2,
    "first_info_request_days": 5,
    "publish_days": 2,
    "in_progress_days": 15,
    "note": "Ngày làm việc theo lịch làm việc (ngày lễ, Tết, nghỉ bù, ngày làm bù).",
}


def forwards(apps, schema_editor):
    FeedbackRuleSet = apps.get_model("feedback", "FeedbackRuleSet")
    code = RULES["code"]
    FeedbackRuleSet.objects.update_or_create(code=code, defaults={k: v for k, v in RULES.items() if k != "code"})


def backwards(apps, schema_editor):
    FeedbackRuleSet = apps.get_model("feedback", "FeedbackRuleSet")
    FeedbackRuleSet.objects.filter(code=RULES["code"], petitions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
