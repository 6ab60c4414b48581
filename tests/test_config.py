"""upmarket.toml is read, flags override it, mistakes are named."""

from pathlib import Path

import pytest

from upmarket.config import ConfigError, load_config


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


def _toml(tmp_path: Path, text: str) -> Path:
    (tmp_path / "upmarket.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("text", "message"), [
    ('focal_brand = 5\n', r"focal_brand must be a string, not an integer \(5\)"),
    ('competitors = ["Apple", 3]\n', r"competitors\[1\] must be a string, not an integer \(3\)"),
    ('periods = 2024\n', r"periods must be a list of strings, not an integer"),
    ('currency = ["CNY"]\n', r"currency must be a string, not a list"),
    ('focal_brnad = "Xiaomi"\n', r"unknown key 'focal_brnad' \(did you mean 'focal_brand'\?\); allowed: focal_brand, "
                                 r"sub_brands, competitors, periods, currency, premium_price, \[\[files\]\], "
                                 r"\[market\], \[funnel\]"),
    ('[makret]\nyoy_period = "2024H1"\n', r"unknown key 'makret' \(did you mean 'market'\?\)"),
    ('market = "2024H1"\n', r"\[market\] must be a table of options for the market analysis"),
    ('[[files]]\nglob = "a/*.csv"\ntabel = "traffic"\n',
     r"\[\[files\]\] #1: unknown key 'tabel' \(did you mean 'table'\?\); allowed: glob, table, platform, channel"),
    ('[[files]]\nglob = "a/*.csv"\n', r"\[\[files\]\] #1: missing table"),
    ('[[files]]\nglob = "a/*.csv"\ntable = "traffic"\nplatform = 1\n', r"\[\[files\]\] #1: platform must be a string"),
    ('files = "a.csv"\n', r"files must be \[\[files\]\] tables, not a string"),
    ('[[files]]\nglob = "a/*.csv"\ntable = "trafic"\n',
     r"\[\[files\]\] #1: table 'trafic' is not a contract table \(did you mean 'traffic'\?\); tables: products"),
    ('[[files]]\nglob = "a/[z-a].csv"\ntable = "traffic"\n', r"glob 'a/\[z-a\]\.csv' is not a valid pattern"),
    ('[[files]]\nglob = "../other/*.csv"\ntable = "traffic"\n', r"relative to the dataset folder"),
])
def test_config_mistakes_are_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        load_config(_toml(tmp_path, text))
    assert "\n" not in str(err.value) and str(tmp_path / "upmarket.toml") in str(err.value)


def test_a_string_where_a_list_is_due_is_one_item(tmp_path: Path) -> None:
    cfg = load_config(_toml(tmp_path, 'sub_brands = "Redmi"\ncompetitors = "华为"\n'))
    assert cfg.sub_brands == ("Redmi",) and cfg.competitors == ("Huawei",)
    assert load_config(tmp_path, competitors="Apple").competitors == ("Apple",)


def test_overrides_are_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="focal_brand must be a string"):
        load_config(tmp_path, focal_brand=5)
    with pytest.raises(ConfigError, match="unknown key 'brand'"):
        load_config(tmp_path, brand="Xiaomi")


def test_cli_prints_a_config_mistake_as_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from upmarket.cli import app

    _toml(tmp_path, '[[files]]\nglob = "exports/*.csv"\ntabel = "traffic"\n')
    (tmp_path / "orders.csv").write_text("order_id\n", encoding="utf-8")
    res = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["validate", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "[[files]] #1: unknown key 'tabel'" in res.output, res.output  # the brackets print as written


def test_init_writes_a_commented_config_that_loads(tmp_path: Path) -> None:
    from upmarket.config_docs import write_starter_config

    (tmp_path / "orders.csv").write_text("order_id\n", encoding="utf-8")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "商品_全部_2024-11-01_2024-11-07.xls").write_bytes(b"x")
    (tmp_path / "exports" / "notes.pdf").write_bytes(b"x")
    path = write_starter_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "#   orders.csv → orders" in text
    assert '# glob = "exports/商品_全部_2024-11-01_2024-11-07.xls"\n# table = "traffic"   # a guess' in text
    assert '# glob = "exports/notes.pdf"' in text
    cfg = load_config(tmp_path)
    assert cfg.focal_brand == "Xiaomi" and cfg.files == ()
    uncommented = text.replace('# [[files]]\n# glob = "exports/商品', '[[files]]\nglob = "exports/商品').replace(
        '# table = "traffic"   # a guess from the file name\n# platform = "jd"',
        'table = "traffic"\nplatform = "jd"', 1)
    path.write_text(uncommented, encoding="utf-8")
    assert load_config(tmp_path).files[0].table == "traffic"
    with pytest.raises(ConfigError, match="already exists"):
        write_starter_config(tmp_path)


def test_docs_config_md_is_generated_and_current() -> None:
    from upmarket.config_docs import render_config_markdown

    committed = Path(__file__).resolve().parents[1] / "docs" / "config.md"
    text = render_config_markdown()
    assert committed.read_text(encoding="utf-8") == text, "docs/config.md is stale: run `upmarket docs`"
    for key in ("focal_brand", "sub_brands", "competitors", "periods", "currency", "glob", "table", "platform",
                "channel", "sheet", "encoding", "yoy_period", "window_days"):
        assert f"| `{key}` |" in text


def test_docs_command_works_outside_the_repository(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from upmarket.cli import app

    monkeypatch.chdir(tmp_path)  # as after a pip install: no docs/ folder here
    res = CliRunner().invoke(app, ["docs"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "docs" / "contract.md").is_file() and (tmp_path / "docs" / "config.md").is_file()
    assert (tmp_path / "docs" / "artefacts.md").is_file()
