"""Figures returned by the national portal (Cổng DVCQG), year 2026, as captured in the public
snapshot hauphanquoc/766-Analyze ``data/snapshots/2026-10-10.json`` (Đắk Lắk, H15, and its units) and
``data/provinces-latest.json``; reference §1.3 quotes several of them. Each row:
(indicator code, numerator, denominator, points the portal gave, where it comes from).
"""

from __future__ import annotations

PAIRS: list[tuple[str, int, int, str, str]] = [
    # Province H15 (the pairs quoted in the reference)
    ("PUBLIC_UPDATE_ON_TIME", 79, 82, "3.85", "H15"),
    ("PUBLISH_ON_TIME", 0, 82, "0.00", "H15"),
    ("PUBLIC_CONTENT_FULL", 79, 79, "2.00", "H15"),
    ("DOSSIER_SYNC", 370610, 370610, "6.00", "H15"),
    ("DOSSIER_ON_TIME", 393087, 443565, "17.72", "H15"),
    ("ORIGINAL_RESULT_AVAILABLE", 284995, 443565, "3.86", "H15"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 93664, 443565, "0.84", "H15"),
    ("REUSED_DIGITIZED_DATA", 82645, 443565, "0.47", "H15"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 9499, 443565, "0.09", "H15"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 279339, 443565, "1.26", "H15"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 380, 1346, "0.56", "H15"),
    ("DOSSIER_RECEIVING_SATISFACTION", 392869, 443565, "5.90", "H15"),
    ("PETITION_PROCESSING_ON_TIME", 241, 485, "2.98", "H15"),
    ("PETITION_HANDLING_SATISFACTION", 186, 485, "2.30", "H15"),
    ("PETITION_CLASSIFICATION_TTHC", 378, 485, "0.00", "H15"),
    ("PETITION_CLASSIFICATION_STAFF", 77, 485, "0.00", "H15"),
    # Sở Văn hóa, Thể thao và Du lịch (H15.15)
    ("DOSSIER_ON_TIME", 579, 587, "19.73", "H15.15"),
    ("ORIGINAL_RESULT_AVAILABLE", 492, 587, "5.03", "H15.15"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 490, 587, "3.34", "H15.15"),
    ("REUSED_DIGITIZED_DATA", 585, 587, "2.00", "H15.15"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 0, 587, "0.00", "H15.15"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 144, 587, "0.49", "H15.15"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 14, 147, "0.19", "H15.15"),
    ("DOSSIER_RECEIVING_SATISFACTION", 579, 587, "6.00", "H15.15"),
    # Sở Xây dựng (H15.16)
    ("DOSSIER_ON_TIME", 3762, 3867, "19.46", "H15.16"),
    ("ORIGINAL_RESULT_AVAILABLE", 2584, 3867, "4.01", "H15.16"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 2337, 3867, "2.42", "H15.16"),
    ("REUSED_DIGITIZED_DATA", 383, 3867, "0.25", "H15.16"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 383, 3867, "0.40", "H15.16"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 3867, 3867, "2.00", "H15.16"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 29, 130, "0.45", "H15.16"),
    ("DOSSIER_RECEIVING_SATISFACTION", 3752, 3867, "6.00", "H15.16"),
    # UBND xã Xuân Lãnh (H15.198)
    ("DOSSIER_ON_TIME", 2634, 2735, "19.26", "H15.198"),
    ("ORIGINAL_RESULT_AVAILABLE", 2467, 2735, "5.41", "H15.198"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 1000, 2735, "1.46", "H15.198"),
    ("REUSED_DIGITIZED_DATA", 984, 2735, "0.90", "H15.198"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 40, 2735, "0.06", "H15.198"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 1040, 2735, "0.76", "H15.198"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 36, 389, "0.19", "H15.198"),
    # UBND xã Ea Súp (H15.131)
    ("DOSSIER_ON_TIME", 7456, 7672, "19.44", "H15.131"),
    ("ORIGINAL_RESULT_AVAILABLE", 6759, 7672, "5.29", "H15.131"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 2844, 7672, "1.48", "H15.131"),
    ("REUSED_DIGITIZED_DATA", 3030, 7672, "0.99", "H15.131"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 21, 7672, "0.01", "H15.131"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 1933, 7672, "0.50", "H15.131"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 41, 388, "0.21", "H15.131"),
    # UBND xã Liên Sơn Lắk (H15.157)
    ("DOSSIER_ON_TIME", 1828, 1938, "18.86", "H15.157"),
    ("ORIGINAL_RESULT_AVAILABLE", 1737, 1938, "5.38", "H15.157"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 731, 1938, "1.51", "H15.157"),
    ("REUSED_DIGITIZED_DATA", 681, 1938, "0.88", "H15.157"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 9, 1938, "0.02", "H15.157"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 646, 1938, "0.67", "H15.157"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 38, 388, "0.20", "H15.157"),
    # Sở Giáo dục và Đào tạo (H15.04)
    ("DOSSIER_ON_TIME", 635, 1076, "11.80", "H15.04"),
    ("ORIGINAL_RESULT_AVAILABLE", 835, 1076, "4.66", "H15.04"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 465, 1076, "1.73", "H15.04"),
    ("REUSED_DIGITIZED_DATA", 42, 1076, "0.10", "H15.04"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 42, 1076, "0.16", "H15.04"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 4, 25, "0.32", "H15.04"),
    ("DOSSIER_RECEIVING_SATISFACTION", 626, 1076, "3.88", "H15.04"),
    ("PETITION_PROCESSING_ON_TIME", 0, 2, "0.00", "H15.04"),
    # UBND xã Ea Ktur (H15.120)
    ("DOSSIER_ON_TIME", 2457, 2882, "17.05", "H15.120"),
    ("ORIGINAL_RESULT_AVAILABLE", 1663, 2882, "3.46", "H15.120"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 215, 2882, "0.30", "H15.120"),
    ("REUSED_DIGITIZED_DATA", 362, 2882, "0.31", "H15.120"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 12, 2882, "0.02", "H15.120"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 1133, 2882, "0.79", "H15.120"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 33, 388, "0.17", "H15.120"),
    ("DOSSIER_RECEIVING_SATISFACTION", 2455, 2882, "5.68", "H15.120"),
    # UBND xã Ea Tul (H15.117)
    ("DOSSIER_ON_TIME", 1978, 2114, "18.71", "H15.117"),
    ("ORIGINAL_RESULT_AVAILABLE", 1564, 2114, "4.44", "H15.117"),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", 510, 2114, "0.96", "H15.117"),
    ("REUSED_DIGITIZED_DATA", 477, 2114, "0.56", "H15.117"),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 28, 2114, "0.05", "H15.117"),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", 1038, 2114, "0.98", "H15.117"),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", 38, 389, "0.20", "H15.117"),
    # Zero denominators (units with no dossiers / no petitions)
    ("DOSSIER_ON_TIME", 0, 0, "0.00", "H15.39 Công an tỉnh"),
    ("DOSSIER_RECEIVING_SATISFACTION", 0, 0, "0.00", "H15.52"),
    ("ORIGINAL_RESULT_AVAILABLE", 0, 0, "0.00", "H15.52"),
    ("DOSSIER_SYNC", 0, 0, "0.00", "H15.52 (no prior-year data)"),
    ("PETITION_PROCESSING_ON_TIME", 0, 0, "6.00", "H15.52"),
    ("PETITION_HANDLING_SATISFACTION", 0, 0, "6.00", "H15.52"),
    ("ELECTRONIC_CERTIFIED_COPY", 0, 0, "2.00", "H15"),
]

# Payment group (TTTT): (r1, r2, r3) as (numerator, denominator) pairs and the group points.
PAYMENT: list[tuple[tuple[int, int], tuple[int, int], tuple[int, int], str, str]] = [
    ((179460, 204757), (160, 376), (56, 376), "6.69", "H15"),
    ((95, 126), (11, 17), (6, 17), "7.02", "H15.15"),
    ((568, 633), (6, 21), (2, 21), "6.33", "H15.16"),
    ((2124, 2263), (18, 41), (7, 41), "7.16", "H15.198"),
    ((6119, 7017), (20, 40), (10, 40), "7.11", "H15.131"),
    ((1464, 1529), (17, 38), (9, 38), "7.46", "H15.157"),
    ((1418, 1597), (20, 43), (7, 43), "6.90", "H15.120"),
    ((1847, 2053), (12, 37), (5, 37), "6.55", "xã, snapshot offset 600000"),
    ((1243, 1318), (16, 39), (7, 39), "7.14", "H15.117"),
    ((0, 0), (0, 1), (0, 1), "0.00", "H15.39"),
]

# CLGQ: composite ratio returned by the portal → group points (ratio × 12).
CLGQ: list[tuple[str, str, str]] = [
    ("0.7475", "8.97", "H15"), ("0.56", "6.72", "H15.15"), ("0.58", "6.96", "H15.16"), ("0.53", "6.36", "H15.198"),
    ("0.5392", "6.47", "H15.131"), ("0.5342", "6.41", "H15.157"), ("0.5275", "6.33", "H15.120"),
    ("0.5317", "6.38", "xã, snapshot offset 600000"),
]

# Group scores and totals of two units (total = sum of the six groups).
UNIT_TOTALS = [
    ("H15.15", {"CKMB": "11.85", "TDGQ": "19.73", "CLGQ": "6.72", "MDSH": "13.05", "TTTT": "7.02", "MDHL": "18"},
     "76.37", "Khá"),
    ("H15.120", {"CKMB": "11.85", "TDGQ": "17.05", "CLGQ": "6.33", "MDSH": "7.05", "TTTT": "6.9", "MDHL": "5.68"},
     "54.86", "Trung bình"),
]

# Province ranking of 05/10/2026 (first 13 totals, in the portal's order) and the portal's ranks.
PROVINCE_TOTALS = ["68.11", "66.97", "66.7", "65.57", "65.47", "65.47", "65.13", "64.82", "64.52", "63.98", "63.96",
                   "63.18", "63.18", "63"]
PROVINCE_RANKS = [1, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 12, 14]
