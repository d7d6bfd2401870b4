"""Digest settings: a [digest] table in a TOML file, environment overrides, one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.digest import DigestConfig, DigestConfigError, load_digest_config

FULL = """
[schedule]            # other tables belong to other parts of speechwatch and are left alone
timezone = "Asia/Shanghai"

[digest]
channels = ["file", "smtp", "webhook"]
format = "html"
directory = "out/digests"
webhook_url = "https://hooks.example.org/speechwatch"
idle_runs = 3

[digest.smtp]
host = "smtp.example.org"
security = "ssl"
username = "bot"
password = "from-file"
from = "speechwatch@example.org"
to = ["a@example.org", "b@example.org"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "speechwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_settings_file_is_read_and_the_environment_overrides_it(tmp_path):
    path = write(tmp_path, FULL)
    config = load_digest_config(path, env={}).check()
    assert config.channels == ("file", "smtp", "webhook") and config.format == "html" and config.idle_runs == 3
    assert config.directory == Path("out/digests") and config.smtp.effective_port == 465
    assert config.smtp.to == ("a@example.org", "b@example.org") and config.smtp.sender == "speechwatch@example.org"
    env = {"SPEECHWATCH_SMTP_PASSWORD": "from-env", "SPEECHWATCH_SMTP_TO": "c@example.org, d@example.org",
           "SPEECHWATCH_DIGEST_CHANNELS": "smtp", "SPEECHWATCH_SMTP_PORT": "2465"}  # fmt: skip
    config = load_digest_config(path, env=env).check()
    assert config.channels == ("smtp",) and config.smtp.password == "from-env" and config.smtp.effective_port == 2465
    assert config.smtp.to == ("c@example.org", "d@example.org") and config.origin.endswith("+ environment")


def test_environment_only_and_the_config_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"SPEECHWATCH_DIGEST_CHANNELS": "file,stdout", "SPEECHWATCH_DIGEST_DIR": str(tmp_path / "d"),
           "SPEECHWATCH_DIGEST_FORMAT": "json"}  # fmt: skip
    config = load_digest_config(env=env).check()
    assert config.channels == ("file", "stdout") and config.directory == tmp_path / "d" and config.format == "json"
    assert config.origin == "environment"
    assert load_digest_config(env={"SPEECHWATCH_CONFIG": str(write(tmp_path, FULL))}).format == "html"
    assert load_digest_config(env={}).format == "html"  # ./speechwatch.toml when present


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[digest]\nchanels = ['file']\n", {}, "[digest]: unknown key(s) ['chanels']"),
        ("[digest]\nchannels = ['slack']\n", {}, "unknown ['slack'] (use file, stdout, smtp, webhook)"),
        ("[digest]\nchannels = ['file']\nformat = 'pdf'\n", {}, "format: 'pdf' is not one of md, html, json"),
        ("[digest]\nchannels = ['webhook']\nwebhook_url = 'ftp://x'\n", {}, "webhook_url: need an http(s) URL"),
        ("[digest]\nchannels = ['smtp']\n[digest.smtp]\nhost = 'h'\n", {}, "[digest.smtp] needs from, to"),
        (
            "[digest]\nchannels = ['smtp']\n[digest.smtp]\nhost='h'\nfrom='a@b'\nto=['c@d']\nsecurity='tls'\n",
            {},
            "security: 'tls' is not one of starttls, ssl, none",
        ),
        ("[digest.smtp]\nhots = 'h'\n", {}, "[digest.smtp]: unknown key(s) ['hots']"),
        ("[digest\n", {}, "not valid TOML"),
        ("", {}, "no digest channel configured"),
        (
            "",
            {
                "SPEECHWATCH_DIGEST_CHANNELS": "smtp",
                "SPEECHWATCH_SMTP_HOST": "h",
                "SPEECHWATCH_SMTP_FROM": "a@b",
                "SPEECHWATCH_SMTP_TO": "c@d",
                "SPEECHWATCH_SMTP_PORT": "smtp",
            },
            "smtp port: need a number, got 'smtp'",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_file_and_key(tmp_path, text, env, message):
    path = write(tmp_path, text)
    with pytest.raises(DigestConfigError) as caught:
        load_digest_config(path, env=env).check()
    assert message in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_settings_file_named_explicitly_is_an_error(tmp_path):
    with pytest.raises(DigestConfigError, match="settings file not found"):
        load_digest_config(tmp_path / "nope.toml", env={})


def test_defaults():
    config = DigestConfig()
    assert config.channels == () and config.format == "md" and config.smtp.effective_port == 587


def test_every_digest_setting_is_in_the_readme():
    from monitor.digest.config import ENV_CONFIG, ENV_KEYS, SMTP_KEYS

    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    assert [name for name in (ENV_CONFIG, *ENV_KEYS) if name not in readme] == []
    assert [key for key in SMTP_KEYS if f"\n{key} = " not in readme] == []
