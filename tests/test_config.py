"""upmarket.toml is read, flags override it, mistakes are named."""

from pathlib import Path

import pytest

from upmarket.config import load_config


def test_defaults_without_a_file(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.focal_brand == "Xiaomi"
    assert cfg.sub_brands == ("Redmi",)
    assert cfg.brands[:2] == ("Xiaomi", "Redmi")


def test_file_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "upmarket.toml").write_text(
        'focal_brand = "Huawei"\ncompetitors = ["Apple"]\n[market]\nyoy_period = "2024H1"\n'
        '[[files]]\nglob = "exports/*.xls"\ntable = "traffic"\nplatform = "tmall"\n',
        encoding="utf-8",
    )
    cfg = load_config(tmp_path, competitors=["Apple", "Xiaomi"])
    assert cfg.focal_brand == "Huawei"
    assert cfg.competitors == ("Apple", "Xiaomi")
    assert cfg.options("market") == {"yoy_period": "2024H1"}
    assert cfg.files[0].platform == "tmall" and cfg.files[0].table == "traffic"
    assert load_config(tmp_path, focal_brand=None).focal_brand == "Huawei"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "upmarket.toml").write_text("focal_brand = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"upmarket\.toml"):
        load_config(tmp_path)


def test_unknown_scalar_setting_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "upmarket.toml").write_text('focal_brnad = "Xiaomi"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="focal_brnad"):
        load_config(tmp_path)


def test_brand_names_in_the_config_are_read_as_the_warehouse_stores_them(tmp_path):
    """A team writes its brands in Chinese or as JD spells them; the rows are stored under one canonical name."""
    (tmp_path / "upmarket.toml").write_text('focal_brand = "小米"\nsub_brands = ["红米"]\n'
                                            'competitors = ["华为（HUAWEI）", "apple", "Nothing"]\n', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.brands == ("Xiaomi", "Redmi", "Huawei", "Apple", "Nothing")
    assert config.with_overrides(focal_brand="（MI）小米").focal_brand == "Xiaomi"
