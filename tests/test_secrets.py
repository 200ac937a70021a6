"""MLS401/MLS402: every provider format from its sample, clean look-alikes, one finding per
secret, fixes, and redaction in every output."""
from __future__ import annotations

import ast
import re

import libcst as cst
import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import error_finding
from ml_seclint.engine.lint import lint_source
from ml_seclint.engine.registry import RULES
from ml_seclint.secrets_table import FORMATS, credential_name, find_keys, looks_secret, redact, scrub

from helpers import CHECKS, REPO, run_cli, run_cli_process, run_flake8

IDS = [f.id for f in FORMATS]


def lint(source: str, *codes: str):
    rules = [RULES[c] for c in codes] if codes else None
    return lint_source(source, "t.py", Settings(), rules).findings


def pairs(findings):
    return sorted((f.line, f.code) for f in findings)


# -- the provider table ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_sample_matches_its_own_format_only(fmt):
    sample = fmt.sample_key()
    assert fmt.regex.fullmatch(sample), f"{fmt.id}: sample does not match"
    keys = find_keys(sample)
    assert [k.format.id for k in keys] == [fmt.id]
    assert keys[0].value == sample


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_every_format_is_found_in_every_place(fmt):
    key = fmt.sample_key()
    source = "\n".join([
        f'KEY = "{key}"',
        f'HEADERS = {{"Authorization": "Bearer {key}"}}',
        f'URL = f"https://api.example.org/v1?key={key}&q={{query}}"',
        f'RAW = b"{key}"',
        f"# the key: {key}",
        f'JOINED = ("{key[:16]}" "{key[16:]}")',
        f"DOC = '''\nline one\n{key}\n'''",
        "",
    ])
    findings = lint(source)
    assert pairs(findings) == [(n, "MLS401") for n in (1, 2, 3, 4, 5, 6, 7)]
    for finding in findings:
        assert key not in finding.message
        assert redact(key) in finding.message
        assert fmt.provider in finding.message


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_longer_or_prefixed_look_alikes_are_not_keys(fmt):
    key = fmt.sample_key()
    if not re.search(r"\{\d+,\d*\}", fmt.pattern):  # fixed length: a longer run is not this key
        assert not find_keys(key + "A1b2")
    assert not find_keys("x" + key)  # starts inside a word


def test_redaction_shape():
    assert redact("sk-proj-" + "a" * 156) == "sk-p…(164 chars)"
    assert redact("Zq8vR2mT") == "Zq…(8 chars)"
    assert redact("abc") == "…(3 chars)"
    assert redact(b"hf_abcdefgh") == "hf…(11 chars)"


@pytest.mark.parametrize("text", [
    "sk-...", "sk-proj-...", "hf_xxx", "hf_" + "x" * 34, "hf_" + "*" * 34, "AKIAIOSFODNN7EXAMPLE",
    "sk-ant-api03-" + "YOUR_KEY_" * 10 + "abcAA", "<hf_token>", "${OPENAI_API_KEY}",
    "hf_hub_download", "api_org_name", "AIzaSy" + "A" * 33,
    "https://huggingface.co/docs/hub/security-tokens",
])
def test_placeholders_are_not_keys(text):
    assert find_keys(text) == []
    assert lint(f'value = "{text}"  # {text}\n') == []


# -- MLS402 vocabulary and values -------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "api_key", "apiKey", "OPENAI_API_KEY", "openai_api_key", "x-api-key", "password", "db_passwd",
    "client_secret", "SECRET_KEY", "aws_secret_access_key", "token", "hf_token", "auth_token",
    "access_token", "HUGGINGFACEHUB_API_TOKEN", "Authorization", "private_key", "wandb_key",
])
def test_credential_names(name):
    assert credential_name(name)


@pytest.mark.parametrize("name", [
    "pad_token", "eos_token", "bos_token", "mask_token", "unk_token", "special_tokens",
    "additional_special_tokens", "max_tokens", "max_new_tokens", "token_ids", "eos_token_id",
    "token_type_ids", "num_tokens", "image_token", "tokenizer", "key", "keys", "api_key_env",
    "token_url", "secret_name", "password_hash", "aws_access_key_id", "sort_key", "cache_key",
    "primary_key", "key_fn",
])
def test_not_credential_names(name):
    assert not credential_name(name)


@pytest.mark.parametrize("value", [
    "", "EMPTY", "ollama", "sk-no-key-required", "lm-studio", "sk-...", "YOUR_API_KEY", "<token>",
    "xxxxxxxxxxxxxxxx", "${OPENAI_API_KEY}", "OPENAI_API_KEY", "your-api-key-here", "dummy-token-123",
    "test_key_1234", "/run/secrets/api_key", "./keys/service.json", "https://example.org/token",
    "not a secret at all", "changeme", "[PAD]", "</s>",
    # seen in public notebooks and examples
    "sk-여기에-본인키", "your-openai-api-key", "dummy-key-for-agents-sdk", "not_used", "mock", "sk-proj",
    "api_key", "dummy_key", "key-test", "ADD YOUR KEY.", "v1/detect/secrets",
])
def test_values_that_are_not_secrets(value):
    assert not looks_secret(value)
    assert lint(f'api_key = "{value}"\n') == []


def test_a_prefixless_provider_key_is_found_by_its_binding():
    # DeepSeek keys (sk- and 32 hex) have no distinctive shape: the api_key= binding finds them
    source = "from openai import OpenAI\nc = OpenAI(api_key='sk-' + '', base_url='x')\n" \
             "d = OpenAI(api_key='sk-7e1f0c9a4b2d8e6f3a5c1b0d9e8f7a6b',\n" \
             "           base_url='https://api.deepseek.com')\n"
    assert pairs(lint(source)) == [(3, "MLS402")]


def test_tokenizer_vocabulary_is_clean():
    source = (
        "from transformers import AutoTokenizer\n"
        "tok = AutoTokenizer.from_pretrained('./gpt2', pad_token='<|pad|>', token=None)\n"
        "tok.pad_token = tok.eos_token\n"
        "tok.add_special_tokens({'pad_token': '[PAD]', 'mask_token': 'Zq8vR2mT5wXy'})\n"
        "special_tokens = ['<|im_start|>', 'Xr9Tq2Lm7Wz4']\n"
        "eos_token = 'Kx7Vn3Qw9Rt2'\n"
        "out = client.chat.completions.create(max_tokens=512, token_ids=[1, 2])\n"
    )
    assert lint(source) == []


def test_one_secret_gives_one_finding():
    # assembled here: the table's samples say "Fake", which MLS402 treats as a placeholder
    key = "sk-" + "Zq8vR2mT5wXyPq7Lb3Nc" + "T3BlbkFJ" + "Mx6Lz8Kq0Wp3ErTy7UiO"
    assert [k.format.id for k in find_keys(key)] == ["openai"]
    source = f'import os\nfrom openai import OpenAI\nos.environ["OPENAI_API_KEY"] = "{key}"\n' \
             f'client = OpenAI(api_key="{key}")\nAPI_KEY = "{key}"\nopenai_client = OpenAI(api_key=API_KEY)\n'
    assert pairs(lint(source)) == [(3, "MLS401"), (4, "MLS401"), (5, "MLS401")]
    # MLS402 alone (MLS401 not selected) still reports the literal, once per literal
    assert pairs(lint(source, "MLS402")) == [(3, "MLS402"), (4, "MLS402"), (5, "MLS402")]


def test_constant_is_reported_once_where_it_is_written():
    source = ("from openai import OpenAI\nKEY = 'Cx8Vb6Nm4Qw2Er0Ty7Ui'\n"
              "a = OpenAI(api_key=KEY)\nb = OpenAI(api_key=KEY)\n")
    findings = lint(source)
    assert pairs(findings) == [(2, "MLS402")]
    assert "through KEY" in findings[0].message


def test_known_sdk_parameters_relax_the_randomness_test():
    source = "import wandb\nwandb.login(key='aaaa1111bbbb')\nwandb_key = 'aaaa1111bbbb'\n"
    assert pairs(lint(source)) == [(2, "MLS402")]


def test_aliased_sdk_imports_resolve():
    source = ("import wandb as wb\nfrom huggingface_hub import login as hub_login\n"
              "wb.login(key='0123abcd0123abcd0123abcd0123abcd0123abcd')\nhub_login('Xv1Bn3Mq5Wr7Et9Yu2Io')\n"
              "def login(x):\n    pass\nlogin('Xv1Bn3Mq5Wr7Et9Yu2Io')\n")
    assert pairs(lint(source)) == [(3, "MLS402"), (4, "MLS402")]


# -- fixes -------------------------------------------------------------------------------------------

def apply_fixes(source: str, findings) -> str:
    """Splice each replacement over its finding's (single-line) span."""
    lines = source.splitlines(keepends=True)
    for finding in sorted(findings, key=lambda f: (f.line, f.column), reverse=True):
        [(old, new)] = finding.fix.replacements.items()
        assert old is finding.node and finding.line == finding.end_line
        line = lines[finding.line - 1]
        code = cst.Module([]).code_for_node(new)
        lines[finding.line - 1] = line[:finding.column] + code + line[finding.end_column:]
    return "".join(lines)


def test_fix_replaces_a_whole_literal_with_the_providers_variable():
    key = FORMATS[0].sample_key()
    hf = next(f for f in FORMATS if f.id == "huggingface").sample_key()
    source = (f'from openai import OpenAI\nclient = OpenAI(api_key="{key}")\nHF = "{hf}"\n'
              f'H = {{"Authorization": "Bearer {hf}"}}\n# {hf}\n')
    findings = lint(source)
    fixable = [f for f in findings if f.fix is not None]
    assert [f.line for f in fixable] == [2, 3]
    assert all(f.fix.safety == "unsafe" and f.fix.imports == (("os",),) for f in fixable)
    fixed = apply_fixes(source, fixable)
    assert 'OpenAI(api_key=os.environ["OPENAI_API_KEY"])' in fixed
    assert 'HF = os.environ["HF_TOKEN"]' in fixed
    ast.parse(fixed)


def test_fix_for_credentials_and_where_none_is_offered():
    source = ("import os, wandb\nfrom openai import OpenAI\n"
              "c = OpenAI(api_key='Gh7Jk2Lm9Np4Qr6St1Uv')\n"
              "wandb.login(key='5f4dcc3b5aa765d61d8327deb882cf99a1b2c3d4')\n"
              "db_password = 'Tr0ub4dor&3x'\n"
              "os.environ['WANDB_API_KEY'] = 'Bv2Nc4Mx6Lz8Kq0Wp3Er'\n"
              "H = {'Authorization': 'Bearer Nq4Wd8Yx2Zc6Vb1Mf5Kg9Hj'}\n")
    findings = lint(source)
    assert pairs(findings) == [(n, "MLS402") for n in (3, 4, 5, 6, 7)]
    fixed = apply_fixes(source, [f for f in findings if f.fix])
    assert "OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])" in fixed
    assert "wandb.login(key=os.environ[\"WANDB_API_KEY\"])" in fixed
    assert "db_password = os.environ[\"DB_PASSWORD\"]" in fixed
    assert [f.line for f in findings if f.fix is None] == [6, 7]
    assert RULES["MLS401"].fix_safety == RULES["MLS402"].fix_safety == "unsafe"


# -- redaction everywhere ---------------------------------------------------------------------------

SECRET_FILES = [CHECKS / "MLS401_hardcoded_provider_key.py", CHECKS / "MLS402_hardcoded_credential.py",
                CHECKS / "notebook_secrets.ipynb"]


def full_secrets() -> set[str]:
    """Every provider key in the secrets check files, and every literal MLS402 reports in its
    check file (taken from the engine's nodes, so the test sees exactly what was found)."""
    secrets: set[str] = set()
    for path in SECRET_FILES:
        secrets.update(k.value for k in find_keys(path.read_text(encoding="utf-8")))
    path = CHECKS / "MLS402_hardcoded_credential.py"
    for finding in lint_source(path.read_text(encoding="utf-8"), str(path), Settings()).findings:
        if finding.code == "MLS402":
            secrets.add(finding.node.evaluated_value.split()[-1])  # "Bearer <secret>"
    secrets.update(["Bv2Nc4Mx6Lz8Kq0Wp3Er", "q7Rt2vXw9LmZ4pKcB8nD"])  # the notebook's MLS402 values
    return secrets


def test_secret_list_is_complete():
    secrets = full_secrets()
    assert len([s for s in secrets if find_keys(s)]) >= len(FORMATS)
    assert len([s for s in secrets if not find_keys(s)]) >= 15


@pytest.fixture(scope="module")
def outputs():
    from ml_seclint.output import formats

    texts = {}
    for name in sorted(formats()):
        # the text from a real process (its own stdout and stderr), the other formats in-process
        run = run_cli_process if name == "text" else run_cli
        proc = run("check", "--format", name, *[str(p.relative_to(REPO)) for p in SECRET_FILES])
        assert proc.returncode == 1, proc.stderr
        texts[f"cli --format {name}"] = proc.stdout + proc.stderr
    proc = run_cli("check", "--disable-noqa", *[str(p.relative_to(REPO)) for p in SECRET_FILES])
    texts["cli --disable-noqa"] = proc.stdout + proc.stderr
    proc = run_flake8("--isolated", "--select", "MLS", *[str(p.relative_to(REPO)) for p in SECRET_FILES[:2]])
    texts["flake8"] = proc.stdout + proc.stderr
    return texts


def test_no_output_contains_a_full_secret(outputs):
    secrets = full_secrets()
    for name, text in outputs.items():
        assert "MLS401" in text and "MLS402" in text, name
        assert "…(" in text or "\\u2026(" in text, name
        for secret in secrets:
            assert secret not in text, f"{name} shows a secret in full: {redact(secret)}"


def test_diff_redacts_the_secrets_it_removes():
    proc = run_cli("check", "--diff", "--unsafe-fixes", *[str(p.relative_to(REPO)) for p in SECRET_FILES])
    removed = [line for line in proc.stdout.splitlines() if line.startswith("-") and "expect: MLS4" in line]
    assert len(removed) > 20 and all("…(" in line for line in removed)
    for secret in full_secrets():
        assert secret not in proc.stdout + proc.stderr, f"--diff shows a secret in full: {redact(secret)}"


def test_errors_are_scrubbed():
    key = FORMATS[1].sample_key()
    finding = error_finding("x.py", f"internal error: ValueError: bad value {key!r}")
    assert key not in finding.message and redact(key) in finding.message
    assert scrub(f"a {key} b") == f"a {redact(key)} b"


def test_a_crash_in_a_secrets_rule_withholds_its_details(monkeypatch):
    import ml_seclint.rules.secrets as secrets

    def boom(text):
        raise ValueError(f"cannot scan {text}")

    monkeypatch.setattr(secrets, "find_keys", boom)
    monkeypatch.setattr(secrets, "looks_secret", boom)
    source = 'password = "Tr0ub4dor&3x"\nKEY = "hf_leakedValueThatShouldNeverShow12345"\n'
    findings = lint(source)
    assert {f.code for f in findings} == {"MLS000"}
    for finding in findings:
        assert "Tr0ub4dor" not in finding.message and "leakedValue" not in finding.message
        assert "details withheld" in finding.message


@pytest.mark.parametrize("source", [
    "import requests.auth\nauth = requests.auth.HTTPBasicAuth(user, 'Kq8Ws2Ed5Rf9Tg')\n",
    "headers['Authorization'] = 'Bearer Nq4Wd8Yx2Zc6Vb1Mf5Kg9Hj'\n",
    "import os\nos.environ.update({'HF_TOKEN': 'Rt6Yu8Io0Pa2Sd4Fg7Hj'})\n",
    "import wandb\nwandb.login(key='aaaa1111bbbb')\n",
    "class C:\n    client_secret: str = 'Jd7Fk3Ls9Qp2Wm6Xn4Bv'\n",
    "def f(password='Hy6Tg2Rf8Ed4Ws1Qa9Z'):\n    pass\n",
])
def test_the_file_prefilter_lets_credential_bindings_through(source):
    assert pairs(lint(source)) and all(code == "MLS402" for _, code in pairs(lint(source)))


def test_the_file_prefilter_skips_tokenizer_code():
    from ml_seclint.engine.lint import active_rules

    source = ("class Tok:\n    def __init__(self, bos_token='<s>', unk_token='<unk>', pad_token='<pad>'):\n"
              "        self.tokenizer_file = 'tokenizer.json'\n        x = {'pad_token': '[PAD]'}\n")
    assert active_rules(source, [RULES["MLS402"], RULES["MLS401"]]) == []


# -- redaction whatever rules run (issue 9) ---------------------------------------------------

PASSWORD = "Hx7-kP2qLm9zRt4v"  # noqa: MLS402 - a fake password, for the test
URL_PASSWORD = "S3cretPassw0rd"  # noqa: MLS402 - a fake password, for the test


def _secret_file(tmp_path):
    key = next(f for f in FORMATS if f.id == "huggingface").sample_key()
    (tmp_path / "train.py").write_text(
        f'import yaml\nimport requests\npassword = "{PASSWORD}"\nTOKEN = "{key}"\n'
        f'cfg = yaml.load(text)\nrequests.get("http://admin:{URL_PASSWORD}@example.com/model.bin")\n')
    return key


@pytest.mark.parametrize("select", ["MLS1", "MLS3", "MLS"])
def test_diff_redacts_credentials_whichever_rules_are_selected(tmp_path, select):
    key = _secret_file(tmp_path)
    proc = run_cli("check", "--diff", "--select", select, str(tmp_path), cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert "safe_load" in output or select == "MLS3"
    for secret in (PASSWORD, key, URL_PASSWORD):
        assert secret not in output


def test_messages_never_quote_a_credential_shaped_value(tmp_path):
    _secret_file(tmp_path)
    for style in ("concise", "full"):  # full: the source line is shown too
        proc = run_cli("check", "--select", "MLS303", "--format", style, str(tmp_path))
        assert "MLS303" in proc.stdout and "admin:" in proc.stdout
        assert URL_PASSWORD not in proc.stdout


def test_scrub_redacts_credential_shapes():
    assert scrub(f"http://u:{URL_PASSWORD}@h/x") == "http://u:S3c…(14 chars)@h/x"
    assert scrub("GET /a?access_token=Zq8vR2mT9pLw&page=2") == "GET /a?access_token=Zq8…(12 chars)&page=2"
    assert scrub("Authorization: Bearer Zq8vR2mT9pLw") == "Authorization: Bearer Zq8…(12 chars)"
    assert scrub("weights_only=True, url=http://host/file?name=model_v2") == \
        "weights_only=True, url=http://host/file?name=model_v2"
