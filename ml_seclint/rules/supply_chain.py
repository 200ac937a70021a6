"""MLS2xx: remote code and unpinned artefacts (supply chain)."""
from __future__ import annotations

import fnmatch
import re
from typing import Optional

import libcst as cst

from ml_seclint.analysis import hub
from ml_seclint.analysis.calls import callee_terminal
from ml_seclint.analysis.objects import created_by
from ml_seclint.analysis.resolve import MISSING, UNKNOWN, CallView, dict_items, literal, local_function
from ml_seclint.engine.code_context import OFF
from ml_seclint.engine.versions import dependency_floor, version_at_least
from ml_seclint.engine.rows import TRUE, Arg, Hit, Row, given, is_true
from ml_seclint.engine.rule import Option, Rule
from ml_seclint.engine.triggers import CodeWord

MIN_SHA_LENGTH = Option(
    "min-sha-length", int, 40,
    "Shortest hexadecimal revision accepted as a commit pin (7-40). The default, 40, accepts only "
    "full commit SHAs; 7 accepts abbreviated ones, as Bandit's B615 does.")


class RemoteCodeRule(Rule):
    honours_opt_in = True
    guideline = "1.3"
    secondary_guidelines = ("2.1",)
    cwe = (829, 494)
    owasp = ("LLM03:2025", "ML06:2023")
    atlas = ("AML.T0010.001", "AML.T0010.003")


class PinningRule(Rule):
    # pinning is hygiene for the code a project ships and runs; examples and docs download public
    # ids for illustration, tests fetch fixtures
    context_severity = {"test": OFF, "example": OFF, "docs": OFF}
    guideline = "2.1"
    secondary_guidelines = ("2.2", "4.3")
    cwe = (494,)
    owasp = ("LLM03:2025", "ML06:2023")
    atlas = ("AML.T0010.001", "AML.T0010.003", "AML.T0109")


def _pinned(view: CallView, min_length: int) -> bool:
    return hub.is_commit_sha(view.value("revision"), min_length)


# -- MLS201 ---------------------------------------------------------------------------------

#: keyword arguments whose dict is handed on to from_pretrained (pipeline, SentenceTransformer, ...)
_NESTED_KWARGS = frozenset({"model_kwargs", "config_kwargs", "tokenizer_kwargs", "processor_kwargs",
                            "model_init_kwargs", "hub_kwargs", "load_kwargs", "dataset_kwargs"})
# where the repository id sits in a call that is not a known hub loader (vLLM `LLM(model=...)`, ...)
_DICT = frozenset({"builtins.dict"})
_GENERIC_ID_KEYWORDS = ("pretrained_model_name_or_path", "model", "model_name_or_path", "repo_id",
                        "path", "model_name", "model_id")


def _nested_trust(hit: Hit) -> bool:
    """A `model_kwargs={"trust_remote_code": True}`-style dict handed on to from_pretrained."""
    items = dict_items(hit.expr, hit.scope)
    if not items or "trust_remote_code" not in items:
        return False
    return is_true(literal(*items["trust_remote_code"]))


def _trust_message(hit: Hit) -> Optional[str]:
    rule = hit.rule
    repo = _repo(hit.view)
    if repo is None or not _allowed(repo, rule.option("trusted-remote-code") or []):
        return rule.message
    if _pinned(hit.view, rule.option("min-sha-length")):
        return None  # reviewed and pinned
    return TrustRemoteCode.unpinned_message.format(repo=repo)


#: mock objects and mock assertions: a test stub that loads nothing
MOCKS = frozenset({f"{m}.{c}" for m in ("unittest.mock", "mock")
                   for c in ("Mock", "MagicMock", "AsyncMock", "NonCallableMock", "create_autospec", "call")})
MOCK_METHODS = frozenset({"assert_called_with", "assert_called_once_with", "assert_any_call",
                          "assert_awaited_with", "assert_awaited_once_with", "assert_any_await"})


def _cannot_load(hit: Hit) -> bool:
    """The flag reaches no hub code: `dict(...)` (reported where it is spread), a mock or a mock
    assertion, a function or method of this module that never passes the flag on (a consent
    check that takes `trust_remote_code=True` and loads nothing), a loader where the flag is inert
    (PEFT adapters; `datasets` from 4.0), a local directory (code already on disk, like the
    project's own), or a repository the project itself owns. In scripts and examples a model the
    user names (an argument the analysis cannot resolve) is the user's choice, not the code's."""
    view = hit.view
    if view.names == _DICT or view.names & MOCKS:
        return True
    func = view.callee
    if isinstance(func, cst.Attribute) and func.attr.value in MOCK_METHODS:
        return True
    if created_by(func, view.scope, MOCKS):
        return True
    definition = local_function(func, view.scope)
    if definition is not None and not _forwards(definition):
        return True
    if isinstance(hit.value, list) and hit.value and all(isinstance(r, str) and _own(r, hit.rule)
                                                         for r in hit.value):
        return True  # trust_remote_code=["<own org>/kernels"]: an allow-list of the project's repos
    if view.names & _INERT or (view.names & _DATASETS_LOADERS and _datasets_without_scripts(hit.rule)):
        return True  # the flag does nothing there
    if view.names and all(_FIXED_CLASS_LOADER.match(name) for name in view.names):
        return True  # a concrete image/video processor, feature extractor or GenerationConfig
    kind, repo = _repo_kind(view)
    if kind in (None, hub.UNRESOLVED) and (hit.rule.ctx.code_context in ("script", "example")
                                           or _named_on_command_line(view)):
        return True  # a command-line tool or example run on the model its user names
    return kind == hub.LOCAL or (repo is not None and _own(repo, hit.rule))


#: calls that return parsed command-line arguments (argparse, or a local function of that name;
#: transformers' HfArgumentParser, whose dataclasses are unpacked: `model_args, ... = ...`)
_ARG_PARSERS = frozenset({"parse_args", "parse_known_args", "parse_args_into_dataclasses"})


def _named_on_command_line(view: CallView) -> bool:
    """`from_pretrained(args.model_name_or_path, ...)` where `args = parser.parse_args()` (or a
    local `parse_args()`, or `model_args, data_args, training_args =
    parser.parse_args_into_dataclasses()`): a command-line tool, wherever it lives, run on the
    model its user names."""
    call = hub.hub_call(view)
    expr, scope = (call.repo, call.repo_scope) if call is not None \
        else hub.first_arg(view, _GENERIC_ID_KEYWORDS, 0)
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
        return False
    for binding in scope.lookup(expr.value.value)[1]:
        value = binding.value if binding.unpacked is None else binding.unpacked[0]
        if isinstance(value, cst.Call):
            func = value.func
            name = func.attr.value if isinstance(func, cst.Attribute) \
                else func.value if isinstance(func, cst.Name) else None
            if name in _ARG_PARSERS:
                return True
    return False


#: loaders that accept trust_remote_code but never run repository code with it: PEFT adapters
_PEFT_CLASSES = ("PeftModel", "PeftModelForCausalLM", "PeftModelForSeq2SeqLM", "PeftMixedModel",
                 "AutoPeftModel", "AutoPeftModelForCausalLM")
_INERT = frozenset(f"peft.{c}.from_pretrained" for c in _PEFT_CLASSES)
#: transformers classes that read JSON and never resolve `auto_map`, so the flag is ignored: concrete
#: (not Auto*) image and video processors and feature extractors, and GenerationConfig. Concrete
#: models are not among them (from_pretrained loads a repository's custom_generate/generate.py when
#: the flag is set), nor tokenizers (some versions pass it on to AutoConfig) or composite processors
#: (their parts load through Auto classes).
_FIXED_CLASS_LOADER = re.compile(
    r"^transformers(?:\.\w+)*\.(?!Auto|TFAuto|FlaxAuto)"
    r"(?:\w*(?:ImageProcessor|ImageProcessorFast|VideoProcessor|FeatureExtractor)|GenerationConfig)"
    r"\.from_pretrained$")
_DATASETS_LOADERS = frozenset({"datasets.load_dataset", "datasets.load.load_dataset",
                               "datasets.load_dataset_builder", "datasets.load.load_dataset_builder"})


def _datasets_without_scripts(rule: Rule) -> bool:
    """datasets 4.0 removed dataset loading scripts: trust_remote_code does nothing from there."""
    return version_at_least(_dependency_floor(rule.ctx.settings.project, "datasets"), (4, 0))


def _dependency_floor(project: dict, name: str) -> Optional[str]:
    floor = dependency_floor(project, name)
    return ".".join(map(str, floor)) if floor else None


def _forwards(function: cst.FunctionDef) -> bool:
    """The function hands the flag (or its **kwargs) on to some call, or stores it."""
    params = function.params
    flag = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.name.value == "trust_remote_code"]
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Arg) and (
                node.star == "**" or (node.keyword is not None and node.keyword.value == "trust_remote_code")
                or (flag and isinstance(node.value, cst.Name) and node.value.value in flag)):
            return True
        if isinstance(node, cst.Assign) and flag and any(
                isinstance(n, cst.Name) and n.value in flag for n in _names_in(node.value)):
            return True  # self.trust_remote_code = trust_remote_code: used later, elsewhere
        pending.extend(node.children)
    return False


def _names_in(expr: cst.CSTNode) -> list[cst.CSTNode]:
    found, pending = [], [expr]
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(node.children)
    return found


class TrustRemoteCode(RemoteCodeRule):
    code = "MLS201"
    summary = "trust_remote_code=True runs the Python files of a hub repository in this process"
    message = ("trust_remote_code=True imports and runs the Python files of the hub repository in this "
               "process: whoever can push to it runs code here")
    unpinned_message = ("trust_remote_code=True for {repo!r}, which is on the trusted-remote-code list, but "
                        "the call is not pinned to a commit SHA (revision=): the code that runs is whatever "
                        "the repository holds at load time")
    severity = "high"
    options = (
        Option("trusted-remote-code", list, [],
               "Hub repositories (\"org/name\", or \"org/*\" for a whole organisation) whose remote "
               "code you have reviewed. A call loading one of them is clean only when it is also "
               "pinned to a commit SHA with revision=."),
        MIN_SHA_LENGTH,
    )

    dynamic_message = ("{name}() imports a class from the Python files of hub repository {value!r}: "
                       "whoever can push to it runs code here, without any trust_remote_code switch")
    rows = (
        Row(keyword_only=True, args=Arg("trust_remote_code"), when=TRUE, message=_trust_message,
            unless=_cannot_load),
        # transformers' own remote-code importer, called directly
        Row({f"transformers{m}.get_class_from_dynamic_module" for m in ("", ".dynamic_module_utils")},
            Arg("pretrained_model_name_or_path", 1), message=dynamic_message,
            when=given("a hub id", lambda hit: _hub_repo(hit) is not None),
            unless=lambda hit: _own(_hub_repo(hit), hit.rule) or (
                _allowed(_hub_repo(hit), hit.rule.option("trusted-remote-code") or [])
                and _pinned(hit.view, hit.rule.option("min-sha-length")))),
        Row(keyword_only=True, args=tuple(Arg(k) for k in sorted(_NESTED_KWARGS)),
            when=given("a kwargs dict with trust_remote_code true", _nested_trust), message=_trust_message,
            unless=_cannot_load),
    )


def _hub_repo(hit: Hit) -> Optional[str]:
    kind, repo = hub.classify_expr(hit.expr, hit.scope)
    return repo if kind == hub.HUB else None


def _own(repo: str, rule: Rule) -> bool:
    return hub.owned_by_project(repo, rule.ctx.settings.project)


def _repo(view: CallView) -> Optional[str]:
    return _repo_kind(view)[1]


def _repo_kind(view: CallView) -> tuple[Optional[str], Optional[str]]:
    """(hub.HUB, repo id) / (hub.LOCAL, None) / (hub.UNRESOLVED, None) for the repository the
    call loads; (None, None) when the call names none (it may be in an unresolved **kwargs)."""
    call = hub.hub_call(view)
    if call is None:
        expr, scope = hub.first_arg(view, _GENERIC_ID_KEYWORDS, 0)
        call = hub.HubCall("call", expr, scope, "generic")
    if call.repo is MISSING:
        return None, None
    kind, repo = hub.classify(call)
    return kind, (repo if kind == hub.HUB else None)


def _allowed(repo: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(repo.lower(), p.lower()) for p in patterns)


# -- MLS202 ---------------------------------------------------------------------------------

def _not_github(hit: Hit) -> bool:
    """torch.hub.load(source="local") loads a directory on disk."""
    if hit.name != "torch.hub.load":
        return False
    source = hit.view.value("source")
    return source is UNKNOWN or (source is not MISSING and source != "github")


def _hub_message(hit: Hit) -> str:
    message = TorchHubRemoteCode.message.format(name=hit.name)
    trust = hit.view.value("trust_repo")
    if trust is True:
        message += "; trust_repo=True skips even the confirmation prompt"
    elif trust == "check":
        message += "; trust_repo=\"check\" only asks for repositories not seen before"
    return message


class TorchHubRemoteCode(RemoteCodeRule):
    code = "MLS202"
    summary = "torch.hub.load/list/help import a GitHub repository's hubconf.py and run it in-process"
    message = ("{name}() downloads a GitHub repository and imports its hubconf.py, running that "
               "repository's code in this process")
    severity = "high"
    rows = (Row(frozenset(f"torch.hub.{f}" for f in ("load", "list", "help")), message=_hub_message,
                unless=_not_github),)


# -- MLS205 ---------------------------------------------------------------------------------

def _script_source(hit: Hit) -> Optional[str]:
    """The hub id or URL a script comes from, or None for a local path or an unknown value."""
    if hit.expr is MISSING or hit.expr is UNKNOWN:
        return None
    text = hit.value if isinstance(hit.value, str) else None
    if text is not None and text.lower().startswith(("https://", "http://")):
        return text
    if text is not None and text.endswith(".py"):
        return None  # a local script file
    kind, repo = hub.classify_expr(hit.expr, hit.scope)
    return repo if kind == hub.HUB else None


def _script_message(hit: Hit) -> Optional[str]:
    source = _script_source(hit)
    if source is None:
        return None
    rule = hit.rule
    pinned = _pinned(hit.view, rule.option("min-sha-length"))
    text = HubScriptExecution.message.format(name=hit.name, source=source)
    return text + ("; it is pinned to a commit, so review that commit" if pinned else
                   "; pin revision=<40-hex commit SHA> after reviewing the code, or vendor it")


def _script_severity(hit: Hit) -> Optional[str]:
    return "medium" if _pinned(hit.view, hit.rule.option("min-sha-length")) else None


class HubScriptExecution(RemoteCodeRule):
    code = "MLS205"
    summary = "A metric, pipeline or agent tool script is downloaded from a hub and run in this process"
    message = ("{name}() downloads {source!r} from the hub and runs its Python code in this process: "
               "whoever can push to that repository runs code here")
    severity = "high"
    options = (MIN_SHA_LENGTH,)
    yields_to = ("MLS201",)  # trust_remote_code=True on the same call says it already
    rows = (
        Row({"evaluate.load", "evaluate.loading.load", "evaluate.load_metric"}, Arg("path", 0),
            given("a hub id or URL", lambda hit: _script_source(hit) is not None), message=_script_message,
            severity=_script_severity),
        Row(method="from_pretrained", args=Arg("custom_pipeline"),
            when=given("a hub id or community pipeline", lambda hit: _script_source(hit) is not None),
            message=_script_message, severity=_script_severity),
        Row({f"{m}.{f}" for m in ("transformers", "transformers.agents", "smolagents", "smolagents.tools")
             for f in ("load_tool", "Tool.from_hub")}, Arg("repo_id", 0),
            given("a hub id", lambda hit: _script_source(hit) is not None), message=_script_message,
            severity=_script_severity),
    )


# -- MLS203 / MLS204 ------------------------------------------------------------------------

# `from_pretrained` is in nearly every docstring of transformers and diffusers: count code lines only
_HUB_TRIGGERS = (*(CodeWord(w) for w in ("from_pretrained", "hf_hub_download", "snapshot_download",
                                         "load_dataset", "SentenceTransformer", "CrossEncoder")),
                 ("transformers", CodeWord("pipeline(")), ("transformers", CodeWord("pipeline as")))


class UnpinnedHubDownload(PinningRule):
    code = "MLS203"
    summary = "A hub model or dataset is downloaded without revision= pinned to a commit"
    message = ("{label}({repo!r}) without revision= downloads whatever the hub repository holds at run "
               "time; pin revision=<40-hex commit SHA>")
    severity = "medium"
    confidence = "medium"
    yields_to = ("MLS201",)  # trust_remote_code=True on the same call is the bigger problem
    triggers = _HUB_TRIGGERS
    cheap_names, cheap_callees = hub.ANY_RECEIVER, hub.QUALIFIED
    options = (
        Option("strict-pinning", bool, False,
               "Report every unpinned hub download: also those whose repository argument the "
               "analysis cannot resolve (a parameter, an attribute, a call result; as often a local "
               "directory) and data-only ones (implies pin-data-downloads)."),
        Option("pin-data-downloads", bool, False,
               "Also report unpinned downloads of data only (from_pretrained weights and tokenizers, "
               "datasets, pipelines, single data files). Off by default: a swapped data file breaks "
               "reproducibility but runs no code; code, pickles and whole-repository snapshots are "
               "always reported."),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if callee_terminal(self.ctx, node, hub.TERMINALS) is None:
            return
        view = self.ctx.call(node)
        call = hub.hub_call(view)
        if call is None or view.through_partial:
            return
        revision = view.value("revision")
        if revision is UNKNOWN or (revision is not MISSING and revision is not None):
            return  # a revision is given: MLS204 judges it
        if hub.local_only(view):
            return
        kind, repo = hub.classify(call)
        why = hub.brings_code(view, call)
        if why is None and not (self.option("pin-data-downloads") or self.option("strict-pinning")):
            return  # data only: reproducibility rather than code execution
        if kind == hub.HUB and not _own(repo, self):
            message = self.message.format(label=call.label, repo=repo)
            self.report(node, message if why is None else f"{message} ({why})")
        elif kind == hub.UNRESOLVED and self.option("strict-pinning"):
            self.report(node, f"{call.label}() without revision=: the repository comes from a value "
                              f"the analysis cannot resolve, so it may be a hub download of whatever the "
                              f"repository holds at run time (strict-pinning)")


class MutableHubRevision(PinningRule):
    code = "MLS204"
    summary = "revision= names a branch, tag or pull request instead of a commit SHA"
    message = ("revision={revision!r} is a branch, tag or pull-request ref that the repository owner can "
               "move; pin a 40-hex commit SHA")
    severity = "medium"
    triggers = tuple(("revision", *(w if isinstance(w, tuple) else (w,))) for w in _HUB_TRIGGERS)
    cheap_names, cheap_callees = hub.ANY_RECEIVER, hub.QUALIFIED
    options = (MIN_SHA_LENGTH,)

    def visit_Call(self, node: cst.Call) -> None:
        if callee_terminal(self.ctx, node, hub.TERMINALS) is None:
            return
        view = self.ctx.call(node)
        call = hub.hub_call(view)
        if call is None or (view.through_partial and not view.given_here("revision")):
            return
        revision = view.value("revision")
        if not isinstance(revision, str) or hub.is_commit_sha(revision, self.option("min-sha-length")):
            return
        kind, repo = hub.classify(call)
        if hub.local_only(view) or kind == hub.LOCAL or (repo is not None and _own(repo, self)):
            return
        if revision.startswith("refs/pr/"):
            message = (f"revision={revision!r} is a pull-request ref: its author can push new commits to it "
                       f"at any time; pin a 40-hex commit SHA")
        elif _is_hex(revision):
            message = (f"revision={revision!r} is an abbreviated commit id; pin the full 40-hex SHA (or set "
                       f"min-sha-length to accept {len(revision)} digits)")
        else:
            message = self.message.format(revision=revision)
        self.report(node, message)


def _is_hex(text: str) -> bool:
    return len(text) >= 7 and all(c in "0123456789abcdefABCDEF" for c in text)
