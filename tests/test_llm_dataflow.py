"""The dataflow layer behind MLS501/504/505/506/111: what it follows and what it does not, the related
locations a flow carries (JSON, SARIF, notebooks), the options, and odd input."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import active_rules, lint_source
from ml_seclint.engine.registry import RULES
from ml_seclint.inputs.notebooks import lint_notebook

from helpers import cli_json, run_cli
from test_notebooks import cell, notebook
from test_sarif import sarif, validate

HEADER = "import subprocess\nfrom openai import OpenAI\nclient = OpenAI()\n"


def found(source: str, select: str = "MLS5", settings: Settings = None) -> list[tuple[int, str]]:
    settings = settings or Settings(select=tuple(select.split(",")))
    result = lint_source(textwrap.dedent(source), "app.py", settings)
    return sorted((f.line, f.code) for f in result.findings)


BODY = 7  # the line of the first statement of `body` in reply(body)


def reply(body: str) -> str:
    """A function asking the model and doing `body` with its answer `text`."""
    return HEADER + "def f(q):\n    r = client.chat.completions.create(model='m', messages=q)\n" \
        "    text = r.choices[0].message.content\n" + textwrap.indent(textwrap.dedent(body), "    ")


# -- what is followed -------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "exec(text)",
    "exec(f'print({text!r})')",
    "exec('x = ' + text)",
    "exec('%s' % text)",
    "exec('{}'.format(text))",
    "exec(text.strip().splitlines()[0])",
    "import re\nexec(re.search('`(.*)`', text).group(1))",
    "import json\nexec(json.loads(text)['code'])",
    "parts = [text]\nexec(parts[0])",
    "d = {}\nd['code'] = text\nexec(d['code'])",
    "for line in text.splitlines():\n    exec(line)",
    "if (code := text):\n    exec(code)",
    "code, lang = text, 'py'\nexec(code)",
    "with open('log', 'w') as log:\n    exec(text)",
    "try:\n    exec(text)\nexcept ValueError:\n    pass",
    "match text:\n    case str(code):\n        exec(code)",
    "if q:\n    code = text\nelse:\n    code = 'pass'\nexec(code)",
])
def test_followed(body):
    sink = next(number for number, line in enumerate(body.splitlines()) if "exec(" in line)
    assert found(reply(body)) == [(BODY + sink, "MLS501")]


@pytest.mark.parametrize("body", [
    "exec(str(len(text)))",
    "exec(str(r.usage.total_tokens))",
    "code = text\ncode = 'pass'\nexec(code)",
    "import ast\nexec(repr(ast.literal_eval('1')))",
    "if text not in ('ls', 'pwd'):\n    raise ValueError(text)\nsubprocess.run(text, shell=True)",
    "import shlex\nsubprocess.run('ls ' + shlex.quote(text), shell=True)",
    "subprocess.run(['ls', text])",
    "exec(int(text))",
    "exec('print(1)')",
])
def test_clean(body):
    assert found(reply(body)) == []


def test_sources_are_known_clients_not_method_names():
    source = """
    import subprocess
    def f(agent, chain, text):
        exec(agent.invoke(text))
        exec(chain.run(text).content)
        exec(text.chat())
    """
    assert found(source) == []


def test_aliases_from_imports_and_annotations():
    source = """
    import openai as oa
    from langchain_openai import ChatOpenAI as Chat
    from langchain_core.language_models import BaseChatModel
    from litellm import completion as ask

    def a(q):
        exec(oa.OpenAI().chat.completions.create(model="m", messages=q).choices[0].message.content)

    def b(q):
        llm = Chat(model="m")
        exec((PROMPT | llm).invoke(q).content)

    def c(llm: BaseChatModel, q):
        exec(llm.invoke(q).content)

    def d(q):
        exec(ask(model="m", messages=q)["choices"][0]["message"]["content"])

    PROMPT = None
    """
    assert found(source) == [(8, "MLS501"), (12, "MLS501"), (15, "MLS501"), (18, "MLS501")]


def test_self_attributes_and_factories():
    source = """
    from openai import OpenAI

    def make_client():
        return OpenAI()

    class Agent:
        def __init__(self):
            self.client = make_client()

        def ask(self, q):
            return self.client.responses.create(model="m", input=q).output_text

        def act(self, q):
            exec(self.ask(q))
    """
    assert found(source) == [(15, "MLS501")]


def test_helpers_two_levels_and_not_three():
    source = """
    from langchain_openai import ChatOpenAI

    def level2(code):
        exec(code)

    def level1(code):
        level2(code)

    def level0(code):
        level1(code)

    def run(q):
        text = ChatOpenAI().invoke(q).content
        level1(text)
        level0(text)
    """
    assert found(source) == [(15, "MLS501")]


def test_loops_are_walked_once():
    """A documented limit: a value tainted late in one iteration is not seen at the start of the next."""
    source = reply("code = 'pass'\nfor _ in range(2):\n    exec(code)\n    code = text\n")
    assert found(source) == []


def test_resolved_path_checked_against_its_root_is_clean():
    source = """
    import os
    from pathlib import Path
    from langchain_core.tools import tool

    ROOT = Path("/srv/data").resolve()

    @tool
    def read(name: str) -> str:
        \"\"\"Read a file.\"\"\"
        unchecked = (ROOT / name).resolve()
        unchecked.read_text()
        target = (ROOT / name).resolve()
        if not target.is_relative_to(ROOT):
            raise ValueError(name)
        target.read_text()
        raw = ROOT / name
        if not str(raw).startswith(str(ROOT)):
            raise ValueError(name)
        raw.read_text()
        real = os.path.realpath(os.path.join(ROOT, name))
        if os.path.commonpath([ROOT, real]) != str(ROOT):
            raise ValueError(name)
        return open(real).read()
    """
    # the unresolved `raw` check is no sanitiser: root/../x passes startswith
    assert found(source) == [(12, "MLS505"), (20, "MLS505")]


# -- related locations ------------------------------------------------------------------------

FLOW = HEADER + """
def answer(question):
    completion = client.chat.completions.create(model="gpt-4o", messages=question)
    code = completion.choices[0].message.content
    exec(code)
"""


def test_message_and_related_location(tmp_path):
    (tmp_path / "app.py").write_text(FLOW, encoding="utf-8")
    data = cli_json("app.py", cwd=tmp_path)
    [finding] = data["findings"]
    assert finding["line"] == 8 and finding["code"] == "MLS501"
    assert finding["message"].startswith("exec() runs model output from client.chat.completions.create() "
                                         "(line 6)")
    assert finding["related"] == [{"line": 6, "column": 18, "end_line": 6, "end_column": 83,
                                   "message": "model output: client.chat.completions.create()"}]


def test_sarif_related_locations_and_code_flow(tmp_path):
    (tmp_path / "app.py").write_text(FLOW, encoding="utf-8")
    document = sarif("app.py", cwd=tmp_path)
    validate(document)
    [result] = document["runs"][0]["results"]
    [related] = result["relatedLocations"]
    assert related["id"] == 1 and related["physicalLocation"]["region"]["startLine"] == 6
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "app.py"
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [6, 8]


def test_text_output_names_the_source(tmp_path):
    (tmp_path / "app.py").write_text(FLOW, encoding="utf-8")
    proc = run_cli("check", "app.py", cwd=tmp_path)
    assert "app.py:8:5: MLS501 [high] exec() runs model output from client.chat.completions.create() " \
           "(line 6)" in proc.stdout


def test_helper_flow_names_both_places():
    source = HEADER + """
def run_code(snippet):
    exec(snippet)

def main(q):
    text = client.responses.create(model="m", input=q).output_text
    run_code(text)
"""
    [finding] = lint_source(source, "app.py", Settings(select=("MLS501",))).findings
    assert finding.message.startswith("run_code() passes model output from client.responses.create() "
                                      "(line 9) to exec() (line 6)")
    assert [(r.line, r.message) for r in finding.related] == [
        (9, "model output: client.responses.create()"), (6, "sink: exec()")]


def test_notebook_flow_across_cells():
    text = notebook(cell("from openai import OpenAI\nclient = OpenAI()\n"),
                    cell("# Ask the model\n", kind="markdown"),
                    cell("r = client.chat.completions.create(model='m', messages=[])\n"
                         "code = r.choices[0].message.content\n"),
                    cell("x = 1\nexec(code)\n"))
    result = lint_notebook(text, "nb.ipynb", Settings(select=("MLS501",)))
    [finding] = result.located()
    assert (finding.cell, finding.line, finding.code) == (4, 2, "MLS501")
    assert "(cell 3, line 1)" in finding.message
    [place] = finding.related
    assert (place.cell, place.line) == (3, 1)


# -- options --------------------------------------------------------------------------------

PROJECT = """
import subprocess
from mycompany.llm import ask
from mycompany.security import checked
from myagents import register_tool

def run(q):
    subprocess.run(ask(q), shell=True)
    subprocess.run(checked(ask(q)), shell=True)

@register_tool
def shell(command: str) -> str:
    return subprocess.getoutput(command)
"""


def test_options_through_the_cli(tmp_path):
    (tmp_path / "app.py").write_text(PROJECT, encoding="utf-8")
    assert cli_json("app.py", cwd=tmp_path)["findings"] == []  # no known source, no tool
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ml-seclint]\nllm-sources = ["mycompany.llm.ask"]\n'
        'tool-decorators = ["myagents.register_tool"]\nsanitisers = ["mycompany.security.checked"]\n',
        encoding="utf-8")
    found_codes = [(f["line"], f["code"]) for f in cli_json("app.py", cwd=tmp_path)["findings"]]
    assert found_codes == [(8, "MLS501"), (13, "MLS505")]


VANNA = """\
import pandas as pd
from vanna.base import VannaBase


class Base:
    def submit_prompt(self, prompt) -> str:
        raise NotImplementedError

    def generate_code(self, question):
        return self.submit_prompt([question]).strip()

    def figure(self, code, df):
        ldict = {"df": df}
        exec(code, globals(), ldict)
        return ldict["fig"]

    def ask(self, question, df):
        return self.figure(self.generate_code(question), df)


class Charts(VannaBase):
    def plot(self, question):
        exec(self.submit_prompt(question))


class Other:
    def plot(self, question):
        exec(self.submit_prompt(question))  # another class's method of the same name: not a source
"""


def test_configured_source_methods_through_self(tmp_path):
    """Vanna (CVE-2024-5565): the model call is the application's own abstract method, named
    with its class; a subclass of a configured base class matches through the base."""
    (tmp_path / "app.py").write_text(VANNA, encoding="utf-8")
    assert cli_json("app.py", cwd=tmp_path)["findings"] == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ml-seclint]\nllm-sources = ["app.Base.submit_prompt", "vanna.base.VannaBase.submit_prompt"]\n',
        encoding="utf-8")
    findings = cli_json("app.py", cwd=tmp_path)["findings"]
    assert [(f["line"], f["code"]) for f in findings] == [(18, "MLS501"), (23, "MLS501")]
    assert findings[0]["message"].startswith(
        "figure() passes model output from generate_code() (line 18), which returns self.submit_prompt() "
        "(line 10) to exec() (line 14)")


def test_option_values_are_validated(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ml-seclint]\nllm-sources = "mycompany.llm.ask"\n',
                                             encoding="utf-8")
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    proc = run_cli("check", "app.py", cwd=tmp_path)
    assert proc.returncode == 2 and "llm-sources" in proc.stderr


def test_rules_declare_their_options():
    assert [o.name for o in RULES["MLS501"].options] == ["llm-sources", "sanitisers"]
    assert [o.name for o in RULES["MLS505"].options] == ["tool-decorators", "sanitisers"]


# -- odd input --------------------------------------------------------------------------------

def test_deep_expressions_and_nesting_do_not_crash():
    deep = "text" + " + text" * 150  # deeper than the layer follows (60)
    nested = "".join("    " * i + "if q:\n" for i in range(40)) + "    " * 40 + "exec(text)\n"
    source = reply(f"exec({deep})\n" + nested)
    result = lint_source(source, "app.py", Settings(select=("MLS5",)))
    assert not [f for f in result.findings if f.code == "MLS000"]


@pytest.mark.parametrize("source", [
    HEADER + "async def f(q):\n    async with client as c:\n        async for x in await c.chat.completions."
             "create(stream=True):\n            exec(x.choices[0].delta.content)\n",
    HEADER + "def f(q):\n    try:\n        pass\n    except* ValueError as e:\n        exec(e)\n",
    HEADER + "class C:\n    x = client.chat.completions.create()\n    exec(x)\n",
    HEADER + "f = lambda q: exec(client.chat.completions.create().choices[0].message.content)\n",
    HEADER + "def f(*a, **k):\n    exec(client.chat.completions.create(*a, **k).output_text, **k)\n",
])
def test_odd_shapes_never_crash(source):
    result = lint_source(source, "app.py", Settings(select=("MLS5",)))
    assert not [f for f in result.findings if f.code == "MLS000"]


def test_prefilter_needs_a_source_library_and_a_sink():
    plain = "def f(text):\n    exec(text)\n"
    assert lint_source(plain, "a.py", Settings(select=("MLS501",))).module is None  # never parsed
    no_sink = "from openai import OpenAI\nOpenAI().chat.completions.create()\n"
    assert lint_source(no_sink, "a.py", Settings(select=("MLS501",))).module is None


def test_check_files_exist_for_every_new_rule():
    for code in ("MLS111", "MLS501", "MLS502", "MLS503", "MLS504", "MLS505", "MLS506", "MLS507", "MLS601"):
        assert list((Path(__file__).parent.parent / "checks").glob(f"{code}_*.py"))


def test_json_finding_is_additive(tmp_path):
    """Findings without a flow have no `related` key: the JSON shape of other rules is unchanged."""
    (tmp_path / "app.py").write_text("import pickle\npickle.loads(b'')\n", encoding="utf-8")
    [finding] = cli_json("app.py", cwd=tmp_path)["findings"]
    assert "related" not in finding
    assert json.dumps(finding)


def test_exposure_prefilter_needs_a_row_shape():
    """MLS503's word test is only a gate: a training script that mentions TensorBoard and calls
    some `configure()` is not parsed for it; `launch(share=True)` in a Gradio app is."""
    rule = RULES["MLS503"]
    script = "from torch.utils import tensorboard\nwriter = tensorboard.SummaryWriter()\nlogger.setup()\n"
    app = "import gradio as gr\ndemo = gr.Interface(fn, 'text', 'text')\ndemo.launch(share=True)\n"
    assert active_rules(script, [rule], Settings()) == []
    assert active_rules(app, [rule], Settings()) == [rule]


def test_flow_rules_declare_their_sinks_for_the_cheap_stage():
    assert {"exec", "eval", "run", "system", "evaluate"} <= RULES["MLS501"].identifiers
    assert {"execute", "raw", "read_sql"} <= RULES["MLS504"].identifiers
    assert {"open", "read_text", "get"} <= RULES["MLS505"].identifiers
    assert {"loads", "recv_pyobj"} <= RULES["MLS111"].identifiers
    assert "loads" not in RULES["MLS501"].identifiers  # each rule its own sinks


def test_network_pickle_severity_follows_the_socket_of_the_same_function():
    """A local `conn` of one function is not another function's `conn`: the accepted connection of
    a server bound to 0.0.0.0 is critical, a `conn` parameter elsewhere in the module is unknown
    (high), a buffer gathered in a receive loop is still network data."""
    source = '''
        import pickle
        import socket
        import zmq

        def serve(port):
            server = socket.socket()
            server.bind(("0.0.0.0", port))
            conn, _ = server.accept()
            return pickle.loads(conn.recv(4096))

        def handle(conn):
            chunks = []
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
            return pickle.loads(b"".join(chunks))

        def local_worker(context):
            sock = context.socket(zmq.PULL)
            sock.connect("ipc:///tmp/worker.ipc")
            return sock.recv_pyobj()

        def other_worker(sock):
            return sock.recv_pyobj()
    '''
    result = lint_source(textwrap.dedent(source), "app.py", Settings(select=("MLS111",)))
    assert [(f.line, f.severity) for f in result.findings] == [
        (10, "critical"), (19, "high"), (24, "low"), (27, "high")]
    assert "sock.recv_pyobj()" in result.findings[2].message and "@" not in result.findings[2].message
