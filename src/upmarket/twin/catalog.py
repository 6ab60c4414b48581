"""The twin's product line-up: China 2023–2025 smartphones with launch prices and characteristics.

One declarative table (``MODELS``): a row per model with its memory configurations and CNY list
prices. Scores (camera, performance; 0–100) are the twin's own judgement, used by demand. Models
launched before 2023 (``legacy``) carry 2023 sales and are left out of launch truth.
``products()`` expands it to the contract's ``products`` table, one row per SKU.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from upmarket.contract import PRICE_BAND_EDGES

BRANDS: tuple[str, ...] = ("Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor")
MAKER = {"Redmi": "Xiaomi"}
REFERENCE_BRAND = "Redmi"
"""Brand premia are measured against Redmi (the focal group's value brand)."""


@dataclass(frozen=True)
class Model:
    brand: str
    series: str
    model: str
    launch: str
    chipset: str
    camera: float
    perf: float
    battery: int
    screen: float
    weight: float
    configs: tuple[tuple[int, int, float], ...]  # (storage_gb, ram_gb, list_price CNY)
    foldable: bool = False


def M(brand, series, model, launch, chipset, camera, perf, battery, screen, weight, configs, foldable=False):  # noqa: N802
    return Model(brand, series, model, launch, chipset, camera, perf, battery, screen, weight, tuple(configs), foldable)


MODELS: tuple[Model, ...] = (
    # --- Xiaomi ---------------------------------------------------------------------------------------
    M("Xiaomi", "Xiaomi 13", "Xiaomi 13", "2022-12-14", "Snapdragon 8 Gen 2", 80, 84, 4500, 6.36, 185,
      [(128, 8, 3999), (256, 12, 4599)]),
    M("Xiaomi", "Xiaomi 14", "Xiaomi 14", "2023-10-31", "Snapdragon 8 Gen 3", 82, 88, 4610, 6.36, 193,
      [(256, 8, 3999), (256, 12, 4299), (512, 16, 4599)]),
    M("Xiaomi", "Xiaomi 14", "Xiaomi 14 Pro", "2023-10-31", "Snapdragon 8 Gen 3", 87, 89, 4880, 6.73, 223,
      [(256, 12, 4999), (512, 16, 5499), (1024, 16, 5999)]),
    M("Xiaomi", "Xiaomi 14", "Xiaomi 14 Ultra", "2024-02-22", "Snapdragon 8 Gen 3", 95, 90, 5000, 6.73, 219,
      [(256, 12, 6499), (512, 16, 6999), (1024, 16, 7799)]),
    M("Xiaomi", "Xiaomi 15", "Xiaomi 15", "2024-10-29", "Snapdragon 8 Elite", 85, 95, 5400, 6.36, 191,
      [(256, 12, 4499), (512, 16, 4999), (1024, 16, 5499)]),
    M("Xiaomi", "Xiaomi 15", "Xiaomi 15 Pro", "2024-10-29", "Snapdragon 8 Elite", 90, 95, 6100, 6.73, 213,
      [(256, 12, 5299), (512, 16, 5999), (1024, 16, 6499)]),
    M("Xiaomi", "Xiaomi 15", "Xiaomi 15 Ultra", "2025-02-27", "Snapdragon 8 Elite", 97, 95, 5410, 6.73, 229,
      [(256, 12, 6499), (512, 16, 6999), (1024, 16, 7799)]),
    M("Xiaomi", "Xiaomi Civi", "Xiaomi Civi 4 Pro", "2024-03-21", "Snapdragon 8s Gen 3", 78, 80, 4700, 6.55, 179,
      [(256, 12, 2999), (512, 12, 3299), (512, 16, 3599)]),
    M("Xiaomi", "Xiaomi MIX Fold", "Xiaomi MIX Fold 4", "2024-07-19", "Snapdragon 8 Gen 3", 88, 88, 5100, 8.02, 226,
      [(256, 12, 8999), (512, 16, 9999), (1024, 16, 10999)], foldable=True),
    M("Xiaomi", "Xiaomi 13", "Xiaomi 13 Pro", "2022-12-11", "Snapdragon 8 Gen 2", 88, 84, 4820, 6.73, 229,
      [(128, 8, 4999), (256, 12, 5399), (512, 12, 6299)]),
    M("Xiaomi", "Xiaomi 13", "Xiaomi 13 Ultra", "2023-04-18", "Snapdragon 8 Gen 2", 94, 85, 5000, 6.73, 227,
      [(256, 12, 5999), (512, 16, 6499), (1024, 16, 7299)]),
    M("Xiaomi", "Xiaomi Civi", "Xiaomi Civi 3", "2023-05-25", "Dimensity 8200-Ultra", 74, 72, 4500, 6.55, 173,
      [(256, 12, 2499), (512, 12, 2799)]),
    M("Xiaomi", "Xiaomi Civi", "Xiaomi Civi 5 Pro", "2025-05-29", "Snapdragon 8s Gen 4", 80, 84, 6000, 6.55, 180,
      [(256, 12, 2999), (512, 12, 3299), (512, 16, 3599)]),
    # --- Redmi ----------------------------------------------------------------------------------------
    M("Redmi", "Redmi Note 12", "Redmi Note 12", "2022-10-27", "Snapdragon 4 Gen 1", 52, 42, 5000, 6.67, 188,
      [(128, 6, 1199), (256, 8, 1399)]),
    M("Redmi", "Redmi K60", "Redmi K60", "2022-12-27", "Snapdragon 8+ Gen 1", 65, 80, 5500, 6.67, 202,
      [(256, 8, 2499), (512, 12, 2799)]),
    M("Redmi", "Redmi Note 13", "Redmi Note 13", "2023-09-21", "Dimensity 6080", 55, 45, 5000, 6.67, 174,
      [(128, 6, 1199), (256, 8, 1399)]),
    M("Redmi", "Redmi Note 13", "Redmi Note 13 Pro", "2023-09-21", "Snapdragon 7s Gen 2", 65, 58, 5100, 6.67, 187,
      [(128, 8, 1399), (256, 12, 1699)]),
    M("Redmi", "Redmi Note 14", "Redmi Note 14", "2024-09-26", "Dimensity 7025-Ultra", 56, 48, 5110, 6.67, 190,
      [(128, 6, 1099), (256, 8, 1299)]),
    M("Redmi", "Redmi Note 14", "Redmi Note 14 Pro+", "2024-09-26", "Snapdragon 7s Gen 3", 70, 62, 6200, 6.67, 205,
      [(256, 12, 1899), (512, 12, 2099), (512, 16, 2299)]),
    M("Redmi", "Redmi Turbo", "Redmi Turbo 3", "2024-04-10", "Snapdragon 8s Gen 3", 62, 80, 5000, 6.67, 179,
      [(256, 12, 1999), (512, 16, 2399)]),
    M("Redmi", "Redmi Turbo", "Redmi Turbo 4", "2025-01-02", "Dimensity 8400-Ultra", 63, 82, 6550, 6.67, 203,
      [(256, 12, 1999), (512, 16, 2299)]),
    M("Redmi", "Redmi K70", "Redmi K70", "2023-11-29", "Snapdragon 8 Gen 2", 68, 84, 5000, 6.67, 209,
      [(256, 12, 2499), (512, 16, 2799)]),
    M("Redmi", "Redmi K70", "Redmi K70 Pro", "2023-11-29", "Snapdragon 8 Gen 3", 70, 90, 5000, 6.67, 209,
      [(256, 12, 3299), (512, 16, 3799)]),
    M("Redmi", "Redmi K80", "Redmi K80", "2024-11-27", "Snapdragon 8 Gen 3", 68, 89, 6550, 6.67, 206,
      [(256, 12, 2499), (512, 16, 2799)]),
    M("Redmi", "Redmi K80", "Redmi K80 Pro", "2024-11-27", "Snapdragon 8 Elite", 75, 95, 6000, 6.67, 218,
      [(256, 12, 3699), (512, 16, 4299)]),
    M("Redmi", "Redmi Note 12", "Redmi Note 12 Pro", "2022-10-27", "Dimensity 1080", 60, 52, 5000, 6.67, 187,
      [(128, 8, 1699), (256, 8, 1899)]),
    M("Redmi", "Redmi Note 12", "Redmi Note 12 Turbo", "2023-03-28", "Snapdragon 7+ Gen 2", 60, 72, 5000, 6.67, 181,
      [(256, 8, 1999), (256, 12, 2199)]),
    # --- Huawei ---------------------------------------------------------------------------------------
    M("Huawei", "P60", "P60 Pro", "2023-03-23", "Snapdragon 8+ Gen 1 4G", 90, 74, 4815, 6.67, 200,
      [(256, 8, 6988), (512, 12, 7988)]),
    M("Huawei", "nova 11", "nova 11", "2023-04-17", "Snapdragon 778G 4G", 70, 55, 4500, 6.7, 168,
      [(256, 8, 2499), (512, 8, 2899)]),
    M("Huawei", "Enjoy", "Enjoy 70", "2023-11-01", "Kirin 710A", 48, 35, 6000, 6.75, 199,
      [(128, 8, 1199), (256, 8, 1499)]),
    M("Huawei", "Mate 60", "Mate 60 Pro", "2023-08-29", "Kirin 9000S", 90, 75, 5000, 6.82, 225,
      [(256, 12, 6999), (512, 12, 7999)]),
    M("Huawei", "Mate 70", "Mate 70", "2024-11-26", "Kirin 9010", 86, 78, 5300, 6.7, 203,
      [(256, 12, 5499), (512, 12, 5999)]),
    M("Huawei", "Mate 70", "Mate 70 Pro", "2024-11-26", "Kirin 9020", 92, 80, 5500, 6.9, 221,
      [(256, 12, 6499), (512, 12, 6999)]),
    M("Huawei", "Pura 70", "Pura 70", "2024-04-18", "Kirin 9010", 86, 74, 4900, 6.6, 207,
      [(256, 12, 5499), (512, 12, 5999)]),
    M("Huawei", "Pura 70", "Pura 70 Pro", "2024-04-18", "Kirin 9010", 92, 76, 5050, 6.8, 220,
      [(256, 12, 6499), (512, 12, 6999)]),
    M("Huawei", "nova 12", "nova 12", "2023-12-26", "Kirin 8000", 72, 58, 4600, 6.7, 180,
      [(256, 8, 2999), (512, 8, 3299)]),
    M("Huawei", "nova 13", "nova 13", "2024-11-25", "Kirin 8000", 74, 60, 5000, 6.7, 190,
      [(256, 12, 2699), (512, 12, 2999)]),
    M("Huawei", "Mate X", "Mate X6", "2024-11-26", "Kirin 9020", 90, 80, 5110, 7.93, 239,
      [(256, 12, 12999), (512, 12, 13999)], foldable=True),
    M("Huawei", "Mate 50", "Mate 50", "2022-09-06", "Snapdragon 8+ Gen 1 4G", 86, 72, 4460, 6.7, 202,
      [(128, 8, 4999), (256, 8, 5499)]),
    M("Huawei", "nova 10", "nova 10", "2022-07-04", "Snapdragon 778G 4G", 66, 52, 4000, 6.67, 168,
      [(128, 8, 2699), (256, 8, 2999)]),
    M("Huawei", "Enjoy", "Enjoy 60", "2023-03-23", "Kirin 710A", 46, 33, 6000, 6.75, 199,
      [(128, 6, 1199), (256, 8, 1499)]),
    M("Huawei", "P60", "P60", "2023-03-23", "Snapdragon 8+ Gen 1 4G", 86, 72, 4815, 6.67, 197,
      [(128, 8, 4488), (256, 8, 4988)]),
    M("Huawei", "Mate 60", "Mate 60", "2023-09-25", "Kirin 9000S", 86, 73, 4750, 6.69, 209,
      [(256, 12, 5499), (512, 12, 5999)]),
    M("Huawei", "Enjoy", "Enjoy 70X", "2024-10-15", "Kirin 8000", 60, 50, 6100, 6.78, 193,
      [(128, 8, 1799), (256, 8, 1999)]),
    M("Huawei", "nova 14", "nova 14", "2025-05-20", "Kirin 8020", 76, 62, 5500, 6.7, 191,
      [(256, 12, 2799), (512, 12, 3099)]),
    M("Huawei", "Pura 80", "Pura 80 Pro", "2025-06-11", "Kirin 9020", 94, 80, 5170, 6.8, 214,
      [(512, 12, 6499), (1024, 16, 7499)]),
    # --- Apple ----------------------------------------------------------------------------------------
    M("Apple", "iPhone 14", "iPhone 14", "2022-09-16", "A15 Bionic", 76, 78, 3279, 6.1, 172,
      [(128, 6, 5999), (256, 6, 6899)]),
    M("Apple", "iPhone 14", "iPhone 14 Pro", "2022-09-16", "A16 Bionic", 86, 84, 3200, 6.1, 206,
      [(128, 6, 7999), (256, 6, 8899)]),
    M("Apple", "iPhone 14", "iPhone 14 Pro Max", "2022-09-16", "A16 Bionic", 88, 84, 4323, 6.7, 240,
      [(128, 6, 8999), (256, 6, 9899)]),
    M("Apple", "iPhone 15", "iPhone 15", "2023-09-22", "A16 Bionic", 80, 82, 3349, 6.1, 171,
      [(128, 6, 5999), (256, 6, 6999), (512, 6, 8999)]),
    M("Apple", "iPhone 15", "iPhone 15 Plus", "2023-09-22", "A16 Bionic", 80, 82, 4383, 6.7, 201,
      [(128, 6, 6999), (256, 6, 7999)]),
    M("Apple", "iPhone 15", "iPhone 15 Pro", "2023-09-22", "A17 Pro", 88, 90, 3274, 6.1, 187,
      [(128, 8, 7999), (256, 8, 8999), (512, 8, 10999)]),
    M("Apple", "iPhone 15", "iPhone 15 Pro Max", "2023-09-22", "A17 Pro", 91, 90, 4441, 6.7, 221,
      [(256, 8, 9999), (512, 8, 11999), (1024, 8, 13999)]),
    M("Apple", "iPhone 16", "iPhone 16", "2024-09-20", "A18", 83, 88, 3561, 6.1, 170,
      [(128, 8, 5999), (256, 8, 6999), (512, 8, 8999)]),
    M("Apple", "iPhone 16", "iPhone 16 Pro", "2024-09-20", "A18 Pro", 91, 93, 3582, 6.3, 199,
      [(128, 8, 7999), (256, 8, 8999), (512, 8, 10999)]),
    M("Apple", "iPhone 16", "iPhone 16 Pro Max", "2024-09-20", "A18 Pro", 93, 93, 4685, 6.9, 227,
      [(256, 8, 9999), (512, 8, 11999), (1024, 8, 13999)]),
    M("Apple", "iPhone 14", "iPhone 14 Plus", "2022-10-07", "A15 Bionic", 76, 78, 4325, 6.7, 203,
      [(128, 6, 6999), (256, 6, 7899)]),
    M("Apple", "iPhone 16", "iPhone 16 Plus", "2024-09-20", "A18", 83, 88, 4674, 6.7, 199,
      [(128, 8, 6999), (256, 8, 7999)]),
    M("Apple", "iPhone 16e", "iPhone 16e", "2025-02-28", "A18", 78, 85, 4005, 6.1, 167,
      [(128, 8, 4499), (256, 8, 5299)]),
    # --- OPPO -----------------------------------------------------------------------------------------
    M("OPPO", "Reno 10", "Reno 10", "2023-05-25", "Snapdragon 778G", 68, 56, 5000, 6.7, 185,
      [(256, 8, 2499), (256, 12, 2699)]),
    M("OPPO", "A", "A2", "2023-03-01", "Dimensity 6020", 46, 38, 5000, 6.56, 193,
      [(128, 8, 1299), (256, 12, 1599)]),
    M("OPPO", "Find X6", "Find X6 Pro", "2023-03-21", "Snapdragon 8 Gen 2", 90, 84, 5000, 6.82, 216,
      [(256, 12, 5999), (256, 16, 6499)]),
    M("OPPO", "Find X7", "Find X7", "2024-01-08", "Dimensity 9300", 84, 88, 5000, 6.78, 197,
      [(256, 12, 3999), (256, 16, 4299), (512, 16, 4599)]),
    M("OPPO", "Find X8", "Find X8", "2024-10-24", "Dimensity 9400", 86, 94, 5630, 6.59, 193,
      [(256, 12, 4199), (512, 16, 4799)]),
    M("OPPO", "Find X8", "Find X8 Pro", "2024-10-24", "Dimensity 9400", 92, 94, 5910, 6.78, 215,
      [(256, 12, 5299), (512, 16, 5999), (1024, 16, 6799)]),
    M("OPPO", "Reno 12", "Reno 12", "2024-05-23", "Dimensity 8250", 70, 65, 5000, 6.7, 177,
      [(256, 12, 2699), (512, 12, 2999)]),
    M("OPPO", "Reno 13", "Reno 13", "2024-11-25", "Dimensity 8350", 72, 68, 5600, 6.59, 181,
      [(256, 12, 2699), (512, 16, 3199)]),
    M("OPPO", "A", "A3", "2024-04-12", "Dimensity 6300", 50, 42, 5100, 6.67, 186,
      [(256, 8, 1399), (256, 12, 1599)]),
    M("OPPO", "Reno 9", "Reno 9", "2022-11-24", "Snapdragon 778G", 66, 54, 4500, 6.7, 174,
      [(256, 8, 2499), (256, 12, 2699)]),
    M("OPPO", "A", "A1 Pro", "2022-11-17", "Snapdragon 695", 48, 38, 4800, 6.7, 171,
      [(128, 8, 1799), (256, 8, 1999)]),
    M("OPPO", "K", "K11", "2023-07-25", "Snapdragon 782G", 60, 58, 5000, 6.7, 184,
      [(256, 8, 1799), (256, 12, 1999)]),
    M("OPPO", "Reno 11", "Reno 11", "2023-11-23", "Dimensity 8200", 70, 64, 4800, 6.7, 184,
      [(256, 8, 2499), (256, 12, 2799)]),
    M("OPPO", "Reno 14", "Reno 14", "2025-05-15", "Dimensity 8350", 74, 70, 6000, 6.59, 187,
      [(256, 12, 2699), (512, 16, 3199)]),
    M("OPPO", "Find X7", "Find X7 Ultra", "2024-01-08", "Snapdragon 8 Gen 3", 95, 89, 5000, 6.82, 221,
      [(256, 12, 5999), (512, 16, 6499)]),
    M("OPPO", "Find N", "Find N3", "2023-10-19", "Snapdragon 8 Gen 2", 88, 84, 4805, 7.82, 239,
      [(512, 16, 9999), (1024, 16, 11999)], foldable=True),
    M("OPPO", "A", "A2x", "2023-09-12", "Dimensity 6020", 44, 36, 5000, 6.56, 193,
      [(128, 6, 999), (256, 8, 1199)]),
    M("OPPO", "A", "A3x", "2024-04-19", "Dimensity 6300", 46, 40, 5100, 6.67, 186,
      [(128, 8, 999), (256, 8, 1199)]),
    M("OPPO", "K", "K12", "2024-04-24", "Snapdragon 7 Gen 3", 58, 62, 5500, 6.7, 186,
      [(256, 12, 1899), (512, 12, 2199)]),
    M("OPPO", "Find X5", "Find X5 Pro", "2022-02-24", "Snapdragon 8 Gen 1", 88, 80, 5000, 6.7, 218,
      [(256, 12, 5999), (512, 12, 6799)]),
    # --- vivo -----------------------------------------------------------------------------------------
    M("vivo", "X90", "X90", "2022-11-22", "Dimensity 9200", 84, 84, 4810, 6.78, 196,
      [(256, 8, 3699), (256, 12, 3999)]),
    M("vivo", "S17", "S17", "2023-05-31", "Snapdragon 778G", 68, 56, 4600, 6.78, 186,
      [(256, 8, 2499), (256, 12, 2699)]),
    M("vivo", "Y", "Y36", "2023-06-01", "Snapdragon 680", 46, 36, 5000, 6.64, 202,
      [(128, 8, 1199), (256, 8, 1399)]),
    M("vivo", "X100", "X100", "2023-11-13", "Dimensity 9300", 85, 88, 5000, 6.78, 202,
      [(256, 12, 3999), (256, 16, 4299), (512, 16, 4699)]),
    M("vivo", "X200", "X200", "2024-10-14", "Dimensity 9400", 87, 94, 5800, 6.67, 202,
      [(256, 12, 4299), (512, 16, 4999)]),
    M("vivo", "X200", "X200 Pro", "2024-10-14", "Dimensity 9400", 93, 94, 6000, 6.78, 223,
      [(256, 12, 5299), (512, 16, 5999), (1024, 16, 6799)]),
    M("vivo", "S19", "S19", "2024-05-30", "Snapdragon 7 Gen 3", 68, 62, 6000, 6.78, 194,
      [(256, 12, 2699), (512, 16, 2999)]),
    M("vivo", "S20", "S20", "2024-11-28", "Snapdragon 7 Gen 3", 70, 63, 6500, 6.67, 186,
      [(256, 12, 2699), (512, 16, 2999)]),
    M("vivo", "Y", "Y37", "2024-06-06", "Dimensity 6300", 47, 40, 5000, 6.56, 199,
      [(128, 8, 1099), (256, 8, 1299)]),
    M("vivo", "Y", "Y300", "2024-11-20", "Dimensity 6300", 50, 42, 6500, 6.77, 195,
      [(256, 8, 1399), (256, 12, 1599)]),
    M("vivo", "S16", "S16", "2022-12-22", "Snapdragon 870", 66, 58, 4600, 6.78, 186,
      [(128, 8, 2499), (256, 12, 2799)]),
    M("vivo", "Y", "Y35", "2022-10-20", "Snapdragon 680", 44, 34, 5000, 6.58, 188,
      [(128, 8, 1399), (256, 8, 1599)]),
    M("vivo", "Y", "Y78", "2023-05-22", "Dimensity 7020", 48, 40, 5000, 6.78, 190,
      [(128, 8, 1599), (256, 8, 1799)]),
    M("vivo", "S18", "S18", "2023-12-14", "Snapdragon 7 Gen 3", 68, 60, 5000, 6.78, 191,
      [(256, 8, 2299), (256, 12, 2499)]),
    M("vivo", "X Fold", "X Fold2", "2023-04-20", "Snapdragon 8 Gen 2", 86, 84, 4800, 8.03, 279,
      [(256, 12, 8999), (512, 12, 9999)], foldable=True),
    M("vivo", "S30", "S30", "2025-05-29", "Snapdragon 7 Gen 4", 72, 66, 6500, 6.67, 186,
      [(256, 12, 2699), (512, 12, 2999)]),
    M("vivo", "X100", "X100 Pro", "2023-11-13", "Dimensity 9300", 92, 88, 5400, 6.78, 221,
      [(256, 12, 4999), (512, 16, 5499), (1024, 16, 6499)]),
    M("vivo", "X Fold", "X Fold3", "2024-03-26", "Snapdragon 8 Gen 2", 86, 84, 5500, 8.03, 219,
      [(256, 12, 6999), (512, 16, 7999)], foldable=True),
    M("vivo", "Y", "Y100", "2023-12-01", "Dimensity 7020", 50, 42, 5000, 6.78, 186,
      [(128, 8, 1599), (256, 12, 1899)]),
    M("vivo", "Y", "Y200", "2024-10-11", "Snapdragon 6 Gen 1", 52, 46, 6000, 6.78, 190,
      [(128, 8, 1599), (256, 12, 1899)]),
    M("vivo", "iQOO Z", "iQOO Z9", "2024-04-24", "Snapdragon 7 Gen 3", 54, 62, 6000, 6.78, 195,
      [(256, 8, 1499), (256, 12, 1699)]),
    M("vivo", "iQOO Neo", "iQOO Neo9", "2023-12-27", "Snapdragon 8 Gen 2", 62, 82, 5160, 6.78, 190,
      [(256, 12, 2299), (512, 16, 2599)]),
    M("vivo", "X90", "X90 Pro", "2022-11-22", "Dimensity 9200", 90, 84, 4870, 6.78, 214,
      [(256, 12, 4999), (512, 12, 5499)]),
    # --- Honor ----------------------------------------------------------------------------------------
    M("Honor", "Magic 5", "Magic 5", "2023-03-06", "Snapdragon 8 Gen 2", 82, 84, 5100, 6.73, 191,
      [(256, 12, 3999), (512, 16, 4599)]),
    M("Honor", "Honor 90", "Honor 90", "2023-06-02", "Snapdragon 7 Gen 1", 66, 55, 5000, 6.7, 183,
      [(256, 12, 2499), (512, 16, 2799)]),
    M("Honor", "X", "Honor X50", "2023-07-05", "Snapdragon 6 Gen 1", 50, 46, 5800, 6.78, 185,
      [(128, 8, 1399), (256, 12, 1699)]),
    M("Honor", "Magic 6", "Magic 6", "2024-01-11", "Snapdragon 8 Gen 3", 84, 88, 5450, 6.78, 199,
      [(256, 12, 4399), (512, 16, 4999)]),
    M("Honor", "Magic 7", "Magic 7", "2024-10-30", "Snapdragon 8 Elite", 85, 95, 5650, 6.78, 199,
      [(256, 12, 4499), (512, 16, 4999)]),
    M("Honor", "Magic 7", "Magic 7 Pro", "2024-10-30", "Snapdragon 8 Elite", 91, 95, 5850, 6.8, 223,
      [(256, 12, 5699), (512, 16, 6199)]),
    M("Honor", "Honor 200", "Honor 200", "2024-05-27", "Snapdragon 7 Gen 3", 70, 62, 5200, 6.7, 187,
      [(256, 12, 2699), (512, 16, 2999)]),
    M("Honor", "Honor 300", "Honor 300", "2024-12-02", "Snapdragon 7 Gen 3", 72, 63, 5300, 6.7, 175,
      [(256, 12, 2499), (512, 16, 2799)]),
    M("Honor", "X", "Honor X60", "2024-10-16", "Dimensity 7025-Ultra", 50, 45, 5800, 6.8, 189,
      [(128, 8, 1199), (256, 12, 1499)]),
    M("Honor", "Honor 80", "Honor 80", "2022-11-23", "Snapdragon 782G", 66, 54, 4800, 6.67, 180,
      [(256, 8, 2699), (256, 12, 2999)]),
    M("Honor", "X", "Honor X40", "2022-09-15", "Snapdragon 695", 48, 38, 5100, 6.67, 172,
      [(128, 8, 1399), (256, 8, 1599)]),
    M("Honor", "Honor 100", "Honor 100", "2023-11-23", "Snapdragon 7 Gen 3", 68, 60, 5000, 6.7, 179,
      [(256, 12, 2499), (512, 16, 2799)]),
    M("Honor", "Magic V", "Magic V2", "2023-07-12", "Snapdragon 8 Gen 2", 84, 84, 5000, 7.92, 231,
      [(256, 16, 8999), (512, 16, 9999)], foldable=True),
    M("Honor", "Honor 400", "Honor 400", "2025-05-28", "Snapdragon 7 Gen 4", 74, 66, 6000, 6.55, 184,
      [(256, 12, 2699), (512, 12, 2999)]),
    M("Honor", "Magic 5", "Magic 5 Pro", "2023-03-06", "Snapdragon 8 Gen 2", 88, 84, 5450, 6.81, 219,
      [(256, 12, 5199), (512, 16, 5699)]),
    M("Honor", "Magic 6", "Magic 6 Pro", "2024-01-11", "Snapdragon 8 Gen 3", 91, 89, 5600, 6.8, 229,
      [(256, 12, 5699), (512, 16, 6199)]),
    M("Honor", "Magic V", "Magic V3", "2024-07-12", "Snapdragon 8 Gen 3", 86, 88, 5150, 7.92, 226,
      [(256, 12, 8999), (512, 16, 9999)], foldable=True),
    M("Honor", "Play", "Honor Play 7T", "2023-03-21", "Dimensity 6020", 44, 34, 6000, 6.74, 199,
      [(128, 8, 1199), (256, 8, 1399)]),
    M("Honor", "Play", "Honor Play 8T", "2024-03-13", "Dimensity 6080", 46, 38, 6000, 6.8, 196,
      [(256, 8, 1199), (256, 12, 1399)]),
    M("Honor", "X", "Honor X50i", "2023-06-16", "Dimensity 6020", 46, 38, 4500, 6.7, 175,
      [(128, 8, 1199), (256, 8, 1399)]),
    M("Honor", "GT", "Honor 90 GT", "2023-12-21", "Snapdragon 8 Gen 2", 62, 84, 5000, 6.7, 187,
      [(256, 12, 2599), (512, 16, 2999)]),
)

CONFIG_WEIGHTS = (0.55, 0.33, 0.12)
"""Share of a model's units in its first, second and third memory configuration (renormalised)."""


def price_band_of(prices: np.ndarray) -> np.ndarray:
    """Contract price band for an array of CNY prices."""
    edges = np.array([lo for _, lo, _ in PRICE_BAND_EDGES[1:]])
    labels = np.array([b for b, _, _ in PRICE_BAND_EDGES], dtype=object)
    return labels[np.searchsorted(edges, np.asarray(prices, dtype=float), side="right")]


def products() -> pd.DataFrame:
    """The contract ``products`` table plus truth-only columns (``_price_band``, ``_quality``, ``_config_weight``,
    ``_legacy``), sorted by sku_id."""
    rows = []
    for m in MODELS:
        weights = np.array(CONFIG_WEIGHTS[: len(m.configs)])
        weights = weights / weights.sum()
        for k, (storage, ram, price) in enumerate(m.configs):
            rows.append({
                "brand": m.brand, "maker": MAKER.get(m.brand, m.brand), "series": m.series, "model": m.model,
                "launch_date": date.fromisoformat(m.launch), "list_price": float(price),
                "storage_gb": storage, "ram_gb": ram, "chipset": m.chipset, "foldable": m.foldable,
                "camera_score": float(m.camera), "performance_score": float(m.perf),
                "battery_mah": float(m.battery), "screen_inches": float(m.screen), "weight_g": float(m.weight),
                "_config": k, "_config_weight": float(weights[k]),
            })
    df = pd.DataFrame(rows)
    brand_code = {"Xiaomi": "XM", "Redmi": "RM", "Huawei": "HW", "Apple": "AP", "OPPO": "OP", "vivo": "VV",
                  "Honor": "HN"}
    model_idx = df.groupby("model", sort=False).ngroup()
    df["sku_id"] = (df["brand"].map(brand_code) + model_idx.map("{:03d}".format) + "-"
                    + df["ram_gb"].astype(str) + "+" + df["storage_gb"].astype(str))
    df["_price_band"] = price_band_of(df["list_price"].to_numpy())
    df["_quality"] = (0.5 * df["camera_score"] + 0.5 * df["performance_score"]) / 100.0
    df["_legacy"] = df["launch_date"] < date(2023, 1, 1)
    cols = ["sku_id", *[c for c in df.columns if c != "sku_id"]]
    return df[cols].sort_values("sku_id", kind="stable").reset_index(drop=True)


def models() -> pd.DataFrame:
    """One row per model (brand, series, launch date, characteristics), sorted by model."""
    p = products()
    return (p.groupby("model", as_index=False)
            .agg(brand=("brand", "first"), series=("series", "first"), launch_date=("launch_date", "first"),
                 camera_score=("camera_score", "first"), performance_score=("performance_score", "first"),
                 foldable=("foldable", "first"), _legacy=("_legacy", "first"), min_price=("list_price", "min"))
            .sort_values("model", kind="stable").reset_index(drop=True))
