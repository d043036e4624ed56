"""``chinhquyenso`` command line: a thin wrapper over Django management commands.

``chinhquyenso create-token alice`` runs the management command ``create_token``.
"""

from __future__ import annotations

import os
import sys

HELP = """\
chinhquyenso — Nền tảng Chính quyền số cấp tỉnh / provincial digital-government platform

Cách dùng / usage: chinhquyenso <lệnh|command> [tùy chọn|options]

Lệnh thường dùng / common commands:
  serve [--host H] [--port P]   Chạy máy chủ web / run the web server (default 127.0.0.1:8000)
  worker                        Chạy tiến trình nền (hàng đợi, tác vụ định kỳ) / run the background worker
  migrate                       Tạo/cập nhật cơ sở dữ liệu / create or upgrade the database
  demo                          Nạp dữ liệu mẫu tỉnh An Giang / load the An Giang demo
  load-units                    Nạp đơn vị hành chính (trước/sau 01/7/2025), cơ quan / load units, agencies
  createadmin                   Tạo tài khoản quản trị cấp tỉnh / create a province administrator
  create-token USERNAME         Tạo mã truy cập API (in ra một lần) / create an API token (printed once)
  audit-verify                  Kiểm tra chuỗi băm nhật ký kiểm toán / verify the audit-log hash chain
  workdays add|between|deadline|list
                                Lịch làm việc: cộng ngày làm việc, đếm, liệt kê ngày nghỉ /
                                working calendar: add working days, count, list days off

Cổng DVC quốc gia / national portal sync:
  reconcile [--days N]          Đối soát trạng thái hồ sơ với Cổng DVCQG, gửi lại phần lệch / reconcile and re-send
  mock-national-portal --port P Cổng DVCQG giả lập (chỉ loopback, có tiêm lỗi) / mock national portal with faults

Thanh toán / payments:
  reconcile-payments [--date D] Đối soát giao dịch cổng thanh toán với biên lai / reconcile one day of payments
  mock-payment-gateway [--port P] [--mode M]  Cổng thanh toán giả lập (loopback) / mock payment gateway

Công dân / citizens:
  mock-oidc [--port P]          Nhà cung cấp định danh OIDC giả lập (như VNeID), loopback / mock OIDC provider

Danh mục thủ tục / procedure catalog:
  import-procedures FILE [--dry-run]  Nhập danh mục TTHC (JSON/CSV/XLSX), tất cả hoặc không / import procedures
  procedures-check [--fail]     TTHC thiếu thành phần công khai / procedures missing public components
  load-procedures-demo          Danh mục TTHC mẫu / demo procedures

Chỉ số 766 / Decision 766 indicators:
  indicators score CODE NUM DEN Tính điểm một chỉ số (ví dụ DOSSIER_ON_TIME 393087 443565 → 17.72) / score one
  indicators definitions        Bảng định nghĩa chỉ số đang hiệu lực / definitions in force
  indicators classify TOTAL     Xếp loại theo tổng điểm / classification band
  indicators scorecard [--unit CODE|--agency CODE] [--from D --to D] [--json]
                                Bảng điểm 766 (nhóm, chỉ số, tổng) / the 766 scorecard
  indicators rebuild|verify     Tính lại / đối chiếu số liệu tổng hợp từ hồ sơ / rebuild or check the roll-ups

Dữ liệu lịch sử, quy mô / history and scale:
  import-dossiers FILE          Nhập hồ sơ cũ (JSONL/CSV, trường đồng bộ DVCQG), chạy lại được / import history
  generate --dossiers N --year Y --seed S --out FILE
                                Sinh dữ liệu tổng hợp một năm của tỉnh / synthetic province-year
  import-feedback FILE          Nhập đánh giá hồ sơ, PAKN (TỆP.feedback.jsonl), chạy lại được / ratings, petitions

Phản ánh, kiến nghị / feedback (PAKN):
  feedback-rules list|add|due   Thời hạn xử lý PAKN theo QĐ 766 (dữ liệu có hiệu lực) / dated PAKN deadlines

Mọi lệnh quản trị Django khác cũng dùng được / every other Django management command works too.
Trợ giúp từng lệnh / help for one command: chinhquyenso <lệnh> --help
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(HELP)
        return
    if args[0] in {"--version", "version"}:
        import chinhquyenso

        sys.stdout.write(f"chinhquyenso {chinhquyenso.__version__}\n")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyenso.settings")
    from django.core.management import execute_from_command_line

    command = args[0].replace("-", "_")
    execute_from_command_line(["chinhquyenso", command, *args[1:]])


if __name__ == "__main__":
    main()
