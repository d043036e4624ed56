"""Outbox delivery to the national portal: messages per second with 1, 2 and 4 worker processes, beside
the mock portal's own accept rate measured in the same run, and a run with 30% injected failures.

    python -m bench.sync [--messages M] [--workers 1,2,4] [--fail-rate 0.3]

PostgreSQL only (several workers share one outbox through SKIP LOCKED). The mock runs as its own
process (``chinhquyenso mock-national-portal``) on 127.0.0.1. M outbox messages, one per dossier key
(so the workers can spread them), are written straight into the outbox with an ``HoSoDongBoDVC``-shaped
payload; the workers are real ``chinhquyenso worker --only outbox-drain`` processes. The delivery rate
is M divided by (last ``delivered_at`` − first attempt's ``started_at``), so process start-up is not
counted. The baseline posts the same payloads straight to the mock with ``workers × CONCURRENCY``
concurrent httpx clients: the ceiling any delivery through the outbox can reach on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time

import httpx

from bench.common import cli, database, free_port, machine

CONCURRENCY = 4  # CHINHQUYENSO_OUTBOX_CONCURRENCY, the default

SETUP = """
from chinhquyenso.integration.models import OutboxMessage
payload = json.loads({payload!r})
rows = []
for i in range({messages}):
    code = f"H01.12-250917-{{i:06d}}"
    rows.append(OutboxMessage(key=code, seq=1, idempotency_key=f"{{code}}:1", payload={{**payload, "MaHoSo": code}}))
OutboxMessage.objects.bulk_create(rows, batch_size=1000)
print(OutboxMessage.objects.count())
"""

RESET = """
from django.utils import timezone
from chinhquyenso.integration.models import CircuitBreaker, DeliveryAttempt, OutboxMessage
DeliveryAttempt.objects.all().delete()
CircuitBreaker.objects.all().delete()
OutboxMessage.objects.update(status="pending", attempts=0, delivered_at=None, next_attempt_at=timezone.now(),
                             claimed_by="", claimed_until=None, last_error="", last_error_kind="")
"""

PROGRESS = """
from django.db.models import Max, Min
from chinhquyenso.integration.models import DeliveryAttempt, OutboxMessage
done = OutboxMessage.objects.filter(status="delivered").count()
span = OutboxMessage.objects.aggregate(last=Max("delivered_at"))["last"]
first = DeliveryAttempt.objects.aggregate(first=Min("started_at"))["first"]
attempts = DeliveryAttempt.objects.count()
print(done, attempts, (span - first).total_seconds() if span and first else 0.0)
"""


def sample_payload() -> dict[str, object]:
    """The shape and size of a real HoSoDongBoDVC snapshot (national_portal.build_sync_payload)."""
    return {
        "MaHoSo": "", "MaTTHC": "1.001193", "TenTTHC": "Thủ tục đăng ký khai sinh", "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch", "KenhThucHien": 2, "ChuHoSo": "Nguyễn Văn An", "LoaiDoiTuong": 0,
        "SoGiayToChuHoSo": "089201000123", "SoDienThoai": "0912345678", "Email": "an@example.vn",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con", "NgayNopHoSo": "20250917080000",
        "NgayTiepNhan": "20250917083000", "NgayHenTra": "20250918170000", "NgayKetThucXuLy": None, "NgayTra": None,
        "NgayTuChoi": None, "TrangThaiHoSo": 2, "DonViXuLy": "H01.12", "NoiNopHoSo": "H01.12",
        "HoSoCoThanhPhanSoHoa": 1, "TaiKhoanDuocXacThucVoiVNeID": 1, "DuocThanhToanTrucTuyen": 1,
        "DSKetNoiCSDL": [{"MaCSDL": "CSDLQGDC"}],
        "TaiLieuNop": [{"TepDinhKemId": "ab" * 32, "TenTepDinhKem": "Tờ khai đăng ký khai sinh", "IsDeleted": False,
                        "MaThanhPhanHoSo": "TP01", "DuongDanTaiTepTin": "https://dvc.example.vn/tep/" + "ab" * 32,
                        "DuocSoHoa": True, "DuocTaiSuDung": False, "DuocLayTuKhoDMQG": True}],
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí đăng ký khai sinh", "MaPhiLePhi": "LP01", "HinhThucThu": 1,
                           "Gia": 8000, "LoaiPhiLePhi": 1}],
        "DanhSachGiayToKetQua": [],
        "tienTrinh": {"MaHoSo": "", "NguoiXuLy": "Cán bộ A", "ChucDanh": "Công chức một cửa",
                      "ThoiDiemXuLy": "20250917083000", "PhongBanXuLy": "Tiếp nhận, kiểm tra hồ sơ",
                      "NoiDungXuLy": "Tiếp nhận hồ sơ", "TrangThai": 2, "NgayBatDau": "20250917083000",
                      "NgayKetThucTheoQuyDinh": "20250917170000"},
    }


def shell(env: dict[str, str], code: str) -> str:
    # The last line is ours: Django 5.2's shell may print what it imported automatically first.
    out = cli(env, "shell", "-c", "import json\n" + code).strip().splitlines()
    return out[-1] if out else ""


def start_mock(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "chinhquyenso", "mock-national-portal", "--host", "127.0.0.1",
                             "--port", str(port), "--seed", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/api/stats", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("mock portal did not start")
        time.sleep(0.1)


def mock_admin(base: str, path: str, body: dict[str, object]) -> None:
    httpx.post(base + path, json=body, timeout=10).raise_for_status()


def direct_rate(base: str, payloads: list[dict[str, object]], clients: int) -> float:
    """The mock's accept rate: the same payloads posted straight to it, ``clients`` at a time."""
    mock_admin(base, "/api/admin/reset", {})
    token = httpx.post(base + "/oauth/token", data={"grant_type": "client_credentials"},
                       auth=("chinhquyenso-dev", "chinhquyenso-dev-secret"), timeout=10)  # the mock's dev pair
    token.raise_for_status()
    bearer = token.json()["access_token"]
    lock = threading.Lock()
    counter = iter(range(len(payloads)))
    errors = 0

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {bearer}"}) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = payloads[i]
                r = client.post("/api/dossiers/sync", content=json.dumps(body, ensure_ascii=False).encode(),
                                headers={"Idempotency-Key": f"{body['MaHoSo']}:1", "X-Event-Seq": "1",
                                         "Content-Type": "application/json; charset=utf-8"})
                if r.status_code != 200:
                    with lock:
                        errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        print(f"  direct loop: {errors} errors")
    return len(payloads) / elapsed


def delivery_rate(env: dict[str, str], base: str, messages: int, workers: int, fail_rate: float,
                  limit_seconds: float) -> tuple[float, int]:
    """Worker processes drain the outbox to empty; returns (delivered per second, attempts)."""
    shell(env, RESET)
    mock_admin(base, "/api/admin/reset", {})
    mock_admin(base, "/api/admin/faults", {"fail_rate": fail_rate})
    worker_env = {**env, "CHINHQUYENSO_NATIONAL_PORTAL_URL": base, "CHINHQUYENSO_LOG_LEVEL": "ERROR",
                  "CHINHQUYENSO_OUTBOX_CONCURRENCY": str(CONCURRENCY),
                  # Under injected failures: short backoff and cool-down, no dead letters.
                  "CHINHQUYENSO_OUTBOX_BACKOFF_BASE_SECONDS": "0.2", "CHINHQUYENSO_OUTBOX_BACKOFF_MAX_SECONDS": "2",
                  "CHINHQUYENSO_OUTBOX_MAX_ATTEMPTS": "1000", "CHINHQUYENSO_OUTBOX_CIRCUIT_COOLDOWN_SECONDS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "chinhquyenso", "worker", "--only", "outbox-drain",
                               "--tick", "0.05"], env=worker_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        deadline = time.monotonic() + limit_seconds
        while True:
            done, attempts, span = (float(x) for x in shell(env, PROGRESS).split())
            if done >= messages:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workers} workers delivered {done:.0f}/{messages} in {limit_seconds:.0f} s")
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    stats = httpx.get(base + "/api/stats", timeout=10).json()["data"]
    if stats["applied"] != messages or stats["out_of_order"]:
        raise RuntimeError(f"mock disagrees: {stats}")
    return messages / span, int(attempts)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_SYNC_MESSAGES", "3000")))
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--limit", type=float, default=300.0, help="seconds allowed for each run")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    print(f"bench.sync on {machine()}")
    rows: list[tuple[str, float, str]] = []
    with database("postgresql", "sync") as env:
        cli(env, "migrate", "--noinput")
        base_payload = sample_payload()
        shell(env, SETUP.format(payload=json.dumps(base_payload, ensure_ascii=False), messages=args.messages))
        payloads = [{**base_payload, "MaHoSo": f"H01.12-250917-{i:06d}"} for i in range(args.messages)]
        mock, base = start_mock(env)
        try:
            for workers in counts:
                rate, attempts = delivery_rate(env, base, args.messages, workers, 0.0, args.limit)
                direct = direct_rate(base, payloads, workers * CONCURRENCY)
                rows.append((f"{workers} worker(s), no faults", rate,
                             f"mock direct ({workers * CONCURRENCY} clients) {direct:,.0f}/s; "
                             f"outbox/direct {rate / direct:.2f}; attempts {attempts}"))
            workers = counts[-1]
            rate, attempts = delivery_rate(env, base, args.messages, workers, args.fail_rate, args.limit)
            rows.append((f"{workers} worker(s), fail-rate {args.fail_rate:g}", rate,
                         f"attempts {attempts} ({attempts / args.messages:.2f} per message)"))
        finally:
            mock.terminate()
            mock.wait(timeout=10)
    print(f"\n{args.messages} messages, one per dossier; PostgreSQL; mock on 127.0.0.1\n")
    print(f"| {'run':<32} | {'delivered/s':>11} | notes")
    print(f"|{'-' * 34}|{'-' * 13}|------")
    for name, rate, note in rows:
        print(f"| {name:<32} | {rate:>11,.0f} | {note}")


if __name__ == "__main__":
    main()
