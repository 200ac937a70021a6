"""MLS3xx: unverified downloads, transport and archives."""
from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ml_seclint.analysis.calls import callee_terminal, terminal
from ml_seclint.analysis.nodes import calls_in, children
from ml_seclint.analysis.objects import created_by, enclosing_with_item
from ml_seclint.analysis.resolve import (ENVIRONMENT_WRITES, MISSING, UNKNOWN, CallView, calls_of,
                                         environment_writes, literal, local_function,
                                         qualnames, string_prefix)
from ml_seclint.analysis.scopes import IMPORT, Scope
from ml_seclint.fix.fixes import UNSAFE, Fix, add_keyword, keyword, remove_arg
from ml_seclint.engine.rows import FALSE, NOT_TRUE, TRUE, Arg, Hit, Row, given, is_false, matches
from ml_seclint.engine.rule import Option, Rule
from ml_seclint.engine.triggers import CodeWord
from ml_seclint.engine.versions import requires_python_floor, version_at_least


class TransportRule(Rule):
    guideline = "3.1"
    secondary_guidelines = ("2.1",)
    owasp = ("LLM03:2025", "ML06:2023")
    atlas = ("AML.T0010.002", "AML.T0010.003")


def _names(modules, attrs) -> frozenset:
    return frozenset(f"{m}.{a}" for m in modules for a in attrs)


# -- HTTP clients ---------------------------------------------------------------------------

VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
REQUESTS_FUNCS = _names(("requests", "requests.api"), (*VERBS, "request"))
HTTPX_FUNCS = _names(("httpx",), (*VERBS, "request", "stream"))
HTTPX_CLIENTS = _names(("httpx",), ("Client", "AsyncClient"))
HTTPX_TRANSPORTS = _names(("httpx",), ("HTTPTransport", "AsyncHTTPTransport"))
SESSIONS = _names(("requests", "requests.sessions"), ("Session", "session"))
AIOHTTP_SESSIONS = _names(("aiohttp", "aiohttp.client"), ("ClientSession",))
AIOHTTP_CONNECTORS = _names(("aiohttp", "aiohttp.connector"), ("TCPConnector",))
AIOHTTP_FUNCS = frozenset({"aiohttp.request"})
SESSION_METHODS = frozenset({*VERBS, "request", "send", "stream", "ws_connect"})
GDOWN = _names(("gdown",), ("download", "cached_download", "download_folder"))


def client_of(view: CallView, scope: Scope) -> Optional[str]:
    """"requests", "httpx" or "aiohttp" when the call is an HTTP request of that library: a
    module function, or a method of a session/client object made in this scope."""
    names = view.names
    if names & REQUESTS_FUNCS:
        return "requests"
    if names & HTTPX_FUNCS:
        return "httpx"
    if names & AIOHTTP_FUNCS:
        return "aiohttp"
    func = view.node.func
    if isinstance(func, cst.Attribute) and func.attr.value in SESSION_METHODS and not view.partial:
        receiver = func.value
        if created_by(receiver, scope, SESSIONS):
            return "requests"
        if created_by(receiver, scope, HTTPX_CLIENTS):
            return "httpx"
        if created_by(receiver, scope, AIOHTTP_SESSIONS):
            return "aiohttp"
    return None


def imported_libraries(scope: Scope) -> frozenset[str]:
    """Top-level packages imported in this scope and the scopes around it."""
    found: set[str] = set()
    current: Optional[Scope] = scope
    while current is not None:
        cached = current.__dict__.get("_imported")
        if cached is None:
            cached = frozenset(b.qualname.split(".")[0] for bindings in current.bindings.values()
                               for b in bindings if b.kind == IMPORT and b.qualname)
            current.__dict__["_imported"] = cached
        found |= cached
        current = current.parent
    return frozenset(found)


def _untracked_method(view: CallView, scope: Scope) -> bool:
    """`self.session.get(...)`: an HTTP verb method of an object the analysis cannot follow."""
    func = view.node.func
    return (view.partial is None and isinstance(func, cst.Attribute) and func.attr.value in SESSION_METHODS
            and not qualnames(func.value, scope))


# -- MLS301 ---------------------------------------------------------------------------------

_KERAS = ("keras", "tensorflow.keras", "tf_keras", "keras.utils", "tensorflow.keras.utils",
          "tf_keras.utils", "keras.utils.data_utils", "keras.src.utils.file_utils",
          "tensorflow.python.keras.utils.data_utils")
_TORCHVISION = ("torchvision.datasets.utils",)
_URLOPEN = _names(("urllib.request", "six.moves.urllib.request", "future.moves.urllib.request"), ("urlopen",))
_URLRETRIEVE = _names(("urllib.request", "urllib", "six.moves.urllib.request", "future.moves.urllib.request"),
                      ("urlretrieve",))


def _hash_rows(checked: dict) -> tuple:
    """One row per group of downloaders that take the same hash argument(s)."""
    groups: dict = {}
    for name, (arguments, hint) in checked.items():
        groups.setdefault((arguments, hint), set()).add(name)
    return tuple(Row(frozenset(names), tuple(Arg(k, p) for k, p in arguments), NOT_TRUE,
                     message=f"{{name}}() downloads a file without checking its hash; {hint}",
                     unless=_hashes_here)
                 for (arguments, hint), names in sorted(groups.items(), key=lambda item: sorted(item[1])))


#: calls that compute or compare a digest (besides any `hashlib.<x>(...)`)
_HASHING = frozenset({"hexdigest", "compare_digest", "file_digest", "checksum", "verify_checksum",
                      "check_integrity", "validate_file", "hash_file", "calculate_md5", "check_md5",
                      "check_sha256", "sha256sum", "md5sum"})


def _saves_unhashed(hit: Hit) -> bool:
    """A streamed HTTP response in a function that writes a file and never computes a digest."""
    return client_of(hit.view, hit.view.scope) is not None and _saved_unhashed(hit)


def _saved_unhashed(hit: Hit) -> bool:
    """The response of this call can be what the function writes to a file: no digest is computed
    in the function or after each call of it, and more than its headers are read."""
    writes, hashes = _writes_and_hashes(hit.view.scope)
    return writes and not hashes and not _checked_by_callers(hit.view.scope) \
        and not _metadata_only(hit.node, hit.view.scope)


#: what a response offers besides its body: reading only these saves nothing
_RESPONSE_METADATA = frozenset({"cookies", "headers", "status_code", "ok", "url", "reason", "history",
                                "raise_for_status", "close", "encoding", "elapsed", "links"})


def _metadata_only(call: cst.Call, scope: Scope) -> bool:
    """The response is bound to a name (`r = get(...)`, `with get(...) as r`) that the function
    reads only for its cookies, headers or status: the Google Drive confirmation request, whose
    body is never written (the download is the next request)."""
    name, region = _bound_name(call, scope.node)
    if name is None:
        return False
    uses = metadata = 0
    pending: list[cst.CSTNode] = [region]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
            uses += 1
            metadata += node.attr.value in _RESPONSE_METADATA
            continue
        if isinstance(node, cst.Name) and node.value == name:
            uses += 1
        elif isinstance(node, (cst.AsName, cst.AssignTarget)):
            continue  # the binding itself
        pending.extend(children(node))
    return uses > 0 and uses == metadata


def _bound_name(call: cst.Call, root: cst.CSTNode) -> tuple[Optional[str], cst.CSTNode]:
    """The name the response is bound to, and where that binding is read: the body of its `with`
    statement, or the whole function for an assignment."""
    pending: list[cst.CSTNode] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.With):
            for item in node.items:
                if item.item is call and item.asname is not None and isinstance(item.asname.name, cst.Name):
                    return item.asname.name.value, node.body
        if isinstance(node, cst.Assign) and node.value is call and len(node.targets) == 1 \
                and isinstance(node.targets[0].target, cst.Name):
            return node.targets[0].target.value, root
        pending.extend(children(node))
    return None, root


def _hashes_here(hit: Hit) -> bool:
    """The function holding the download computes a digest (it checks the file itself), or every
    call of it in the module is in a function that does (a fetch helper whose callers check)."""
    return _writes_and_hashes(hit.view.scope)[1] or _checked_by_callers(hit.view.scope)


def _writes_and_hashes(scope: Scope) -> tuple[bool, bool]:
    """Whether the scope's code writes a file, and whether it computes a digest; computed once."""
    cached = scope.__dict__.get("_writes_hashes")
    if cached is None:
        writes = hashes = False
        for call in calls_in(scope.node):
            writes = writes or _writes_file(call, scope)
            if _hashing(call) or _helper_digests(call, scope, depth=1):
                hashes = True
                break
        cached = scope.__dict__["_writes_hashes"] = (writes, hashes)
    return cached


def _computes_digest(function: cst.FunctionDef, scope: Scope, depth: int) -> bool:
    """The function computes a digest, itself or through functions and methods of this module
    up to `depth` calls deep (`self.verify()` -> `_sha256_digest(path)` -> `hashlib.sha256`)."""
    return any(_hashing(call) or _helper_digests(call, scope, depth) for call in calls_in(function))


def _helper_digests(call: cst.Call, scope: Scope, depth: int) -> bool:
    """The call is to a function or method of this module that computes a digest."""
    if depth <= 0:
        return False
    helper = local_function(call.func, scope)  # a checksum helper of the module
    if helper is None or helper is scope.node:
        return False
    return _computes_digest(helper, _scope_of(helper, call.func, scope), depth - 1)


def _scope_of(helper: cst.FunctionDef, func: cst.BaseExpression, scope: Scope) -> Scope:
    """The scope of the function or method `func` names (see local_function), for its own calls."""
    owner: Optional[Scope] = None
    if isinstance(func, cst.Name):
        owner, bindings = scope.lookup(func.value)
        if owner is not None and bindings and isinstance(bindings[0].node, cst.ClassDef):
            owner = Scope(bindings[0].node, owner)  # Loader(...) -> Loader.__init__
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and func.value.value in ("self", "cls"):
        owner = scope.class_scope()
    return Scope(helper, owner or scope.module())


def _checked_by_callers(scope: Scope) -> bool:
    """The function holding the download is called in this module, and every call is followed by
    a digest computed in the calling function: a low-level fetch helper (stanza's `download_file`, a
    loader's `download()` method) whose callers check the file right after (`request_file` ->
    `assert_file_exists(path, md5)`, `self.download(); self.verify()`). Computed once."""
    cached = scope.__dict__.get("_checked_by_callers")
    if cached is None:
        node, parent = scope.node, scope.parent
        cached = False
        if isinstance(node, cst.FunctionDef) and parent is not None and parent.kind in ("module", "class"):
            callers = list(calls_of(node, scope.module() if parent.kind == "module" else parent))
            cached = bool(callers) and all(
                function is not None and function is not node and _digest_after(call, function, inner)
                for call, function, inner in callers)
        scope.__dict__["_checked_by_callers"] = cached
    return cached


def _digest_after(call: cst.Call, function: cst.FunctionDef, scope: Scope) -> bool:
    """A digest is computed after `call` in the function's source order (a check of a file
    already in the cache, before the download, does not count)."""
    seen = False
    for other in calls_in(function):
        if other is call:
            seen = True
        elif seen and (_hashing(other) or _helper_digests(other, scope, depth=2)):
            return True
    return False


def _hashing(call: cst.Call) -> bool:
    func = call.func
    return terminal(func) in _HASHING or (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                                          and func.value.value == "hashlib")


def _writes_file(call: cst.Call, scope: Scope) -> bool:
    """`open(p, "wb")`, `p.open("ab")`, `gzip.open(p, "wb")`, `shutil.copyfileobj`, `write_bytes`;
    not into a fixed image file (`open(f"{STATIC}/favicon.png", "wb")`: a UI asset, not a model
    or dataset; a name with a placeholder, `f"{images}/{i}.jpg"`, may be a dataset and counts)."""
    name = terminal(call.func)
    if name == "copyfileobj":
        target = call.args[1].value if len(call.args) > 1 else None
        if isinstance(target, cst.Name):
            opened = enclosing_with_item(target, scope, call)
            return opened is None or not (isinstance(opened[0], cst.Call) and _image_asset(opened[0]))
        return True
    if name == "write_bytes":
        return not (isinstance(call.func, cst.Attribute) and _fixed_image_name(call.func.value))
    return name == "open" and not _image_asset(call) and any(
        isinstance(a.value, cst.SimpleString) and _MODE.match(a.value.raw_value) and
        any(c in a.value.raw_value for c in "wa") for a in call.args)


_MODE = re.compile(r"^[rwxabt+]{1,3}$")
_IMAGE_FILE = re.compile(r"(^|[/\\])[\w.-]+\.(png|jpe?g|gif|ico|svg|webp|bmp)$", re.I)


def _image_asset(call: cst.Call) -> bool:
    """`open(<fixed image file name>, ...)`."""
    return bool(call.args) and _fixed_image_name(call.args[0].value)


def _fixed_image_name(path: cst.BaseExpression) -> bool:
    """The path's last part is a literal image file name: `"logo.png"`, `f"{d}/favicon.ico"`,
    `os.path.join(d, "splash.png")`, `d / "icon.svg"`."""
    if isinstance(path, cst.Call) and path.args:  # os.path.join(d, "x.png"), Path(...)
        path = path.args[-1].value
    elif isinstance(path, cst.BinaryOperation) and isinstance(path.operator, cst.Divide):
        path = path.right
    if isinstance(path, cst.SimpleString):
        return bool(_IMAGE_FILE.search(path.raw_value))
    if isinstance(path, cst.FormattedString) and path.parts:
        last = path.parts[-1]
        return isinstance(last, cst.FormattedStringText) and ("/" in last.value or len(path.parts) == 1) \
            and bool(_IMAGE_FILE.search(last.value))
    return False


def _https(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


class DownloadWithoutIntegrityCheck(TransportRule):
    code = "MLS301"
    summary = "A model or dataset is downloaded without checking it against a known hash"
    message = ("{name}() downloads a file without checking it against a known hash: a tampered or "
               "swapped model or dataset is used as is")
    severity = "medium"
    guideline = "3.2"
    secondary_guidelines = ("2.1", "2.3")
    cwe = (494, 353)
    #: qualified name -> ((hash keyword, its position), ...), the hint for the message; a call
    #: passing none of them (or None/False) is a finding
    CHECKED = {
        "torch.hub.download_url_to_file": ((("hash_prefix", 2),), "pass hash_prefix=<sha256 prefix>"),
        **{n: ((("check_hash", 4),), "pass check_hash=True (the file name carries the hash prefix)")
           for n in ("torch.hub.load_state_dict_from_url", "torch.utils.model_zoo.load_url",
                     "torchvision.models.utils.load_state_dict_from_url",
                     "torchvision._internally_replaced_utils.load_state_dict_from_url")},
        **{f"{m}.get_file": ((("file_hash", 4), ("md5_hash", 3)), "pass file_hash=<sha256>")
           for m in _KERAS},
        **{f"{m}.{f}": ((("md5", p),), "pass md5=<checksum>")
           for m in _TORCHVISION
           for f, p in (("download_url", 3), ("download_and_extract_archive", 4),
                        ("download_file_from_google_drive", 3))},
        # torchaudio's older copy (ESPnet and other recipes still import it)
        "torchaudio.datasets.utils.download_url": ((("hash_value", 3),), "pass hash_value=<sha256>"),
        "gdown.cached_download": ((("hash", None), ("md5", 2)), "pass hash=\"sha256:<digest>\""),
    }
    rows = (
        # never verified
        Row(_URLRETRIEVE | {"wget.download", "gdown.download"}, unless=_hashes_here,
            message=lambda hit: DownloadWithoutIntegrityCheck.message.format(
                name=hit.name.replace("six.moves.", "").replace("future.moves.", ""))),
        *_hash_rows(CHECKED),
        Row(keyword_only=True, args=Arg("stream"), when=TRUE, requires=("requests", "httpx"),
            unless=lambda hit: not _saves_unhashed(hit),
            message="{name}(stream=True) saves a download to a file without checking a hash: a tampered "
                    "or swapped model or dataset is used as is; hash the chunks (hashlib) and compare"),
        Row(_URLOPEN, unless=lambda hit: not _saved_unhashed(hit),
            message="{name}() response saved to a file without checking a hash: a tampered or swapped "
                    "model or dataset is used as is; hash the chunks (hashlib) and compare"),
        Row(method="from_single_file", args=Arg("pretrained_model_link_or_path", 0),
            when=matches("a URL", _https), unless=_hashes_here,
            message="{name}() downloads a single checkpoint from a URL without checking its hash; "
                    "download it with a pinned revision or a checked digest first"),
    )


# -- MLS302 ---------------------------------------------------------------------------------

UNVERIFIED_CONTEXTS = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
CERT_NONE = frozenset({"ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"})
CA_VARIABLES = frozenset({"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"})
ENVIRON = frozenset({"os.environ"})
DEFAULT_CONTEXT = frozenset({"ssl._create_default_https_context"})


def _tls_library(hit: Hit) -> Optional[str]:
    """The HTTP library a `verify=` call belongs to, or None when it is not an HTTP call."""
    view, scope, names = hit.view, hit.view.scope, hit.view.names
    library = client_of(view, scope)
    if library is None and names & (HTTPX_CLIENTS | HTTPX_TRANSPORTS | GDOWN):
        library = "httpx" if not names & GDOWN else "gdown"
    if library is None and _untracked_method(view, scope) \
            and imported_libraries(scope) & {"requests", "httpx"}:
        library = "requests"
    return library


# keywords of a HEAD request that send nothing but the URL
_PROBE_KEYWORDS = frozenset({"url", "verify", "timeout", "allow_redirects", "follow_redirects"})
HEAD_FUNCTIONS = frozenset({"requests.head", "requests.api.head", "httpx.head"})


def _bare_head_probe(hit: Hit) -> bool:
    """`httpx.head(url, timeout=3, verify=False)`: a liveness probe that sends no headers, cookies,
    credentials or body and reads only a status code, so nothing leaks and nothing is downloaded.
    Reported: a HEAD request that sends `headers=`/`auth=`/`cookies=`/`params=` (or `**kwargs`), and
    a session's or client's `head()` (it sends the session's headers and cookies)."""
    if not hit.view.names & HEAD_FUNCTIONS:
        return False
    positional = [a for a in hit.view.args if a.keyword is None]
    return len(positional) <= 1 and all(a.star == "" for a in positional) and all(
        a.keyword.value in _PROBE_KEYWORDS for a in hit.view.args if a.keyword is not None)


def _aiohttp(hit: Hit) -> bool:
    view, scope = hit.view, hit.view.scope
    return bool(view.names & (AIOHTTP_CONNECTORS | AIOHTTP_FUNCS)) or client_of(view, scope) == "aiohttp" \
        or (_untracked_method(view, scope) and "aiohttp" in imported_libraries(scope))


def _remove_verify(hit: Hit) -> Optional[Fix]:
    written = next((a for a in hit.node.args if a.keyword is not None and a.keyword.value == "verify"), None)
    return Fix("remove verify=False", UNSAFE, {hit.node: remove_arg(hit.node, written)}) if written else None


def _ca_cleared(hit: Hit) -> Optional[str]:
    """`os.environ.update(CURL_CA_BUNDLE="")` and the like: the message, or None."""
    pairs = environment_writes(hit.view, hit.name)
    return next((_ca_message(key) for key, value in pairs if key in CA_VARIABLES and value == ""), None)


class TlsVerificationDisabled(TransportRule):
    code = "MLS302"
    honours_opt_in = True  # `if not ssl_verify:` honours the user's explicit choice
    summary = "TLS certificate verification is turned off for HTTP downloads or API calls"
    message = ("verify=False turns off certificate checks: anyone on the network path can serve their own "
               "model, data or API response")
    context_message = "{name}() makes an SSL context that accepts any certificate for any host"
    cert_none_message = "cert_reqs=CERT_NONE accepts any certificate: the connection is not authenticated"
    aiohttp_message = ("aiohttp {arg}=False turns off certificate checks: anyone on the network path can "
                       "answer in the server's name")
    severity = "high"
    cwe = (295, 297)
    fix_safety = UNSAFE
    # for the attribute assignments of visit_Assign
    triggers = ("check_hostname", "CERT_NONE", "CA_BUNDLE", "_create_unverified_context",
                "_create_stdlib_context")
    # visit_Assign: `x.check_hostname`/`x.verify_mode` on any object, `session.verify` of a
    # requests session, ssl's default context, os.environ[...]
    cheap_names = frozenset({"check_hostname", "verify_mode"})
    cheap_callees = SESSIONS | DEFAULT_CONTEXT | ENVIRON
    rows = (
        Row(UNVERIFIED_CONTEXTS, message=context_message),
        Row(ENVIRONMENT_WRITES, message=_ca_cleared, requires=("CA_BUNDLE",)),
        Row(keyword_only=True, args=Arg("cert_reqs"), message=cert_none_message,
            when=given("ssl.CERT_NONE", lambda hit: _cert_none(hit.expr, hit.scope))),
        Row(keyword_only=True, args=Arg("verify"), when=FALSE, fix=_remove_verify,
            unless=lambda hit: _tls_library(hit) is None or _bare_head_probe(hit),
            requires=("requests", "httpx", "gdown")),
        Row(keyword_only=True, args=(Arg("ssl"), Arg("verify_ssl")), when=FALSE,
            message=lambda hit: TlsVerificationDisabled.aiohttp_message.format(arg=hit.arg.keyword),
            unless=lambda hit: not _aiohttp(hit), requires=("aiohttp",)),
    )

    def visit_Assign(self, node: cst.Assign) -> None:
        scope = self.ctx.scope
        for target in node.targets:
            self._assignment(node, target.target, node.value, scope)

    def _assignment(self, node: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression,
                    scope: Scope) -> None:
        if isinstance(target, cst.Attribute):
            attr = target.attr.value
            if attr == "verify":
                if is_false(literal(value, scope)) and created_by(target.value, scope, SESSIONS):
                    self.report(node, "session.verify = False turns off certificate checks for every "
                                      "request of this requests.Session")
            elif attr == "check_hostname":
                if is_false(literal(value, scope)):
                    self.report(node, "check_hostname = False accepts a valid certificate of any host: "
                                      "the server is not authenticated")
            elif attr == "verify_mode":
                if _cert_none(value, scope):
                    self.report(node, "verify_mode = CERT_NONE accepts any certificate: the connection is "
                                      "not authenticated")
            elif attr == "_create_default_https_context":
                if qualnames(target, scope) == DEFAULT_CONTEXT \
                        and qualnames(value, scope) & UNVERIFIED_CONTEXTS:
                    self.report(node, "replacing ssl._create_default_https_context with an unverified "
                                      "context turns off certificate checks for every HTTPS request of "
                                      "the process")
        elif isinstance(target, cst.Subscript) and qualnames(target.value, scope) & ENVIRON \
                and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = literal(target.slice[0].slice.value, scope)
            if key in CA_VARIABLES and literal(value, scope) == "":
                self.report(node, _ca_message(key))


def _ca_message(key: str) -> str:
    return (f"{key}=\"\" is the known work-around for certificate errors on hub downloads: with requests "
            f"before 2.28 it turns off certificate checks for every request of the process; fix the CA "
            f"bundle instead")


def _cert_none(expr: cst.BaseExpression, scope: Scope) -> bool:
    if qualnames(expr, scope) & CERT_NONE:
        return True
    return literal(expr, scope) == "CERT_NONE"


# -- MLS303 ---------------------------------------------------------------------------------

_URLLIB = ("urllib.request", "urllib2", "urllib", "six.moves.urllib.request", "future.moves.urllib.request")
_PANDAS_READERS = {"read_csv": "filepath_or_buffer", "read_table": "filepath_or_buffer",
                   "read_json": "path_or_buf", "read_parquet": "path", "read_excel": "io",
                   "read_feather": "path", "read_pickle": "filepath_or_buffer", "read_xml": "path_or_buffer",
                   "read_html": "io"}
#: fetch call -> (position, keyword) of its URL
FETCHES: dict[str, tuple[Optional[int], str]] = {
    **{n: (0, "url") for n in _names(("requests", "requests.api", "httpx"), VERBS)},
    **{n: (1, "url") for n in _names(("requests", "requests.api", "httpx"), ("request",))},
    "httpx.stream": (1, "url"),
    "aiohttp.request": (1, "url"),
    **{n: (0, "url") for n in _names(_URLLIB, ("urlopen", "urlretrieve", "Request"))},
    "wget.download": (0, "url"),
    **{n: (0, "url") for n in GDOWN},
    **{n: (0, "url") for n in ("torch.hub.download_url_to_file", "torch.hub.load_state_dict_from_url",
                               "torch.utils.model_zoo.load_url")},
    **{f"{m}.get_file": (1, "origin") for m in _KERAS},
    **{f"{m}.{f}": (0, "url")
       for m in _TORCHVISION for f in ("download_url", "download_and_extract_archive")},
    "torchaudio.datasets.utils.download_url": (0, "url"),
    **{f"pandas.{f}": (0, k) for f, k in _PANDAS_READERS.items()},
    **{n: (None, "base_url") for n in (*HTTPX_CLIENTS, "openai.OpenAI", "openai.AsyncOpenAI")},
}
_CLIENT_CLASSES = {"requests": "requests.Session", "httpx": "httpx.Client",
                   "aiohttp": "aiohttp.ClientSession"}
_FETCH_TERMINALS = frozenset(n.rsplit(".", 1)[1] for n in FETCHES) | SESSION_METHODS
# loopback, and the link-local cloud metadata servers (plain http by design, reachable only from
# the instance itself): AWS/Azure/GCP 169.254.169.254, AWS fd00:ec2::254, metadata.google.internal
_MEDIA = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|mp3|wav|flac|ogg|mp4|webm)$", re.I)
_LOCAL_HOSTS = re.compile(r"^(localhost|[\w.-]+\.localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]"
                          r"|169\.254(\.\d{1,3}){2}|\[fe80:[0-9a-f:%\w.]*\]|\[fd00:ec2::254\]"
                          r"|metadata\.google\.internal|metadata)$")


def plain_http_host(text: str, complete: bool) -> Optional[str]:
    """The host of an `http://` URL, or None when `text` is not one or the host is not known
    (`f"http://{host}/..."`)."""
    if text[:7].lower() != "http://":
        return None
    rest = text[7:]
    rest = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
    if rest.startswith("["):
        end = rest.find("]")
        return rest[:end + 1].lower() if end > 0 else None
    match = re.search(r"[/:?#]", rest)
    if match is None:
        return rest.lower() if complete and rest else None
    return rest[:match.start()].lower() or None


class PlaintextHttpDownload(TransportRule):
    code = "MLS303"
    summary = "A model, dataset or API is fetched over plain http://"
    message = ("{name}() fetches {url!r} over plain HTTP: anyone on the network path can read or replace "
               "the response; use https://")
    severity = "medium"
    cwe = (1428, 319)
    fix_safety = UNSAFE
    # "http://" is in nearly every file (licence headers, paper links): it must be on a code line,
    # and the fetch call's module or function name must be there too
    triggers = tuple((CodeWord("http://"), word) for word in (
        "requests", "urllib", "urlopen", "httpx", "aiohttp", "wget", "gdown", "download_url",
        "load_state_dict_from_url", "load_url", "get_file", "download_and_extract_archive", "pandas",
        "from openai", "import openai"))
    # visit_Call: a fetch function, or a method of a session or client made in the file
    cheap_callees = frozenset(FETCHES) | SESSIONS | HTTPX_CLIENTS | AIOHTTP_SESSIONS

    def visit_Call(self, node: cst.Call) -> None:
        if callee_terminal(self.ctx, node, _FETCH_TERMINALS) is None:
            return
        view = self.ctx.call(node)
        names = view.names & FETCHES.keys()
        if names:
            name = min(names)
            position, keyword = FETCHES[name]
        else:
            library = client_of(view, self.ctx.scope)
            if library is None:
                return
            name = f"{_CLIENT_CLASSES[library]}.{terminal(node.func)}"
            position, keyword = (1 if terminal(node.func) == "request" else 0), "url"
            if library == "requests" and terminal(node.func) == "send":
                return
        expr, scope = view.arg(keyword, position)
        if expr is MISSING or expr is UNKNOWN:
            return
        if view.through_partial and not view.given_here(keyword, position):
            return  # reported where the partial was made
        prefix = string_prefix(expr, scope)
        if prefix is None:
            return
        host = plain_http_host(prefix, isinstance(literal(expr, scope), str))
        if host is None or _LOCAL_HOSTS.match(host):
            return
        if self.ctx.code_context in ("example", "docs") and _MEDIA.search(prefix.split("?", 1)[0]):
            return  # a sample image for a demo: nothing runs or trains on it
        shown = prefix if len(prefix) <= 60 else prefix[:57] + "..."
        self.report(node, self.message.format(name=name, url=shown), fix=self._fix(expr))

    def _fix(self, expr: cst.BaseExpression) -> Optional[Fix]:
        target: Optional[cst.CSTNode] = None
        if isinstance(expr, cst.SimpleString):
            target = expr
        elif isinstance(expr, cst.FormattedString) and expr.parts \
                and isinstance(expr.parts[0], cst.FormattedStringText):
            target = expr.parts[0]
        if target is None:
            return None
        value = target.value  # type: ignore[attr-defined]
        index = value.lower().find("http://")
        if index < 0:
            return None
        new = target.with_changes(value=value[:index] + "https://" + value[index + 7:])
        return Fix("use https://", UNSAFE, {target: new})


# -- MLS304 ---------------------------------------------------------------------------------

def _python_floor(settings) -> object:
    floor = requires_python_floor(settings.project)
    return ".".join(map(str, floor)) if floor else None


TAR_MAKERS = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "tarfile.TarFile.taropen",
                        "tarfile.TarFile.gzopen", "tarfile.TarFile.bz2open", "tarfile.TarFile.xzopen",
                        "tarfile.TarFile.zstopen"})
TRUSTED_FILTER = frozenset({"tarfile.fully_trusted_filter"})


class UnsafeArchiveExtraction(Rule):
    code = "MLS304"
    honours_opt_in = True
    summary = "A tar archive is extracted without a filter, so its members can write outside the target"
    message = ("{name}() without filter=\"data\" lets archive members write outside the target directory "
               "(../ paths, absolute paths, links): a dataset or model archive can overwrite any file")
    severity = "high"
    guideline = "1.3"
    secondary_guidelines = ("2.1",)
    cwe = (22, 59)
    owasp = ("LLM03:2025", "ML06:2023")
    atlas = ("AML.T0010.002", "AML.T0010.003")
    fix_safety = UNSAFE
    triggers = ("tarfile", "unpack_archive")
    options = (Option("python-min-version", str, None,
                      "Lowest Python version the project supports. From 3.14 tarfile and "
                      "shutil.unpack_archive use the \"data\" filter by default, so only an explicit "
                      "\"fully_trusted\" filter is reported. When unset, read from the project's "
                      "requires-python.", derive=_python_floor),)
    UNPACK = frozenset({"shutil.unpack_archive"})
    #: TarFile methods (on objects made by TAR_MAKERS) and the unpack function, by terminal name
    TERMINALS = frozenset({"extractall", "extract", *(n.rsplit(".", 1)[1] for n in UNPACK)})
    # visit_Call: shutil.unpack_archive, or a method of a tar object made in the file
    cheap_callees = TAR_MAKERS | UNPACK

    def visit_Call(self, node: cst.Call) -> None:
        kind = callee_terminal(self.ctx, node, self.TERMINALS)
        if kind is None:
            return
        view = self.ctx.call(node)
        if view.through_partial:
            return
        if kind == "unpack_archive":
            if not view.names & self.UNPACK or self._zip(view):
                return
            name = "shutil.unpack_archive"
        else:
            func = node.func
            if not isinstance(func, cst.Attribute) or not created_by(func.value, self.ctx.scope, TAR_MAKERS):
                return
            name = f"TarFile.{kind}"
        verdict = self._filter(view)
        if verdict == "trusted":
            self.report(node, f"{name}(filter=\"fully_trusted\") honours every member path and link: an "
                              f"archive can write anywhere the process can")
        elif verdict == "missing" and not version_at_least(self.option("python-min-version"), (3, 14)):
            message = self.message.format(name=name)
            severity = None
            members = view.value("members") if kind == "extractall" else MISSING
            if members is not MISSING and members is not None:
                message += "; members= is a hand-written check, filter=\"data\" is the vetted one"
                severity = "medium"
            self.report(node, message, severity=severity, fix=self._fix(node))

    def _fix(self, node: cst.Call) -> Optional[Fix]:
        """`filter="data"` added, or replacing a `filter=None` written in the call."""
        title = "add filter=\"data\""
        written = [a for a in node.args if a.keyword is not None and a.keyword.value == "filter"]
        if not written:
            if any(a.star == "**" for a in node.args):
                return None  # the dict may hold a filter too
            return Fix(title, UNSAFE, {node: add_keyword(node, keyword("filter", '"data"'))})
        value = written[0].value
        if isinstance(value, cst.Name) and value.value == "None":
            return Fix(title, UNSAFE, {value: cst.SimpleString('"data"')})
        return None

    def _zip(self, view: CallView) -> bool:
        fmt = view.value("format", 2)
        if isinstance(fmt, str):
            return fmt == "zip"
        filename = view.value("filename", 0)
        return isinstance(filename, str) and filename.lower().endswith(".zip")

    def _filter(self, view: CallView) -> str:
        expr, scope = view.arg("filter")
        if expr is MISSING:
            return "missing"
        if expr is UNKNOWN:
            return "unknown"
        value = literal(expr, scope)
        if value is None:
            return "missing"
        if value == "fully_trusted" or qualnames(expr, scope) & TRUSTED_FILTER:
            return "trusted"
        return "given"  # "data", "tar", tarfile.data_filter, or the project's own filter
