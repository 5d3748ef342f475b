"""The configuration file: every problem reported at once, with line, key and reason."""

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from gateway.sample.template import SAMPLE_CONFIG


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claimbridge.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(
    path: Path, environ: dict[str, str] | None = None
) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    assert str(path) in str(caught.value)
    return caught.value.problems


def test_the_sample_configuration_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SAMPLE_CONFIG), environ={})
    assert list(config.sources) == ["erp"]
    assert config.sources["erp"].mapping.name == "generic-opos"
    assert config.database_url == f"sqlite:///{tmp_path / 'claimbridge.db'}"


def test_the_database_url_can_come_from_the_environment(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, SAMPLE_CONFIG), environ={"CLAIMBRIDGE_DATABASE_URL": "sqlite:////x.db"}
    )
    assert config.database_url == "sqlite:////x.db"


def test_problems_name_line_key_and_reason_all_at_once(tmp_path: Path) -> None:
    text = (
        SAMPLE_CONFIG.replace("connector: csv\n    mapping", "connector: csvv\n    mapping")
        .replace("agency: acme", "agency: acme2")
        .replace('cron: "30 6 * * 1-5"', 'cron: "30 25 * * *"')
        .replace(
            '        pattern: "open_items_*.csv"',
            '        pattern: "open_items_*.csv"\n        folder_typo: x',
        )
    )
    found = problems(write(tmp_path, text))
    by_key = {key: (line, message) for line, key, message in found}
    assert by_key["sources.erp.connector"][1].startswith(
        "unknown source connector 'csvv' (installed: csv"
    )
    assert (
        by_key["policies.standard.agency"][1] == "agency 'acme2' is not configured (agencies: acme)"
    )
    assert "invalid cron expression" in by_key["schedules.daily-cycle.cron"][1]
    line, _ = by_key["policies.standard.agency"]
    assert text.splitlines()[line - 1].strip() == "agency: acme2"


def test_connector_options_are_checked_against_the_connector(tmp_path: Path) -> None:
    text = SAMPLE_CONFIG.replace("        folder: erp/exports\n", "        foldr: erp/exports\n")
    found = problems(write(tmp_path, text))
    keys = {key: message for _, key, message in found}
    assert keys["sources.erp.options.inbox.folder"] == "Field required"
    assert keys["sources.erp.options.inbox.foldr"] == "unknown key"


def test_a_mapping_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    text = SAMPLE_CONFIG.replace("mapping: preset:generic-opos", "mapping: preset:writeback-csv")
    found = problems(write(tmp_path, text))
    assert any(
        key == "sources.erp.mapping" and "is a writeback mapping, not open_items" in message
        for _, key, message in found
    )


def test_a_broken_mapping_file_is_reported_with_its_own_problems(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "name: mine\nkind: open_items\nfields:\n  nope: X\n", encoding="utf-8"
    )
    text = SAMPLE_CONFIG.replace("mapping: preset:generic-opos", "mapping: mine.yaml")
    found = problems(write(tmp_path, text))
    messages = [m for _, k, m in found if k == "sources.erp.mapping"]
    assert any("fields.nope: unknown target" in m for m in messages)
    assert any("required target 'company_code' is not mapped" in m for m in messages)


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "sources:\n  erp: [unclosed\n"))
    assert found[0][0] is not None and "not valid YAML" in found[0][2]


def test_a_missing_environment_variable_is_named(tmp_path: Path) -> None:
    text = SAMPLE_CONFIG.replace(
        "case_reference_prefix: CB", "case_reference_prefix: !env CB_PREFIX"
    )
    found = problems(write(tmp_path, text))
    assert any("environment variable CB_PREFIX is not set" in m for _, _, m in found)


def test_secrets_are_refused_when_written_in_the_file() -> None:
    from pydantic import BaseModel, SecretStr, ValidationError

    from connectors.secrets import Secret, SecretValue

    class Options(BaseModel):
        password: Secret

    with pytest.raises(ValidationError, match="must not be written in the configuration file"):
        Options.model_validate({"password": "hunter2"})
    options = Options.model_validate({"password": SecretValue("hunter2")})
    assert isinstance(options.password, SecretStr)
    assert "hunter2" not in repr(options) and "hunter2" not in str(options)
    assert options.password.get_secret_value() == "hunter2"


def test_a_secret_file_is_read_and_never_shown(tmp_path: Path) -> None:
    from gateway.config.loader import _read_yaml

    (tmp_path / "pw").write_text("s3cret\n", encoding="utf-8")
    data, _ = _read_yaml("password: !secret_file pw\n", "x.yaml", tmp_path)
    assert data["password"] == "s3cret"
    assert "s3cret" not in repr(data)
