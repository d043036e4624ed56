"""One-off generator of the An Giang unit tables shipped in ``src/chinhquyenso/units/data/``.

Run it in a throwaway virtualenv, never in the project's (the platform must not depend on the
package at run time)::

    python3 -m venv /tmp/units-venv
    /tmp/units-venv/bin/pip install vietnamadminunits==1.0.4
    /tmp/units-venv/bin/python tools/units/generate_an_giang.py

Source: the PyPI package ``vietnamadminunits`` 1.0.4 by Tran Ngoc Minh Hieu, MIT licence
(https://github.com/tranngocminhhieu/vietnamadminunits), whose data the author compiled from the
GSO list (danhmuchanhchinh.gso.gov.vn) and sapnhap.bando.com.vn. What we take from it:

* the 63-province ("legacy") table ``admin_units_legacy``: old An Giang (89) and old Kiên Giang
  (91), their districts and communes, with GSO codes, names and kinds;
* the 34-province table ``admin_units``: the new An Giang (91) and its 102 communes;
* the old→new converter tables (``DICT_PROVINCE_WARD_NO_DIVIDED`` /
  ``DICT_PROVINCE_WARD_DIVIDED``): which new commune each old commune went into. For an old commune
  split between several new ones the package marks one as the default (``isDefaultNewWard``); we
  record that one as the primary successor and the others as partial successors.

Every mapping is cross-checked against the package's public ``convert_address``. What the package
does not give and we add ourselves: the effective date (01/7/2025) and the legal basis
(Nghị quyết 202/2025/QH15 for the provinces, Nghị quyết 1654/NQ-UBTVQH15 for the communes,
Luật Tổ chức chính quyền địa phương số 72/2025/QH15 for the end of the district level). The
package has no establishment dates, so old units carry the sentinel ``valid_from`` 1900-01-01
("in force before our records start").

The agency table (UBND tỉnh, the provincial departments after the 2025 reorganization, the
provincial public-administration service centre and the UBND of each new commune) is written
from the list below; its portal sub-codes are our own scheme (see docs/units.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from vietnamadminunits import convert_address  # type: ignore[import-not-found]
from vietnamadminunits.converter import converter_2025  # type: ignore[import-not-found]
from vietnamadminunits.database import query  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "chinhquyenso" / "units" / "data"

EFFECTIVE = "2025-07-01"
OLD_FROM = "1900-01-01"
PACKAGE = "vietnamadminunits 1.0.4 (MIT, Tran Ngoc Minh Hieu)"
BASIS_PROVINCE = "Nghị quyết 202/2025/QH15 ngày 12/6/2025 của Quốc hội"
BASIS_COMMUNE = "Nghị quyết 1654/NQ-UBTVQH15 ngày 16/6/2025 của Ủy ban Thường vụ Quốc hội"
BASIS_DISTRICT = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15"

# Provincial bodies after the 2025 reorganization, in the order their portal sub-codes were assigned.
# Append only: a code, once given, is never reused or renumbered.
PROVINCIAL_AGENCIES: list[tuple[str, str, str, str]] = [
    # (sub-code, kind, name, short name)
    ("01", "other", "Văn phòng Ủy ban nhân dân tỉnh An Giang", "Văn phòng UBND tỉnh"),
    ("02", "so", "Sở Nội vụ tỉnh An Giang", "Sở Nội vụ"),
    ("03", "so", "Sở Tài chính tỉnh An Giang", "Sở Tài chính"),
    ("04", "so", "Sở Tư pháp tỉnh An Giang", "Sở Tư pháp"),
    ("05", "so", "Sở Xây dựng tỉnh An Giang", "Sở Xây dựng"),
    ("06", "so", "Sở Công Thương tỉnh An Giang", "Sở Công Thương"),
    ("07", "so", "Sở Nông nghiệp và Môi trường tỉnh An Giang", "Sở NN&MT"),
    ("08", "so", "Sở Giáo dục và Đào tạo tỉnh An Giang", "Sở GD&ĐT"),
    ("09", "so", "Sở Y tế tỉnh An Giang", "Sở Y tế"),
    ("10", "so", "Sở Văn hóa, Thể thao và Du lịch tỉnh An Giang", "Sở VHTTDL"),
    ("11", "so", "Sở Khoa học và Công nghệ tỉnh An Giang", "Sở KH&CN"),
    ("12", "so", "Sở Dân tộc và Tôn giáo tỉnh An Giang", "Sở DT&TG"),
    ("13", "so", "Thanh tra tỉnh An Giang", "Thanh tra tỉnh"),
    ("14", "so", "Sở Ngoại vụ tỉnh An Giang", "Sở Ngoại vụ"),
    ("20", "ttpvhcc", "Trung tâm Phục vụ hành chính công tỉnh An Giang", "Trung tâm PVHCC tỉnh"),
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def key(row: dict[str, Any]) -> str:
    return f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"


def main() -> int:
    legacy = query(
        "SELECT * FROM admin_units_legacy WHERE provinceCode IN ('89', '91') "
        "ORDER BY provinceCode, districtCode, wardCode"
    )
    new = query("SELECT * FROM admin_units WHERE provinceCode = '91' ORDER BY wardCode")
    if not legacy or not new:
        print("package data for An Giang / Kiên Giang not found", file=sys.stderr)
        return 1

    units: list[dict[str, str]] = []
    provinces_seen: set[str] = set()
    districts_seen: set[str] = set()
    old_by_key: dict[str, dict[str, Any]] = {}
    for row in legacy:
        pcode, dcode = row["provinceCode"], row["districtCode"]
        if pcode not in provinces_seen:
            provinces_seen.add(pcode)
            units.append({
                "code": pcode, "name": nfc(row["provinceShort"]), "kind": "Tỉnh", "level": "province",
                "parent_code": "", "valid_from": OLD_FROM, "valid_to": EFFECTIVE,
            })
        if dcode not in districts_seen:
            districts_seen.add(dcode)
            units.append({
                "code": dcode, "name": nfc(row["districtShort"]), "kind": nfc(row["districtType"]),
                "level": "district", "parent_code": pcode, "valid_from": OLD_FROM, "valid_to": EFFECTIVE,
            })
        units.append({
            "code": row["wardCode"], "name": nfc(row["wardShort"]), "kind": nfc(row["wardType"]), "level": "commune",
            "parent_code": dcode, "valid_from": OLD_FROM, "valid_to": EFFECTIVE,
        })
        old_by_key[key(row)] = row

    units.append({
        "code": "91", "name": nfc(new[0]["provinceShort"]), "kind": "Tỉnh", "level": "province",
        "parent_code": "", "valid_from": EFFECTIVE, "valid_to": "",
    })
    new_by_key: dict[str, dict[str, Any]] = {}
    for row in new:
        units.append({
            "code": row["wardCode"], "name": nfc(row["wardShort"]), "kind": nfc(row["wardType"]), "level": "commune",
            "parent_code": "91", "valid_from": EFFECTIVE, "valid_to": "",
        })
        new_by_key[row["wardKey"]] = row

    # --- old commune -> new commune ------------------------------------------------------------
    new_province_key = next(k for k, v in converter_2025.DICT_PROVINCE.items() if "tinhkiengiang" in v)
    undivided = converter_2025.DICT_PROVINCE_WARD_NO_DIVIDED[new_province_key]
    divided = converter_2025.DICT_PROVINCE_WARD_DIVIDED.get(new_province_key, {})
    primary: dict[str, str] = {}
    partial: dict[str, list[str]] = defaultdict(list)
    for new_key, old_keys in undivided.items():
        for old_key in old_keys:
            if old_key in primary:
                raise SystemExit(f"{old_key} mapped twice")
            primary[old_key] = new_key
    for old_key, parts in divided.items():
        defaults = [p["newWardKey"] for p in parts if p["isDefaultNewWard"]]
        if len(defaults) != 1 or old_key in primary:
            raise SystemExit(f"{old_key}: expected exactly one default new ward, got {defaults}")
        primary[old_key] = defaults[0]
        partial[old_key] = [p["newWardKey"] for p in parts if not p["isDefaultNewWard"]]
    missing = sorted(set(old_by_key) - set(primary))
    if missing:
        raise SystemExit(f"old communes without a successor: {missing}")

    merges: list[dict[str, str]] = []
    for pcode in sorted(provinces_seen):
        merges.append({
            "change": "merge", "effective_on": EFFECTIVE, "old_level": "province", "old_code": pcode,
            "new_level": "province", "new_code": "91", "share": "primary", "legal_basis": BASIS_PROVINCE,
        })
    for dcode in sorted(districts_seen):
        merges.append({
            "change": "abolish", "effective_on": EFFECTIVE, "old_level": "district", "old_code": dcode,
            "new_level": "province", "new_code": "91", "share": "primary", "legal_basis": BASIS_DISTRICT,
        })
    preds_of_new: dict[str, list[str]] = defaultdict(list)
    for old_key, new_key in primary.items():
        preds_of_new[new_key].append(old_key)
    for old_key in old_by_key:
        for new_key in partial.get(old_key, []):
            preds_of_new[new_key].append(old_key)
    mismatches = 0
    for old_key, old in old_by_key.items():
        new_key = primary[old_key]
        new_row = new_by_key[new_key]
        # Cross-check with the package's public converter (no street => no geocoding, no network).
        converted = convert_address(f"{old['ward']}, {old['district']}, {old['province']}")
        if converted.ward_code != new_row["wardCode"]:
            mismatches += 1
            print(f"converter disagrees for {old_key}: {converted.ward_code} vs {new_row['wardCode']}", file=sys.stderr)
        only_one = len(preds_of_new[new_key]) == 1
        unchanged = only_one and old["wardCode"] == new_row["wardCode"] and nfc(old["ward"]) == nfc(new_row["ward"])
        change = "reparent" if unchanged else "merge"
        merges.append({
            "change": change, "effective_on": EFFECTIVE, "old_level": "commune", "old_code": old["wardCode"],
            "new_level": "commune", "new_code": new_row["wardCode"], "share": "primary", "legal_basis": BASIS_COMMUNE,
        })
        for part_key in partial.get(old_key, []):
            merges.append({
                "change": "merge", "effective_on": EFFECTIVE, "old_level": "commune", "old_code": old["wardCode"],
                "new_level": "commune", "new_code": new_by_key[part_key]["wardCode"], "share": "part",
                "legal_basis": BASIS_COMMUNE,
            })
    if mismatches:
        raise SystemExit(f"{mismatches} mappings disagree with convert_address")

    agencies: list[dict[str, str]] = [{
        "code": "H01", "portal_code": "H01", "name": "Ủy ban nhân dân tỉnh An Giang", "short_name": "UBND tỉnh",
        "kind": "ubnd", "unit_level": "province", "unit_code": "91", "parent_code": "", "valid_from": EFFECTIVE,
    }]
    for sub, kind, name, short in PROVINCIAL_AGENCIES:
        agencies.append({
            "code": f"H01.{sub}", "portal_code": f"H01.{sub}", "name": name, "short_name": short, "kind": kind,
            "unit_level": "province", "unit_code": "91", "parent_code": "H01", "valid_from": EFFECTIVE,
        })
    for row in new:
        agencies.append({
            "code": f"H01.{row['wardCode']}", "portal_code": f"H01.{row['wardCode']}",
            "name": f"Ủy ban nhân dân {nfc(row['ward'])}", "short_name": f"UBND {nfc(row['ward'])}",
            "kind": "ubnd", "unit_level": "commune", "unit_code": row["wardCode"], "parent_code": "H01",
            "valid_from": EFFECTIVE,
        })

    today = dt.date.today().isoformat()
    header = (
        f"# Generated {today} by tools/units/generate_an_giang.py from {PACKAGE}; data: GSO codes as compiled by "
        f"the package. Legal basis and dates added by hand. See src/chinhquyenso/units/data/README.md."
    )
    write(OUT / "an_giang_units.csv", header, units)
    write(OUT / "an_giang_merges.csv", header, merges)
    agency_header = (
        f"# Generated {today} by tools/units/generate_an_giang.py. Names: provincial structure after the 2025 "
        "reorganization; codes: our own stable scheme (docs/units.md), not the portal's real sub-codes."
    )
    write(OUT / "an_giang_agencies.csv", agency_header, agencies)
    print(f"units {len(units)}, merges {len(merges)}, agencies {len(agencies)}")
    return 0


def write(path: Path, header: str, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
