"""Load the QĐ 766/QĐ-TTg definition set, valid from the decision date 23/6/2022.

Reconstructed in docs/indicators.md from reference §1 (the decision's annex was never read): the
maxima are those the national portal returned in 2026 (CKMB 18 = 6+4+2+6, TDGQ 20, CLGQ 12 = 2+4+6,
TTTT 10 = 6+2+2, MDSH 22 = 6+4+2+4+2+2+2, MDHL 18 = 0+0+6+6+6). CLGQ sub-weights are third-party [R]
and the TTTT split is a fit to portal data: both are flagged ``weight_certain=False``.

The data lives here, not imported from app code, so the migration replays the same forever.
Later changes are new sets (services.definitions_revise) or new migrations, never edits of this one.
"""

from decimal import Decimal

from django.db import migrations

VALID_FROM = "2022-06-23"

GROUPS = [
    # code, name, max, order, scoring, note
    ("CKMB", "Công khai, minh bạch", "18", 1, "sum", ""),
    ("TDGQ", "Tiến độ giải quyết", "20", 2, "sum", ""),
    ("CLGQ", "Dịch vụ công trực tuyến", "12", 3, "composite_ratio",
     "Cổng DVCQG chỉ trả về một tỷ lệ tổng hợp và tính điểm = tỷ lệ × 12 (74,75% → 8,97). Trọng số 2/4/6 của "
     "3.1/3.2/3.3 là suy luận của bên thứ ba [R]; khi tự tính, tỷ lệ tổng hợp = Σ điểm thành phần / 12."),
    ("TTTT", "Thanh toán trực tuyến", "10", 4, "sum",
     "Nhóm tách từ tiêu chí 3 của QĐ 766 trên Cổng DVCQG. Công thức 6·r1 + 2·min(1, r2/0,8) + 2·min(1, r3/0,8) "
     "là khớp dữ liệu (9/9 đơn vị, đúng đến 0,01), tạm thời."),
    ("MDSH", "Số hóa hồ sơ", "22", 5, "sum", ""),
    ("MDHL", "Mức độ hài lòng", "18", 6, "sum",
     "Một changelog bên thứ ba ghi 5/5/2/6; dữ liệu Cổng DVCQG cho 6/6/6 nên dùng 6/6/6."),
]

_DOSSIERS = "Hồ sơ TTHC tiếp nhận trong kỳ (theo NgayTiepNhan) thuộc thẩm quyền của đơn vị"

DEFINITIONS = [
    # --- CKMB ---
    dict(code="PUBLISH_ON_TIME", ref="1.1", group="CKMB", order=1, max="6", target="1", subject="procedure",
         name="Tỷ lệ TTHC công bố đúng hạn",
         numerator="TTHC có Quyết định công bố với Ngày quyết định ≤ ngày hiệu lực muộn nhất của văn bản quy định "
                   "trừ 5 ngày làm việc (cấp tỉnh; cấp bộ: 20 ngày). Mỗi TTHC đếm một lần; một lần công bố muộn "
                   "làm cả kỳ bị tính muộn. Nguồn: CSDLQG về TTHC",
         denominator="TTHC trong các Quyết định công bố (thêm mới, sửa đổi, bãi bỏ) có Ngày quyết định trong kỳ",
         zd="zero", zd_note="Chưa thấy dữ liệu mẫu số 0; giả định 0 điểm [I].",
         certain=True, cnote="Trọng số 6 có trên Cổng DVCQG [D]. Chỉ tiêu chưa xác định được (dữ liệu 0/82 → 0); "
                            "giả định 100%.", source="[T] [D]"),
    dict(code="PUBLIC_UPDATE_ON_TIME", ref="1.2", group="CKMB", order=2, max="4", target="1", subject="procedure",
         name="Tỷ lệ TTHC cập nhật, công khai đúng hạn",
         numerator="TTHC được bấm \"Công khai\" trên CSDLQG ≤ Ngày QĐ công bố + 5 ngày làm việc (cấp tỉnh; cấp bộ: 10)",
         denominator="TTHC công bố trong kỳ + TTHC đến hạn công khai (trạng thái Đang công khai, Đang công khai sửa "
                     "đổi bổ sung, Bãi bỏ). Chỉ tính ở cấp tỉnh/bộ",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=True,
         cnote="96,34% → 3,85 trên Cổng DVCQG [D].", source="[T] [D]"),
    dict(code="PUBLIC_CONTENT_FULL", ref="1.3", group="CKMB", order=3, max="2", target="1", subject="procedure",
         name="Tỷ lệ TTHC công khai đầy đủ nội dung",
         numerator="TTHC có đủ 7 bộ phận theo NĐ 63/2010 Điều 8 khoản 2 (tên, trình tự, cách thức, thành phần và số "
                   "lượng hồ sơ, thời hạn, đối tượng, cơ quan thực hiện). Tính tại thời điểm hiện tại, không theo kỳ",
         denominator="TTHC đang công khai",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=True,
         cnote="Chỉ tiêu không ghi trong tài liệu; giả định 100%.", source="[T] [D]"),
    dict(code="DOSSIER_SYNC", ref="1.4", group="CKMB", order=4, max="6", target="1", subject="dossier",
         name="Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
         numerator="Hồ sơ đã đồng bộ lên Cổng DVCQG có NgayTiepNhan trong kỳ (đồng bộ một chiều cũng được tính)",
         denominator="max(số hồ sơ tiếp nhận trên Hệ thống báo cáo quốc gia, số hồ sơ tiếp nhận trên Cổng DVCQG)",
         zd="prior_year",
         zd_note="Nếu cả hai mẫu số bằng 0: dùng tổng của năm trước ÷12 (tháng), ÷4 (quý) hoặc cả năm (năm); "
                 "không có số liệu năm trước thì 0 điểm.",
         certain=True, cnote="", source="[T] [D]"),
    # --- TDGQ ---
    dict(code="DOSSIER_ON_TIME", ref="2.1", group="TDGQ", order=1, max="20", target="1", subject="dossier",
         name="Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
         numerator="Hồ sơ đã giải quyết xong hoặc đang giải quyết mà trước hạn, đúng hạn (NgayKetThucXuLy ≤ "
                   "NgayHenTra, trừ thời gian chờ bổ sung; quy tắc chi tiết ở mục 1.4 tài liệu tham chiếu)",
         denominator="Hồ sơ tiếp nhận, xử lý trong kỳ",
         zd="zero", zd_note="Đơn vị không tiếp nhận hồ sơ nào được 0 điểm (dữ liệu Cổng DVCQG).",
         certain=True, cnote="393087/443565 = 88,62% → 17,72 [D].", source="[T] [D]"),
    dict(code="AVERAGE_PROCESSING_TIME", ref="2.2", group="TDGQ", order=2, max="0", target="1", subject="dossier",
         kind="informational", measure="average",
         name="Thời gian giải quyết trung bình của TTHC",
         numerator="Tổng thời gian giải quyết (ThoiGianGiaiQuyet, theo DonViTinh) của hồ sơ hoàn thành "
                   "(trạng thái 9/10, bắt đầu trong kỳ)",
         denominator="Số hồ sơ hoàn thành",
         zd="zero", zd_note="Chỉ theo dõi, không tính điểm.", certain=True, cnote="Chỉ theo dõi.", source="[T]"),
    # --- CLGQ ---
    dict(code="ONLINE_SERVICE_PROVIDED", ref="3.1", group="CLGQ", order=1, max="2", target="0.8",
         subject="procedure",
         name="Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến",
         numerator="TTHC có DVCTT một phần hoặc toàn trình (tính mức cao hơn) đang \"công khai\"; toàn trình đo trên "
                   "các TTHC đủ điều kiện trong CSDLQG",
         denominator="TTHC thuộc thẩm quyền (cấp tỉnh + cấp xã)",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=False,
         cnote="Trọng số 2 là suy luận bên thứ ba [R]; Cổng DVCQG chỉ trả tỷ lệ tổng hợp của nhóm. Chỉ tiêu 80% "
               "theo tài liệu công thức [T].", source="[T] [R]"),
    dict(code="ONLINE_SERVICE_WITH_DOSSIERS", ref="3.2", group="CLGQ", order=2, max="4", target="1",
         subject="procedure",
         name="Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ",
         numerator="DVC có ít nhất 1 hồ sơ tiếp nhận trực tuyến, theo đơn vị xử lý",
         denominator="Số DVC (trạng thái Đang công khai, Chờ dừng công khai, Đang kiểm thử)",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=False,
         cnote="Trọng số 4 là suy luận bên thứ ba [R].", source="[T] [R]"),
    dict(code="ONLINE_DOSSIER", ref="3.3", group="CLGQ", order=3, max="6", target="0.5", subject="dossier",
         name="Tỷ lệ hồ sơ nộp trực tuyến",
         numerator="Hồ sơ có KenhThucHien = 2 và NgayTiepNhan trong kỳ; nếu TTHC trả kết quả giấy thì hồ sơ phải có "
                   "thêm kết quả điện tử (MaKetQua + DuongDanTepTinKetQua). Nhân với tỷ lệ đồng bộ",
         denominator=_DOSSIERS,
         zd="zero", zd_note="Giả định 0 điểm như các chỉ số theo hồ sơ [I].", certain=False,
         cnote="Trọng số 6 là suy luận bên thứ ba [R]. Chỉ tiêu 50% theo tài liệu công thức [T].",
         source="[T] [R]"),
    # --- TTTT (fit, provisional) ---
    dict(code="PAYMENT_DOSSIER_RATE", ref="3.6", group="TTTT", order=1, max="6", target="1", subject="dossier",
         name="Tỷ lệ hồ sơ thanh toán trực tuyến",
         numerator="Hồ sơ thanh toán trực tuyến thành công (DuocThanhToanTrucTuyen ∈ {1 trên DVCQG, 2 cổng thanh "
                   "toán của bộ/địa phương}), bắt đầu xử lý trong kỳ",
         denominator="Hồ sơ có nghĩa vụ tài chính (hồ sơ của TTHC có phí trong CSDLQG, trừ hồ sơ mà mọi "
                     "DanhSachLePhi đồng bộ đều có Gia = 0)",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=False,
         cnote="r1. Tạm thời: trọng số 6 và chỉ tiêu 100% là khớp dữ liệu (9/9 đơn vị đúng đến 0,01), chưa có "
               "văn bản.", source="[D] khớp dữ liệu"),
    dict(code="PAYMENT_PROCEDURE_TRANSACTION", ref="3.7", group="TTTT", order=2, max="2", target="0.8",
         subject="procedure",
         name="Tỷ lệ TTHC có phát sinh giao dịch thanh toán trực tuyến",
         numerator="TTHC có phát sinh giao dịch thanh toán trực tuyến",
         denominator="TTHC có phát sinh hồ sơ có thu phí",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=False,
         cnote="r2. Tạm thời: trọng số 2, chỉ tiêu 80% là khớp dữ liệu. Một cách khớp tương đương: 2,5·r2 và "
               "1,5·min(1, r3/0,6). Số hiệu 3.7 do dự án đặt.", source="[D] khớp dữ liệu"),
    dict(code="PAYMENT_FEE_PROCEDURE_WITH_DOSSIER", ref="3.5", group="TTTT", order=3, max="2", target="0.8",
         subject="procedure",
         name="Tỷ lệ TTHC có thu phí, lệ phí phát sinh hồ sơ",
         numerator="TTHC có thu phí, lệ phí có ít nhất 1 hồ sơ đồng bộ phí ≠ 0/null (kỳ theo NgayTiepNhan, nếu không "
                   "có thì NgayNopHoSo)",
         denominator="TTHC có thu phí, lệ phí trong CSDLQG (giá trị hiện tại)",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=False,
         cnote="r3. Tạm thời: trọng số 2, chỉ tiêu 80% là khớp dữ liệu; tài liệu công thức mục 3.5 ghi chỉ tiêu 80%.",
         source="[T] [D] khớp dữ liệu"),
    # --- MDSH ---
    dict(code="ORIGINAL_RESULT_AVAILABLE", ref="4.1", group="MDSH", order=1, max="6", target="1", subject="dossier",
         name="Tỷ lệ hồ sơ TTHC có cấp kết quả giải quyết TTHC điện tử",
         numerator="Hồ sơ có kết quả đồng bộ kèm đường dẫn tệp, chỉ tính TTHC trả kết quả giấy",
         denominator="Hồ sơ của các TTHC đó",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=True, cnote="", source="[T] [D]"),
    dict(code="SO_HOA_GIAY_TO_GIAI_QUYET", ref="4.2", group="MDSH", order=2, max="4", target="1", subject="dossier",
         name="Tỷ lệ hồ sơ TTHC thực hiện số hóa hồ sơ",
         numerator="Hồ sơ có tệp trong thành phần hồ sơ VÀ có tệp kết quả",
         denominator="Tổng hồ sơ thuộc thẩm quyền",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=True,
         cnote="Dữ liệu Cổng DVCQG cho thấy tuyến tính, chỉ tiêu 100% (21,12% → 0,84); tài liệu công thức ghi 80%: "
               "hai nguồn mâu thuẫn, dùng dữ liệu.", source="[T] [D]"),
    dict(code="REUSED_DIGITIZED_DATA", ref="4.3", group="MDSH", order=3, max="2", target="0.8", subject="dossier",
         name="Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
         numerator="Hồ sơ (NgayTiepNhan trong kỳ) có ít nhất 1 thành phần được đánh dấu tái sử dụng "
                   "(HoSoCoThanhPhanSoHoa=1 khi đồng bộ từ bộ/địa phương; TaiLieuNop.DuocSoHoa=1 khi tạo trên DVCQG)",
         denominator="Hồ sơ tiếp nhận trong kỳ",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=True,
         cnote="18,63% → 0,47 với chỉ tiêu 80% [D].", source="[T] [D]"),
    dict(code="SYNCED_WITH_DVCQG_PERSONAL_STORAGE", ref="4.4", group="MDSH", order=4, max="4", target="1",
         subject="dossier",
         name="Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
         numerator="Hồ sơ có ít nhất 1 tệp TaiLieuNop.DuocLayTuKhoDMQG=1, hoặc có đường dẫn kết quả điện tử đồng bộ "
                   "vào kho dữ liệu cá nhân",
         denominator="Hồ sơ tiếp nhận trong kỳ",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=True, cnote="", source="[T] [D]"),
    dict(code="CITIZEN_DATA_CONNECTED_DOSSIER", ref="4.5a", group="MDSH", order=5, max="2", target="1",
         subject="dossier",
         name="Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
         numerator="Hồ sơ có TaiKhoanDuocXacThucVoiVNeID=1, hoặc DuocLayTuKhoDMQG, hoặc MaCSDL là CSDL dân cư",
         denominator="Tổng hồ sơ",
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: 0/0 → 0 điểm.", certain=True, cnote="", source="[T] [D]"),
    dict(code="CITIZEN_DATA_CONNECTED_FORMALITY", ref="4.5b", group="MDSH", order=6, max="2", target="1",
         subject="procedure",
         name="Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ giải quyết TTHC",
         numerator="TTHC có ít nhất 1 hồ sơ dùng dữ liệu dân cư (như chỉ số 4.5a)",
         denominator="TTHC có đối tượng là công dân Việt Nam, người Việt Nam định cư ở nước ngoài hoặc người nước "
                     "ngoài",
         zd="zero", zd_note="Giả định 0 điểm [I].", certain=True, cnote="", source="[T] [D]"),
    dict(code="ELECTRONIC_CERTIFIED_COPY", ref="4.6", group="MDSH", order=7, max="2", target="1",
         subject="procedure",
         name="Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
         numerator="Chưa có trong tài liệu công thức (Cổng DVCQG bổ sung sau)",
         denominator="Chưa có trong tài liệu công thức (Cổng DVCQG bổ sung sau)",
         zd="full_points", zd_note="Dữ liệu Cổng DVCQG: 0/0 (hoặc không có số liệu) → điểm tối đa.",
         certain=True, cnote="Trọng số 2 có trên Cổng DVCQG; công thức chưa có văn bản.", source="[D]"),
    # --- MDHL ---
    dict(code="PETITION_CLASSIFICATION_TTHC", ref="5.1a", group="MDHL", order=1, max="0", target="1",
         subject="petition", kind="informational",
         name="Tỷ lệ PAKN về quy định, thủ tục hành chính",
         numerator="PAKN về quy định, TTHC", denominator="Tổng số PAKN",
         zd="full_points", zd_note="Chỉ theo dõi, 0 điểm.", certain=True, cnote="Chỉ theo dõi (0 điểm) [D].",
         source="[T] [D]"),
    dict(code="PETITION_CLASSIFICATION_STAFF", ref="5.1b", group="MDHL", order=2, max="0", target="1",
         subject="petition", kind="informational",
         name="Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
         numerator="PAKN về hành vi của cán bộ, công chức, viên chức", denominator="Tổng số PAKN",
         zd="full_points", zd_note="Chỉ theo dõi, 0 điểm.", certain=True, cnote="Chỉ theo dõi (0 điểm) [D].",
         source="[T] [D]"),
    dict(code="PETITION_PROCESSING_ON_TIME", ref="5.2", group="MDHL", order=3, max="6", target="1",
         subject="petition",
         name="Tỷ lệ PAKN xử lý đúng hạn",
         numerator="PAKN trả lời ≤ 15 ngày làm việc từ khi tiếp nhận (hoặc từ khi VPCP/bộ, địa phương chuyển); từ "
                   "chối ≤ 2 NLV; yêu cầu bổ sung thông tin lần đầu ≤ 5 NLV; công khai ≤ 2 NLV. PAKN đang xử lý "
                   "được tính đúng hạn nếu (cuối kỳ − bắt đầu) ≤ 15 NLV",
         denominator="Tổng số PAKN trong kỳ",
         zd="full_points", zd_note="Dữ liệu Cổng DVCQG: không có PAKN (0/0) → điểm tối đa.", certain=True,
         cnote="49,69% → 2,98 [D].", source="[T] [D]"),
    dict(code="PETITION_HANDLING_SATISFACTION", ref="5.3", group="MDHL", order=4, max="6", target="1",
         subject="petition",
         name="Tỷ lệ hài lòng trong xử lý PAKN",
         numerator="Tổng PAKN − PAKN có lượt không hài lòng nhiều hơn hài lòng − PAKN trễ hạn − PAKN bị phản ánh lại",
         denominator="Tổng PAKN tiếp nhận lần đầu trong kỳ",
         zd="full_points", zd_note="Dữ liệu Cổng DVCQG: không có PAKN (0/0) → điểm tối đa.", certain=True,
         cnote="", source="[T] [D]"),
    dict(code="DOSSIER_RECEIVING_SATISFACTION", ref="5.4", group="MDHL", order=5, max="6", target="0.9",
         subject="dossier",
         name="Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
         numerator="Hồ sơ không quá hạn và không có PAKN/đánh giá không hài lòng (100% − tỷ lệ hồ sơ quá hạn − tỷ "
                   "lệ hồ sơ có PAKN hoặc không hài lòng)",
         denominator=_DOSSIERS,
         zd="zero", zd_note="Dữ liệu Cổng DVCQG: đơn vị không có hồ sơ (0/0) → 0 điểm.", certain=True,
         cnote="88,57% → 5,90 với chỉ tiêu 90% [D].", source="[T] [D]"),
]

BANDS = [("90", "Xuất sắc"), ("80", "Tốt"), ("70", "Khá"), ("50", "Trung bình"), ("0", "Yếu")]
BAND_NOTE = ("Không có ngưỡng xếp loại chính thức; đây là lựa chọn của tác giả công cụ phân tích 766 [R] "
             "(tài liệu tham chiếu §1.5). Điều chỉnh được theo ngày hiệu lực.")


def load(apps, schema_editor):
    Group = apps.get_model("indicators", "IndicatorGroup")
    Definition = apps.get_model("indicators", "IndicatorDefinition")
    Band = apps.get_model("indicators", "ClassificationBand")
    groups = {}
    for code, name, maximum, order, scoring, note in GROUPS:
        groups[code] = Group.objects.create(code=code, name=name, max_points=Decimal(maximum), order=order,
                                            scoring=scoring, note=note, valid_from=VALID_FROM)
    for d in DEFINITIONS:
        Definition.objects.create(
            code=d["code"], ref=d["ref"], name=d["name"], numerator_text=d["numerator"],
            denominator_text=d["denominator"], group=groups[d["group"]], max_points=Decimal(d["max"]),
            target=Decimal(d["target"]), scoring_kind=d.get("kind", "linear_capped"),
            measure=d.get("measure", "ratio"), zero_denominator=d["zd"], zero_denominator_note=d["zd_note"],
            weight_certain=d["certain"], certainty_note=d["cnote"], source=d["source"], subject=d["subject"],
            order=d["order"], valid_from=VALID_FROM,
        )
    for minimum, label in BANDS:
        Band.objects.create(label=label, min_total=Decimal(minimum), note=BAND_NOTE, valid_from=VALID_FROM)


def unload(apps, schema_editor):
    apps.get_model("indicators", "IndicatorDefinition").objects.filter(valid_from=VALID_FROM).delete()
    apps.get_model("indicators", "IndicatorGroup").objects.filter(valid_from=VALID_FROM).delete()
    apps.get_model("indicators", "ClassificationBand").objects.filter(valid_from=VALID_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
