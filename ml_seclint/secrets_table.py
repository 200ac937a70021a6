"""Provider key formats and credential vocabulary for the MLS4xx rules, as data.

One `KeyFormat` per provider key kind: the regular expression of the key itself, the keywords a
text must contain for the expression to be tried (a cheap prefilter, also the rules' trigger
words), the environment variable the provider's SDK reads (used by the fix), and the segments of
a synthetic sample that the tests expand and check against the expression. Formats follow the
public patterns of gitleaks and TruffleHog (see docs/rules/MLS401.md).

The samples are stored as segments (literal text, or a charset and a length filled from a
fixed, obviously fake pattern), so no key-shaped string appears in this source file.

Everything that shows a detected value goes through `redact`: a short prefix and the length.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional, Union

# -- provider key formats ------------------------------------------------------------------

ALNUM = "A-Za-z0-9"
URLSAFE = "A-Za-z0-9_-"
HEX = "0-9a-f"
# A key never continues into these characters; nor does it start right after one of them.
_BEFORE = r"(?<![A-Za-z0-9_])"
_AFTER = r"(?![A-Za-z0-9_-])"

Segment = Union[str, tuple[str, int]]  # literal text, or (charset, length)


@dataclass(frozen=True)
class KeyFormat:
    id: str
    provider: str
    kind: str  # what the key is, as the message says it
    pattern: str  # the key itself; anchored with _BEFORE/_AFTER when compiled
    keywords: tuple[str, ...]  # prefilter: the pattern can only match text containing one
    env: str  # the environment variable the provider's SDK reads
    sample: tuple[Segment, ...]  # a synthetic key, see sample()
    min_entropy: float = 3.0  # Shannon bits per character of the whole key

    @property
    def regex(self) -> "re.Pattern[str]":
        return _compiled(self.pattern)

    def sample_key(self) -> str:
        return build_sample(self.sample)


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> "re.Pattern[str]":
    return re.compile(f"{_BEFORE}(?:{pattern}){_AFTER}")


def _openai(prefix: str) -> str:
    # each half is 74 or 58 characters in the keys OpenAI issues; bounded, so a long run of
    # `sk-proj-` costs linear time, not quadratic
    return rf"{prefix}[{URLSAFE}]{{20,100}}T3BlbkFJ[{URLSAFE}]{{20,100}}"


FORMATS: tuple[KeyFormat, ...] = (
    KeyFormat("openai", "OpenAI", "API key", rf"sk-[{ALNUM}]{{20}}T3BlbkFJ[{ALNUM}]{{20}}",
              ("T3BlbkFJ",), "OPENAI_API_KEY", ("sk-", (ALNUM, 20), "T3BlbkFJ", (ALNUM, 20))),
    KeyFormat("openai-project", "OpenAI", "project API key", _openai("sk-proj-"),
              ("T3BlbkFJ",), "OPENAI_API_KEY", ("sk-proj-", (URLSAFE, 74), "T3BlbkFJ", (URLSAFE, 74))),
    KeyFormat("openai-service-account", "OpenAI", "service-account key", _openai("sk-svcacct-"),
              ("T3BlbkFJ",), "OPENAI_API_KEY", ("sk-svcacct-", (URLSAFE, 74), "T3BlbkFJ", (URLSAFE, 74))),
    KeyFormat("openai-admin", "OpenAI", "admin key", _openai("sk-admin-"),
              ("T3BlbkFJ",), "OPENAI_ADMIN_KEY", ("sk-admin-", (URLSAFE, 58), "T3BlbkFJ", (URLSAFE, 58))),
    KeyFormat("anthropic", "Anthropic", "API key", rf"sk-ant-api03-[{URLSAFE}]{{93}}AA",
              ("sk-ant-api03-",), "ANTHROPIC_API_KEY", ("sk-ant-api03-", (URLSAFE, 93), "AA")),
    KeyFormat("anthropic-admin", "Anthropic", "admin key", rf"sk-ant-admin01-[{URLSAFE}]{{93}}AA",
              ("sk-ant-admin01-",), "ANTHROPIC_ADMIN_KEY", ("sk-ant-admin01-", (URLSAFE, 93), "AA")),
    KeyFormat("huggingface", "Hugging Face", "access token", rf"hf_[{ALNUM}]{{34}}",
              ("hf_",), "HF_TOKEN", ("hf_", (ALNUM, 34))),
    KeyFormat("huggingface-org", "Hugging Face", "organization API token", rf"api_org_[{ALNUM}]{{34}}",
              ("api_org_",), "HF_TOKEN", ("api_org_", (ALNUM, 34))),
    KeyFormat("google", "Google", "API key (Gemini, GCP)", rf"AIza[{URLSAFE}]{{35}}",
              ("AIza",), "GOOGLE_API_KEY", ("AIza", (URLSAFE, 35))),
    KeyFormat("aws", "AWS", "access key id", r"(?:AKIA|ASIA)[A-Z2-7]{16}",
              ("AKIA", "ASIA"), "AWS_ACCESS_KEY_ID", ("AKIA", ("A-Z2-7", 16))),
    KeyFormat("github", "GitHub", "token", rf"gh[pousr]_[{ALNUM}]{{36}}",
              ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), "GITHUB_TOKEN", ("ghp_", (ALNUM, 36))),
    KeyFormat("github-fine-grained", "GitHub", "fine-grained token", r"github_pat_[A-Za-z0-9_]{82}",
              ("github_pat_",), "GITHUB_TOKEN", ("github_pat_", (ALNUM, 22), "_", (ALNUM, 59))),
    KeyFormat("groq", "Groq", "API key", rf"gsk_[{ALNUM}]{{52}}",
              ("gsk_",), "GROQ_API_KEY", ("gsk_", (ALNUM, 52))),
    KeyFormat("replicate", "Replicate", "API token", rf"r8_[{URLSAFE}]{{37}}",
              ("r8_",), "REPLICATE_API_TOKEN", ("r8_", (ALNUM, 37))),
    KeyFormat("xai", "xAI", "API key", r"xai-[A-Za-z0-9_]{80}",
              ("xai-",), "XAI_API_KEY", ("xai-", (ALNUM, 80))),
    KeyFormat("perplexity", "Perplexity", "API key", rf"pplx-[{ALNUM}]{{48}}",
              ("pplx-",), "PERPLEXITY_API_KEY", ("pplx-", (ALNUM, 48))),
    KeyFormat("openrouter", "OpenRouter", "API key", rf"sk-or-v1-[{HEX}]{{64}}",
              ("sk-or-v1-",), "OPENROUTER_API_KEY", ("sk-or-v1-", (HEX, 64))),
    KeyFormat("langsmith", "LangSmith", "API key", rf"lsv2_(?:pt|sk)_[{HEX}]{{32}}_[{HEX}]{{10}}",
              ("lsv2_",), "LANGSMITH_API_KEY", ("lsv2_pt_", (HEX, 32), "_", (HEX, 10))),
    KeyFormat("pinecone", "Pinecone", "API key", rf"pcsk_[{ALNUM}]{{5,6}}_[{ALNUM}]{{63}}",
              ("pcsk_",), "PINECONE_API_KEY", ("pcsk_", (ALNUM, 6), "_", (ALNUM, 63))),
)

FORMATS_BY_ID = {f.id: f for f in FORMATS}
KEYWORDS: tuple[str, ...] = tuple(sorted({k for f in FORMATS for k in f.keywords}))
_BY_KEYWORD = {k: tuple(f for f in FORMATS if k in f.keywords) for k in KEYWORDS}

# The fake samples: cycled through, keeping only the characters a segment allows.
FAKE_PATTERN = "FakeKeyForMlSeclintChecksNotARealCredential0123456789"
FAKE_HEX = "fa4ec0de0123456789abcdef"


def _charset(spec: str) -> str:
    chars = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return "".join(chars)


def build_sample(segments: tuple[Segment, ...]) -> str:
    out = []
    for segment in segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        spec, length = segment
        allowed = set(_charset(spec))
        source = FAKE_HEX if allowed <= set("0123456789abcdef") else FAKE_PATTERN
        if not any(c.islower() for c in allowed):
            source = source.upper()
        pool = [c for c in source if c in allowed]
        out.append("".join(pool[i % len(pool)] for i in range(length)))
    return "".join(out)


# -- finding keys in text -------------------------------------------------------------------

@dataclass(frozen=True)
class KeyMatch:
    format: KeyFormat
    start: int
    end: int
    value: str


def entropy(text: str) -> float:
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


_RUN = re.compile(r"(.)\1{5,}")  # six identical characters: hf_xxxxxx..., ******
_KEY_PLACEHOLDER_WORDS = ("example", "your", "placeholder", "redacted")


def placeholder_key(value: str) -> bool:
    """A key-shaped value that is a placeholder or documentation example, not a key."""
    lowered = value.lower()
    return bool(_RUN.search(value)) or any(w in lowered for w in _KEY_PLACEHOLDER_WORDS)


def has_keyword(text: str) -> bool:
    return any(k in text for k in KEYWORDS)


def find_keys(text: str) -> list[KeyMatch]:
    """Provider keys in `text` (placeholders and low-entropy look-alikes left out)."""
    keywords = [k for k in KEYWORDS if k in text]
    if not keywords:
        return []
    matches: list[KeyMatch] = []
    seen: set[str] = set()
    for keyword in sorted(keywords):
        for fmt in _BY_KEYWORD[keyword]:
            if fmt.id in seen:
                continue
            seen.add(fmt.id)
            for match in fmt.regex.finditer(text):
                value = match.group(0)
                if entropy(value) < fmt.min_entropy or placeholder_key(value):
                    continue
                matches.append(KeyMatch(fmt, match.start(), match.end(), value))
    matches.sort(key=lambda m: (m.start, -m.end))
    kept: list[KeyMatch] = []
    for match in matches:  # overlapping formats: the earliest, longest match wins
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


@lru_cache(maxsize=None)
def _loose(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern)


def may_hold_key(text: Union[str, bytes]) -> bool:
    """File prefilter for MLS401: some format's pattern occurs (no boundaries, no entropy)."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    for keyword in (k for k in KEYWORDS if k in text):
        if any(_loose(fmt.pattern).search(text) for fmt in _BY_KEYWORD[keyword]):
            return True
    return False


# File prefilter for MLS402: an identifier that `credential_name` accepts (`api_key`, `HF_TOKEN`,
# `"x-api-key"]`, not `pad_token` or `tokenizer_file`), bound by `=`, `:`, `==` or `: str =` to a
# string literal or an UPPER_CASE constant (or an UPPER_CASE name followed by a string argument:
# `setdefault("HF_TOKEN", "...")`), or a string passed first to a known SDK call. Candidates come
# from str.find: a case-insensitive alternation regex would try every position of the file.
# Every pattern here is linear in the text (tests/test_patterns.py): each identifier is looked at
# once however many credential words it holds, no two repetitions can take the same characters,
# and the annotation between `:` and `=` is at most 200 characters.
_CREDENTIAL_WORDS = ("password", "passwd", "passphrase", "pwd", "secret", "credential", "key", "token",
                     "authorization", "bearer", "pat")
_CREDENTIAL_TAIL = re.compile(r"""(?P<rest>\w*)["']?\]?
    (?:[ \t]*:[\w.\[\],|\ \t]{0,200}?=|[ \t]*[:=!]=?|(?P<comma>["'][ \t]*,))
    [ \t]*(?:[rbuRBU]{0,2}["']|[A-Z][A-Z0-9_]{2,}\b)""", re.X)
_WORD_END = re.compile(r"\w*")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SDK_CALLS = ("login(", "Client(", "ClientV2(", "Github(", "Auth(")
_SDK_TAIL = re.compile(r"""[ \t]*[rbuRBU]{0,2}["']""")
_AUTH_TAIL = re.compile(r"""[^)\n]{0,200}?,[ \t]*[rbuRBU]{0,2}["']""")  # HTTPBasicAuth(user, "...")
_SDK_KEYWORDS = ("wandb", "clearml", "Github")  # SDKs whose credential keyword is `key=` / `login_or_token=`


def may_hold_credential(text: Union[str, bytes]) -> bool:
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    lower = text.translate(_ASCII_LOWER)  # str.lower() can change lengths, so offsets
    for word in _CREDENTIAL_WORDS:
        start = lower.find(word)
        while start != -1:
            end = start + len(word)
            word_end = _WORD_END.match(text, end).end()  # type: ignore[union-attr]
            match = _CREDENTIAL_TAIL.match(text, end)
            if match is not None:
                begin = start
                while begin > 0 and text[begin - 1] in _NAME_CHARS:
                    begin -= 1
                name = text[begin:match.end("rest")]
                upper = name.isupper()
                if (upper or not match.group("comma")) and (
                        credential_name(name) or (upper and credential_name(name, environment=True))
                        or (name in ("key", "login_or_token") and any(k in text for k in _SDK_KEYWORDS))):
                    return True
            # another occurrence in the same identifier has the same name and tail
            start = lower.find(word, word_end)
    for call in _SDK_CALLS:
        start = text.find(call)
        while start != -1:
            if _SDK_TAIL.match(text, start + len(call)) or \
                    (call == "Auth(" and _AUTH_TAIL.match(text, start + len(call))):
                return True
            start = text.find(call, start + len(call))
    return False


class TextTest:
    """A prefilter test in the form `engine.active_rules` takes a trigger: `.search(text)` returns
    None for no. The engine caches the answer per file, so a rule may pair it with each of its
    cheap trigger words: `("hf_", KEY_TEXT)`."""

    def __init__(self, name: str, test) -> None:
        self.name = name
        self.test = test

    def search(self, text: Union[str, bytes]) -> Optional[bool]:
        return True if self.test(text) else None

    def __repr__(self) -> str:
        return f"TextTest({self.name})"


KEY_TEXT = TextTest("provider key", may_hold_key)
CREDENTIAL_TEXT = TextTest("credential binding", may_hold_credential)


def redact(value: Union[str, bytes]) -> str:
    """`sk-p…(164 chars)`: never more than a quarter of the value, at most four characters."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    shown = min(4, len(value) // 4)
    return f"{value[:shown]}…({len(value)} chars)"


# Credential-shaped values that need no rule to be recognised: the password of a URL
# (`https://user:PASSWORD@host`), a credential-named URL or form parameter (`?token=...`), and an
# authorization header value (`Bearer ...`). Bounded repetitions: linear in the text.
_URL_PASSWORD = re.compile(r"(?<=://)[^\s/@:'\"]{0,256}:(?P<value>[^\s/@'\"]{1,256})@")
_PARAMETER = re.compile(r"[?&;](?P<name>[A-Za-z][A-Za-z0-9_.-]{0,63})=(?P<value>[^\s&#'\"]{1,512})")
_AUTHORIZATION = re.compile(r"\b(?:Bearer|Basic|Token|token|bearer)[ \t]+"
                            r"(?P<value>[A-Za-z0-9._~+/=-]{8,512})")


def credential_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL password, credential-named URL parameter value and authorization
    value in `text`: credential-shaped values that need no rule to be recognised."""
    spans = []
    if "://" in text:
        spans += [m.span("value") for m in _URL_PASSWORD.finditer(text)]
    if "=" in text:
        spans += [m.span("value") for m in _PARAMETER.finditer(text)
                  if len(m.group("value")) >= 8 and credential_name(m.group("name"), environment=True)]
    if "earer" in text or "asic" in text or "oken" in text:
        spans += [m.span("value") for m in _AUTHORIZATION.finditer(text)]
    return spans


def scrub(text: str) -> str:
    """`text` with every provider key, URL password, credential-named URL parameter and
    authorization header value replaced by its redacted form (for messages and diffs: a secret
    is never shown in full, whichever rules ran)."""
    if not text:
        return text
    spans = [(m.start, m.end) for m in find_keys(text)] if has_keyword(text) else []
    spans += credential_spans(text)
    if not spans:
        return text
    out = []
    last = 0
    for start, end in sorted(spans):
        if start < last:  # overlapping: already redacted
            continue
        out.append(text[last:start])
        out.append(redact(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def iter_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(1-based line, offset of the line in text, line) for each line of `text`, split where
    Python splits lines (not at form feeds or U+2028, as str.splitlines does)."""
    for number, match in enumerate(_LINE.finditer(text), 1):
        yield number, match.start(), match.group()


# -- credential names (MLS402) ----------------------------------------------------------------

# Words that make a name a credential on their own.
SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "apikey", "credential",
    "credentials", "authorization", "bearer",
})
# `<word>_key` and `<word>_token` are credentials for these words (and the providers below).
KEY_PREFIXES = frozenset({
    "api", "access", "secret", "private", "auth", "subscription", "master", "encryption",
    "signing", "client", "app", "service", "license", "dev", "developer", "account", "admin",
    "session", "sk", "user", "personal", "write", "read", "hub", "login", "oauth", "refresh",
    "id", "bot", "bearer", "jwt", "pat", "webhook",
})
PROVIDER_WORDS = frozenset({
    "openai", "anthropic", "claude", "gemini", "google", "groq", "cohere", "co", "mistral",
    "together", "replicate", "pinecone", "wandb", "hf", "huggingface", "huggingfacehub",
    "serpapi", "serper", "tavily", "langchain", "langsmith", "deepseek", "perplexity", "pplx",
    "xai", "grok", "openrouter", "fireworks", "azure", "aws", "elevenlabs", "voyage", "jina",
    "assemblyai", "deepgram", "github", "gh", "gitlab", "slack", "discord", "telegram",
    "comet", "neptune", "clearml", "kaggle", "nvidia", "ngc", "modal", "runpod", "qdrant",
    "weaviate", "cerebras", "sambanova", "ai21", "llama", "lamini", "unstructured", "firecrawl",
})
# The last word of a name that holds something *about* a credential, not the credential.
NOT_CREDENTIAL_SUFFIXES = frozenset({
    "name", "names", "id", "ids", "arn", "path", "paths", "file", "filename", "files", "dir",
    "url", "uri", "endpoint", "env", "var", "variable", "field", "fields", "type", "types",
    "prefix", "suffix", "len", "length", "size", "header", "param", "params", "label",
    "template", "format", "pattern", "regex", "re", "count", "num", "max", "min", "ttl",
    "expiry", "expires", "expiration", "version", "scope", "scopes", "kind", "mode", "source",
    "provider", "location", "store", "manager", "hash", "hashed", "digest", "salt", "policy",
    "rules", "rule", "required", "enabled", "set", "valid", "validator", "reset", "prompt",
    "input", "hint", "help", "description", "desc", "message", "msg", "error", "errors",
    "attr", "attribute", "class", "cls", "fn", "func",
    "function", "callback", "getter", "setter", "loader", "parser", "pos", "position",
    "index", "idx", "mask", "strategy", "config", "cfg", "settings", "option",
    "options", "flag", "is", "has", "status", "state", "text", "placeholder", "example",
    "sample", "schema", "spec", "limit", "usage", "budget", "cost", "counter", "list",
    "map", "mapping", "dict", "table", "column", "col", "pair", "tuple", "iter", "iterator",
    "encoder", "decoder", "tokenizer", "embedding", "embeddings", "dim", "dims", "width",
})
# Tokenizer vocabulary and settings: `<word>_token(s)` that are not credentials.
TOKENIZER_WORDS = frozenset({
    "pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "additional", "start", "end",
    "image", "img", "audio", "video", "vision", "boi", "eoi", "boa", "eoa", "default",
    "max", "min", "num", "new", "total", "prompt", "completion", "input", "output", "context",
    "decoder", "encoder", "first", "last", "next", "prev", "current", "cur", "bad", "stop",
    "fill", "think", "tool", "system", "assistant", "eot", "eom", "im", "sot", "eof",
    "placeholder", "dummy", "null", "blank", "space", "newline", "separator", "split",
    "break", "answer", "question", "query", "doc", "document", "label", "class", "task",
    "lang", "language", "speaker", "time", "timestamp", "box", "point", "ref", "object",
    "region", "patch", "frame", "sample", "text", "word", "char", "byte", "sub", "subword",
    "vocab", "cache", "continuation", "sentinel", "generation", "generated", "target",
    "source", "src", "tgt", "decoder_start", "forced", "suppress", "begin", "response",
    "prefix", "suffix", "middle", "reasoning", "reserved", "audio_bos", "audio_eos",
})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """`openaiApiKey`, `OPENAI_API_KEY`, `x-api-key` -> their lower-case words."""
    words = []
    for part in _SPLIT.split(name):
        if part:
            words.extend(w.lower() for w in _CAMEL.split(part) if w)
    return words


def credential_name(name: str, *, environment: bool = False) -> bool:
    """Whether a variable, attribute, keyword, dict key (or, with `environment`, an environment
    variable) of this name holds a credential. Tokenizer vocabulary (`pad_token`,
    `max_tokens`, `special_tokens`) and names about a credential (`api_key_env`,
    `token_url`, `secret_name`) are not credentials."""
    words = name_words(name)
    if not words:
        return False
    last = words[-1]
    if len(words) > 1 and last in NOT_CREDENTIAL_SUFFIXES:
        return False
    if any(w in SECRET_WORDS for w in words):
        return True
    if last in ("key", "token"):
        if len(words) == 1:
            return last == "token" or environment
        previous = words[-2]
        if last == "token" and previous in TOKENIZER_WORDS:
            return False
        return previous in KEY_PREFIXES or previous in PROVIDER_WORDS or environment
    if last in ("pat",) and environment:
        return True
    return False


# -- values (MLS402) ------------------------------------------------------------------------

# Values local servers and SDK examples use where a key is required but ignored.
NOT_SECRET_VALUES = frozenset({
    "empty", "none", "null", "nil", "ollama", "lm-studio", "lmstudio", "vllm", "llamacpp",
    "sk-no-key-required", "no-key", "nokey", "no_key", "not-needed", "not_needed", "notneeded",
    "na", "n/a", "dummy", "test", "fake", "mock", "changeme", "password", "secret", "token",
    "api_key", "apikey", "api-key", "key", "anything", "unused", "local", "default", "xxx",
    "sk-xxx", "sk-fake", "sk-test", "sk-dummy", "sk-local", "sk-1234", "abc123", "123456",
})
_PLACEHOLDER_WORDS = (
    "your", "example", "placeholder", "dummy", "changeme", "change_me", "change-me", "replace",
    "insert", "redacted", "fake", "test", "sample", "mock", "here", "todo", "fixme", "secret_key",
    "api_key", "apikey", "xxxx", "****", "....", "…", "<", ">", "${", "{{", "%(", "$(",
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_WORDY = re.compile(r"^[a-z]+(?:[-_. ][a-z]+)*$")
_PATHISH = re.compile(r"^[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+/?$")  # v1/detect/secrets, org/model-name
# a key *name* or identifier, not a value: `session_signing_key_v2`, `openai-api-key`
_IDENTIFIER = re.compile(r"^[a-z]+[0-9]*(?:[-_.:](?:[a-z]+[0-9]*|[0-9]{1,8}))+$")
# a regular expression: escapes, character classes with a repetition, groups, anchors
_REGEX = re.compile(r"\\[dwsbDWSB]|\[[^\]]{1,40}\][*+?{]|\(\?[:=!<P]|\{\d+(?:,\d*)?\}|^\^.*\$$")
# names, not values: HTTP header names (`X-Request-Id`, `Authorization`), CamelCase and camelCase
# names (`ClientSecretCredential`, `masterKey`), `__sentinel__` and `_private_name` identifiers, import paths
# (`._internal.cloud.api_token:ApiToken`)
_NAMELIKE = re.compile(r"^(?:[A-Z][a-z0-9]*(?:-[A-Z][A-Za-z0-9]*)+|[A-Z][a-z]+|[A-Za-z][a-z]+(?:[A-Z][a-z]+)+"
                       r"|[A-Z]{2,6}(?:[A-Z][a-z]+)+"
                       r"|_+[a-z0-9]+(?:_+[a-z0-9]+)*_*|\.?[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")
#: publishable by design: shipped to browsers and apps (PostHog project keys, Stripe publishable
#: keys, Mapbox public tokens)
PUBLIC_KEY_PREFIXES = ("phc_", "pk_live_", "pk_test_", "pk.eyJ")
_FILE_SUFFIX = re.compile(r"\.(?:json|ya?ml|txt|pem|key|crt|cer|p12|pfx|env|ini|cfg|toml|gpg|asc|jks)$", re.I)
_AUTH_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|token|bearer|Bot|ApiKey)\s+(?=\S)")


def placeholder_value(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in NOT_SECRET_VALUES or lowered.rstrip(".") in ("sk-", "sk", "hf_", "hf"):
        return True
    return any(w in lowered for w in _PLACEHOLDER_WORDS) or bool(_RUN.search(value))


def strip_auth_scheme(value: str) -> str:
    """`Bearer abc` -> `abc` (an Authorization header value)."""
    return _AUTH_SCHEME.sub("", value, count=1)


def looks_secret(value: str, *, relaxed: bool = False) -> bool:
    """A literal that is plausibly a real credential: not empty, ASCII (keys are; a placeholder in
    another script such as "sk-여기에-본인키" is not), not a placeholder, no whitespace, not a
    path, URL, environment variable name, identifier or key name (`session_key_v2`), command-line
    flag, regular expression or publishable key, and random-looking. `relaxed` (a known SDK
    credential parameter) drops the randomness test."""
    value = strip_auth_scheme(value.strip())
    if len(value) < 8 or not value.isascii() or any(c.isspace() for c in value) or placeholder_value(value):
        return False
    if "://" in value or value.startswith(("/", "./", "../", "~", "$")) or _FILE_SUFFIX.search(value):
        return False
    if _ENV_NAME.match(value) or _WORDY.match(value) or _PATHISH.match(value) or _IDENTIFIER.match(value):
        return False
    if value.startswith("-") or value.startswith(PUBLIC_KEY_PREFIXES) or _REGEX.search(value) \
            or _NAMELIKE.match(value):
        return False  # a command-line flag, a publishable key, a pattern, a name
    if relaxed:
        return True
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    bits = entropy(value)
    return (classes >= 2 and bits >= 2.5) or (len(value) >= 16 and bits >= 3.5)


# Known SDK calls whose credential parameter has a name that says nothing by itself (`key=`,
# a positional argument): qualified name -> ((keyword, position or None), ...). These are
# checked with the randomness test relaxed.
SDK_CREDENTIAL_PARAMS: dict[str, tuple[tuple[str, Optional[int]], ...]] = {
    "wandb.login": (("key", None),),
    "huggingface_hub.login": (("token", 0),),
    "huggingface_hub.HfApi": (("token", 1),),
    "huggingface_hub.hf_api.HfApi": (("token", 1),),
    "huggingface_hub.HfFolder.save_token": (("token", 0),),
    "huggingface_hub.InferenceClient": (("token", None), ("api_key", None)),
    "cohere.Client": (("api_key", 0),),
    "cohere.ClientV2": (("api_key", 0),),
    "cohere.AsyncClient": (("api_key", 0),),
    "github.Github": (("login_or_token", 0), ("password", 1)),
    "requests.auth.HTTPBasicAuth": (("password", 1),),
    "requests.auth.HTTPDigestAuth": (("password", 1),),
    "httpx.BasicAuth": (("password", 1),),
    "clearml.Task.set_credentials": (("key", None), ("secret", None)),
    "boto3.client": (("aws_secret_access_key", None), ("aws_session_token", None)),
    "boto3.resource": (("aws_secret_access_key", None), ("aws_session_token", None)),
    "boto3.Session": (("aws_secret_access_key", None), ("aws_session_token", None)),
    "boto3.session.Session": (("aws_secret_access_key", None), ("aws_session_token", None)),
}

# -- environment variable names for the fix ---------------------------------------------------

# module root of an SDK call -> the variable its api_key/token parameter falls back to
SDK_ENV = {
    "openai": "OPENAI_API_KEY", "langchain_openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
    "langchain_anthropic": "ANTHROPIC_API_KEY", "huggingface_hub": "HF_TOKEN", "transformers": "HF_TOKEN",
    "datasets": "HF_TOKEN", "wandb": "WANDB_API_KEY", "cohere": "CO_API_KEY", "groq": "GROQ_API_KEY",
    "replicate": "REPLICATE_API_TOKEN", "pinecone": "PINECONE_API_KEY", "github": "GITHUB_TOKEN",
    "google": "GOOGLE_API_KEY", "mistralai": "MISTRAL_API_KEY", "together": "TOGETHER_API_KEY",
    "langsmith": "LANGSMITH_API_KEY", "comet_ml": "COMET_API_KEY", "neptune": "NEPTUNE_API_TOKEN",
    "xai_sdk": "XAI_API_KEY", "litellm": "OPENAI_API_KEY",
}
GENERIC_CREDENTIAL_NAMES = frozenset({"api_key", "apikey", "key", "token", "api_token", "secret",
                                      "password", "auth_token", "access_token", "login_or_token"})


def env_name(name: Optional[str], sdk: Optional[str] = None) -> str:
    """The environment variable a fix reads: the SDK's own for a generic parameter name of a
    known SDK (`OpenAI(api_key=...)` -> OPENAI_API_KEY), else the name in upper snake case."""
    words = name_words(name or "")
    joined = "_".join(words)
    if joined in ("authorization", "proxy_authorization", "bearer"):
        return "API_TOKEN"
    if sdk and (not words or joined in GENERIC_CREDENTIAL_NAMES) and sdk.split(".")[0] in SDK_ENV:
        return SDK_ENV[sdk.split(".")[0]]
    return joined.upper() or "API_KEY"
