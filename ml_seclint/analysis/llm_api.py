"""What the dataflow layer (analysis/dataflow.py) knows about LLM-application APIs.

Sources are recognised by the qualified name of a function (`litellm.completion`) or of the class
an object was built from (`client = OpenAI()` -> `client.chat.completions.create(...)`), never by
a method name alone: `x.invoke()` on an object of unknown origin is not model output. An object
*kind* says which attribute paths of such an object return untrusted data (`outputs`), which
return another tracked object (`derived`, `same`), and which are sinks (`sinks`).

Sinks are the calls where untrusted text does harm, each with a sink *kind*: "code" (eval, exec,
...), "shell" (a command line), "argv" (the program of an argument vector), "sql", "path", "url",
"template" and "pickle". Sanitisers are specific to a sink kind (`shlex.quote` helps a shell, not
a SQL query).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

# -- origins (what untrusted data is) ---------------------------------------------------------
MODEL = "model"  # the output of an LLM call
TOOL = "tool"  # a parameter of an agent tool, chosen by the model
NETWORK = "network"  # bytes received from a socket or an HTTP request
TEMPLATE = "template"  # a template that comes with a model (tokenizer.chat_template)
PARAM = "param"  # a parameter of a helper, while its summary is computed

# -- sink kinds ---------------------------------------------------------------------------------
CODE, SHELL, ARGV, SQL, PATH, URL, TEMPLATE_SINK, PICKLE = \
    "code", "shell", "argv", "sql", "path", "url", "template", "pickle"
ALL = "*"  # a sanitiser for every sink kind
#: a path that went through realpath()/resolve()/abspath(): checking it against a root is sound
RESOLVED = "resolved"


@dataclass(frozen=True)
class Sink:
    kind: str
    keyword: str
    position: Optional[int] = 0


@dataclass(frozen=True)
class Kind:
    """A kind of tracked object."""

    name: str
    outputs: frozenset = frozenset()  # attribute paths whose call returns untrusted data
    source: str = MODEL  # the origin of that data
    callable: bool = False  # `obj(...)` itself returns untrusted data
    same: frozenset = frozenset()  # methods returning an object of the same kind
    derived: Mapping[str, str] = None  # type: ignore[assignment]  # method path -> kind name
    sinks: Mapping[str, Sink] = None  # type: ignore[assignment]  # method path -> sink
    anything: bool = False  # every attribute read and method call returns untrusted data

    def __post_init__(self) -> None:
        object.__setattr__(self, "derived", dict(self.derived or {}))
        object.__setattr__(self, "sinks", dict(self.sinks or {}))
        paths = set(self.outputs) | set(self.same) | set(self.derived) | set(self.sinks)
        # "chat.completions.create" -> {"chat", "chat.completions"}: the attribute paths on the way
        prefixes = {".".join(p.split(".")[:n]) for p in paths for n in range(1, p.count(".") + 1)}
        object.__setattr__(self, "_prefixes", frozenset(prefixes))

    def has_prefix(self, path: str) -> bool:
        return path in self._prefixes  # type: ignore[attr-defined]


def _f(*names: str) -> frozenset:
    return frozenset(names)


def _names(modules, attrs) -> frozenset:
    return frozenset(f"{m}.{a}" for m in modules for a in attrs)


_LC_RUN = _f("invoke", "ainvoke", "batch", "abatch", "stream", "astream", "predict", "apredict", "run",
             "arun", "predict_messages", "apredict_messages", "call_as_llm", "generate", "agenerate",
             "batch_as_completed", "transform", "atransform", "stream_events")
_LC_SAME = _f("bind", "bind_tools", "with_structured_output", "with_config", "with_retry",
              "with_fallbacks", "configurable_fields", "configurable_alternatives", "with_types",
              "with_listeners", "pick", "assign", "pipe")
_DB_EXECUTE = {"execute": Sink(SQL, "sql"), "executemany": Sink(SQL, "sql"),
               "executescript": Sink(SQL, "sql_script")}
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("openai", _f("chat.completions.create", "chat.completions.parse", "chat.completions.stream",
                      "beta.chat.completions.parse", "beta.chat.completions.stream", "completions.create",
                      "responses.create", "responses.parse", "responses.stream")),
    Kind("anthropic", _f("messages.create", "messages.stream", "completions.create", "beta.messages.create",
                         "beta.messages.stream")),
    Kind("genai client", _f("models.generate_content", "models.generate_content_stream",
                            "aio.models.generate_content", "aio.models.generate_content_stream"),
         derived={"chats.create": "genai chat", "aio.chats.create": "genai chat"}),
    Kind("genai chat", _f("send_message", "send_message_stream")),
    Kind("generative model", _f("generate_content", "generate_content_async"),
         derived={"start_chat": "genai chat"}),
    Kind("mistral", _f("chat.complete", "chat.complete_async", "chat.stream", "chat.stream_async", "chat",
                       "fim.complete")),
    Kind("cohere", _f("chat", "chat_stream", "generate")),
    Kind("ollama client", _f("chat", "generate")),
    Kind("litellm router", _f("completion", "acompletion", "text_completion", "atext_completion")),
    Kind("hf inference client", _f("chat_completion", "text_generation", "chat.completions.create")),
    Kind("vllm", _f("generate", "chat", "beam_search")),
    Kind("llama.cpp", _f("create_chat_completion", "create_completion"), callable=True),
    Kind("hf pipeline", callable=True),
    Kind("hf model", _f("generate")),
    Kind("langchain", _LC_RUN, callable=True, same=_LC_SAME),
    Kind("llamaindex llm", _f("complete", "acomplete", "chat", "achat", "stream_complete", "stream_chat",
                              "astream_complete", "astream_chat", "predict", "apredict",
                              "structured_predict", "astructured_predict")),
    Kind("llamaindex index", derived={"as_query_engine": "llamaindex engine",
                                      "as_chat_engine": "llamaindex engine"}),
    Kind("llamaindex engine", _f("query", "aquery", "chat", "achat", "stream_chat", "astream_chat",
                                 "run")),
    Kind("agent", _f("run", "arun", "kickoff", "kickoff_async", "chat", "achat", "query", "aquery",
                     "invoke", "ainvoke", "run_stream", "initiate_chat"), callable=True),
    # -- sinks on objects ---------------------------------------------------------------------
    Kind("python repl", sinks={"run": Sink(CODE, "command")}),
    Kind("db connection", sinks=_DB_EXECUTE,
         derived={"cursor": "db connection", "connect": "db connection", "begin": "db connection"}),
    Kind("sql database", sinks={"run": Sink(SQL, "command"), "run_no_throw": Sink(SQL, "command")}),
    Kind("neo4j driver", sinks={"execute_query": Sink(SQL, "query_")},
         derived={"session": "neo4j session"}),
    Kind("neo4j session", sinks={"run": Sink(SQL, "query")},
         derived={"begin_transaction": "neo4j session"}),
    Kind("graph store", sinks={"query": Sink(SQL, "query")}),
    Kind("dataframe", sinks={"query": Sink(CODE, "expr"), "eval": Sink(CODE, "expr")}),
    Kind("http session", sinks={**{v: Sink(URL, "url") for v in (*_HTTP_VERBS, "stream", "ws_connect")},
                                "request": Sink(URL, "url", 1)}),
    Kind("jinja environment", sinks={"from_string": Sink(TEMPLATE_SINK, "source")}),
    Kind("sandboxed environment"),
    # a pathlib path: its file operations are sinks of the path itself (analysis/function_flow.py)
    Kind("path", same=_f("resolve", "joinpath", "with_name", "with_suffix", "with_stem", "absolute",
                         "expanduser", "relative_to")),
    Kind("http request", source=NETWORK, anything=True),
)}

# -- constructors: qualified name of a class or factory -> the kind of object it makes ----------

_LC_CHAINS = _names(("langchain.chains", "langchain_classic.chains"),
                    ("LLMChain", "ConversationChain", "RetrievalQA", "RetrievalQAWithSourcesChain",
                     "ConversationalRetrievalChain", "StuffDocumentsChain", "SequentialChain",
                     "SimpleSequentialChain", "MapReduceDocumentsChain")) \
    | _names(("langchain.chains.llm",), ("LLMChain",)) \
    | _names(("langchain.agents", "langchain_classic.agents"), ("AgentExecutor", "initialize_agent")) \
    | _names(("langchain.chat_models", "langchain.chat_models.base"), ("init_chat_model",)) \
    | _names(("langgraph.prebuilt",), ("create_react_agent",)) \
    | _names(("langchain.agents",), ("create_agent",))
#: base classes and protocols: a parameter or field annotated with one holds a model
_LC_TYPES = _f("BaseChatModel", "BaseLanguageModel", "BaseLLM", "LLM", "SimpleChatModel", "LLMChain",
               "LanguageModelLike")


def _kinds(*groups: tuple[str, frozenset]) -> dict[str, str]:
    return {name: kind for kind, names in groups for name in names}


CONSTRUCTORS: dict[str, str] = _kinds(
    ("openai", _names(("openai",), ("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI", "Client",
                                    "AsyncClient"))
     | _names(("groq",), ("Groq", "AsyncGroq")) | _names(("together",), ("Together", "AsyncTogether"))),
    ("anthropic", _names(("anthropic",), ("Anthropic", "AsyncAnthropic", "AnthropicBedrock",
                                          "AsyncAnthropicBedrock", "AnthropicVertex", "AsyncAnthropicVertex",
                                          "Client", "AsyncClient"))),
    ("genai client", _f("google.genai.Client")),
    ("generative model", _names(("google.generativeai", "vertexai.generative_models",
                                 "vertexai.preview.generative_models"), ("GenerativeModel",))),
    ("mistral", _f("mistralai.Mistral", "mistralai.client.MistralClient")),
    ("cohere", _names(("cohere",), ("Client", "ClientV2", "AsyncClient", "AsyncClientV2"))),
    ("ollama client", _names(("ollama",), ("Client", "AsyncClient"))),
    ("litellm router", _f("litellm.Router")),
    ("hf inference client", _names(("huggingface_hub",), ("InferenceClient", "AsyncInferenceClient"))),
    ("vllm", _f("vllm.LLM", "vllm.entrypoints.llm.LLM")),
    ("llama.cpp", _f("llama_cpp.Llama")),
    ("hf pipeline", _f("transformers.pipeline", "transformers.pipelines.pipeline")),
    ("langchain", _LC_CHAINS),
    ("llamaindex index", _names(("llama_index.core", "llama_index.core.indices", "llama_index"),
                                ("VectorStoreIndex", "SummaryIndex", "ListIndex", "TreeIndex",
                                 "KnowledgeGraphIndex", "PropertyGraphIndex", "DocumentSummaryIndex",
                                 "KeywordTableIndex", "load_index_from_storage", "GPTVectorStoreIndex"))),
    ("llamaindex engine", _names(("llama_index.core.query_engine", "llama_index.core.chat_engine",
                                  "llama_index.core.agent", "llama_index.core.agent.workflow"),
                                 ("RetrieverQueryEngine", "CitationQueryEngine", "SubQuestionQueryEngine",
                                  "RouterQueryEngine", "CondensePlusContextChatEngine", "SimpleChatEngine",
                                  "ContextChatEngine", "ReActAgent", "FunctionCallingAgent", "FunctionAgent",
                                  "AgentWorkflow"))),
    ("agent", _names(("smolagents",), ("CodeAgent", "ToolCallingAgent", "MultiStepAgent"))
     | _names(("crewai",), ("Crew", "Agent"))
     | _names(("autogen_agentchat.agents",), ("AssistantAgent", "CodeExecutorAgent"))
     | _names(("autogen_agentchat.teams",), ("RoundRobinGroupChat", "SelectorGroupChat"))
     | _names(("autogen", "pyautogen"), ("AssistantAgent", "ConversableAgent", "UserProxyAgent"))
     | _names(("dspy",), ("Predict", "ChainOfThought", "ReAct", "ProgramOfThought"))
     | _names(("pydantic_ai",), ("Agent",))),
    # objects whose methods are sinks
    ("python repl", _names(("langchain_experimental.utilities", "langchain_experimental.utilities.python",
                            "langchain.utilities", "langchain_community.utilities", "langchain.python"),
                           ("PythonREPL",))),
    ("db connection", _names(("sqlite3", "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql.connector",
                              "pyodbc", "oracledb", "cx_Oracle", "duckdb", "snowflake.connector", "aiosqlite",
                              "databricks.sql", "pg8000", "clickhouse_connect"), ("connect",))
     | _names(("sqlalchemy",), ("create_engine",)) | _names(("sqlalchemy.orm",), ("Session",))
     | _names(("sqlalchemy.ext.asyncio",), ("create_async_engine", "AsyncSession"))
     | _names(("psycopg",), ("Connection.connect", "AsyncConnection.connect"))),
    ("sql database", _names(("langchain_community.utilities", "langchain.utilities",
                             "langchain_community.utilities.sql_database", "langchain.sql_database",
                             "langchain_classic.utilities"), ("SQLDatabase",))),
    ("neo4j driver", _names(("neo4j.GraphDatabase", "neo4j.AsyncGraphDatabase"), ("driver",))),
    ("graph store", _names(("langchain_community.graphs", "langchain_neo4j", "langchain.graphs"),
                           ("Neo4jGraph",))),
    ("http session", _names(("requests", "requests.sessions"), ("Session", "session"))
     | _names(("httpx",), ("Client", "AsyncClient")) | _names(("aiohttp",), ("ClientSession",))),
    ("jinja environment", _names(("jinja2", "jinja2.environment"), ("Environment",))),
    ("sandboxed environment", _names(("jinja2.sandbox",), ("SandboxedEnvironment",
                                                           "ImmutableSandboxedEnvironment"))),
    ("path", _names(("pathlib",), ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath"))),
    ("dataframe", _names(("pandas",), ("DataFrame", "read_csv", "read_parquet", "read_excel", "read_json",
                                       "read_sql", "read_sql_query", "read_table", "read_feather", "concat",
                                       "merge", "json_normalize"))),
)
_INSTRUCTOR = _names(("instructor",), ("from_openai", "patch", "from_anthropic", "from_litellm"))

#: module-level callables whose return value is model output (or a stream of it)
SOURCE_FUNCTIONS: frozenset = (
    _names(("litellm",), ("completion", "acompletion", "text_completion", "atext_completion", "responses",
                          "aresponses", "batch_completion"))
    | _names(("ollama",), ("chat", "generate"))
    | _names(("openai",), ("ChatCompletion.create", "ChatCompletion.acreate", "Completion.create",
                           "Completion.acreate", "chat.completions.create", "completions.create",
                           "responses.create"))
    | _names(("agents", "agents.run"), ("Runner.run", "Runner.run_sync", "Runner.run_streamed"))
)

#: LangChain class names that are models without the usual `Chat*` / `*LLM` spelling
_LC_MODEL_NAMES = _f("OpenAI", "AzureOpenAI", "Ollama", "LlamaCpp", "VLLM", "VLLMOpenAI",
                     "HuggingFacePipeline", "HuggingFaceEndpoint", "HuggingFaceHub",
                     "HuggingFaceTextGenInference", "Bedrock", "VertexAI", "GoogleGenerativeAI", "Anthropic",
                     "Cohere", "Replicate", "Together", "GPT4All", "CTransformers", "Fireworks", "TextGen",
                     "Tongyi", "OpenLLM", "Mlflow", "Databricks", "SagemakerEndpoint",
                     "AzureMLOnlineEndpoint", "Groq", "Clarifai")
_LLAMAINDEX_TYPES = _f("llama_index.core.llms.LLM", "llama_index.core.llms.llm.LLM",
                       "llama_index.core.base.llms.base.BaseLLM", "llama_index.core.llms.CustomLLM",
                       "llama_index.core.llms.function_calling.FunctionCallingLLM",
                       "llama_index.core.base.base_query_engine.BaseQueryEngine",
                       "llama_index.core.query_engine.BaseQueryEngine")
_HF_MODEL_SUFFIXES = ("ForCausalLM", "ForConditionalGeneration", "LMHeadModel", "ForSeq2SeqLM")


def kind_of_class(qualname: str) -> Optional[str]:
    """The kind of object a call of `qualname` (a class, a factory, or a classmethod
    `Class.from_x`) returns, or None."""
    kind = CONSTRUCTORS.get(qualname)
    if kind is not None:
        return kind
    if qualname in _INSTRUCTOR:
        return "openai"
    parts = qualname.split(".")
    top, last = parts[0], parts[-1]
    if last.startswith(("from_", "load")) and len(parts) > 2:
        owner = kind_of_class(".".join(parts[:-1]))
        if owner is not None:
            return owner
    if top.startswith("langchain"):
        return "langchain" if _langchain_model(parts) else None
    if top == "llama_index" and len(parts) > 3 and parts[1] == "llms" and last[:1].isupper():
        return "llamaindex llm"  # llama_index.llms.openai.OpenAI, llama_index.llms.ollama.Ollama
    if top == "transformers" and last == "from_pretrained" and len(parts) == 3 \
            and parts[1].endswith(_HF_MODEL_SUFFIXES):
        return "hf model"
    return None


def _langchain_model(parts: list) -> bool:
    """`langchain_openai.ChatOpenAI`, `langchain_ollama.OllamaLLM`, `langchain_community.llms.Ollama`;
    not `ChatPromptTemplate`, `ChatMessageHistory` and the other Chat* classes that hold no model."""
    last = parts[-1]
    if last.startswith("Chat") and last[4:5].isupper():
        return not any(word in last for word in _NOT_MODELS) and \
            (parts[0] != "langchain_core" or "language_models" in parts)
    return last.endswith("LLM") and last != "FakeListLLM" \
        or (last in _LC_MODEL_NAMES and (len(parts) == 2 or "llms" in parts or "chat_models" in parts))


_NOT_MODELS = ("Prompt", "Message", "History", "Generation", "Result", "Template", "Loader", "Session",
               "Agent", "Tool", "Parser", "Chunk", "Callback")


def kind_of_annotation(qualname: str) -> Optional[str]:
    """The kind of object a parameter or field annotated with `qualname` holds, or None."""
    if qualname in _LLAMAINDEX_TYPES:
        return "llamaindex llm" if "query_engine" not in qualname else "llamaindex engine"
    parts = qualname.split(".")
    if parts[0].startswith("langchain") and parts[-1] in _LC_TYPES:
        return "langchain"
    if qualname in REQUEST_TYPES:
        return "http request"
    if qualname in ("pandas.DataFrame", "pandas.core.frame.DataFrame"):
        return "dataframe"
    kind = CONSTRUCTORS.get(qualname)
    if kind is not None and kind not in ("dataframe",) and qualname.rsplit(".", 1)[-1][:1].isupper():
        return kind
    return kind_of_class(qualname) if parts[0].startswith("langchain") else None


#: module-level objects of a known kind
OBJECTS: dict[str, str] = {
    "django.db.connection": "db connection",
    "llama_index.core.Settings.llm": "llamaindex llm",
    "flask.request": "http request", "flask.globals.request": "http request",
}

#: FastAPI / Starlette / aiohttp request objects: what they return is network data
REQUEST_TYPES = _names(("fastapi", "starlette.requests"), ("Request",)) \
    | _names(("fastapi", "starlette.websockets"), ("WebSocket",)) \
    | _names(("fastapi", "starlette.datastructures"), ("UploadFile",)) \
    | _names(("aiohttp.web", "aiohttp.web_request"), ("Request", "BaseRequest"))

#: every last name of a source: a scope without one of these calls holds no model output
SOURCE_TERMINALS: frozenset = frozenset(
    {p.rsplit(".", 1)[-1] for kind in KINDS.values() if kind.source == MODEL for p in kind.outputs}
    | {n.rsplit(".", 1)[-1] for n in SOURCE_FUNCTIONS})

# -- sinks called by qualified name ------------------------------------------------------------
FUNCTION_SINKS: dict[str, Sink] = {
    "builtins.eval": Sink(CODE, "source"), "builtins.exec": Sink(CODE, "source"),
    "builtins.compile": Sink(CODE, "source"),
    "os.system": Sink(SHELL, "command"), "os.popen": Sink(SHELL, "cmd"),
    "subprocess.getoutput": Sink(SHELL, "cmd"), "subprocess.getstatusoutput": Sink(SHELL, "cmd"),
    "asyncio.create_subprocess_shell": Sink(SHELL, "cmd"),
    "pandas.eval": Sink(CODE, "expr"), "numexpr.evaluate": Sink(CODE, "ex"),
    "sympy.sympify": Sink(CODE, "a"), "sympy.parse_expr": Sink(CODE, "s"),
    "sympy.parsing.sympy_parser.parse_expr": Sink(CODE, "s"), "sympy.core.sympify.sympify": Sink(CODE, "a"),
    # SQL
    **{n: Sink(SQL, "text") for n in _names(("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression"),
                                            ("text",))},
    **{n: Sink(SQL, "sql") for n in _names(("pandas",), ("read_sql", "read_sql_query"))},
    **{n: Sink(SQL, "query") for n in _names(("duckdb",), ("sql", "query", "execute"))},
    # paths
    **{n: Sink(PATH, "file") for n in ("builtins.open", "io.open", "codecs.open", "os.open",
                                       "aiofiles.open")},
    **{n: Sink(PATH, "path") for n in _names(("os",), ("remove", "unlink", "rmdir", "removedirs", "makedirs",
                                                       "mkdir", "listdir", "scandir", "chmod", "truncate"))},
    "os.walk": Sink(PATH, "top"),
    **{n: Sink(PATH, "src") for n in _names(("os",), ("rename", "replace", "renames"))},
    **{n: Sink(PATH, "src") for n in _names(("shutil",), ("copy", "copy2", "copyfile", "copytree", "move"))},
    "shutil.rmtree": Sink(PATH, "path"),
    **{n: Sink(PATH, "path_or_file") for n in ("flask.send_file", "flask.helpers.send_file")},
    **{n: Sink(PATH, "path") for n in ("starlette.responses.FileResponse", "fastapi.responses.FileResponse")},
    # URLs
    **{n: Sink(URL, "url") for n in _names(("requests", "requests.api", "httpx"), _HTTP_VERBS)},
    "httpx.stream": Sink(URL, "url", 1),
    **{n: Sink(URL, "url", 1) for n in ("requests.request", "requests.api.request", "httpx.request",
                                        "aiohttp.request")},
    **{n: Sink(URL, "url") for n in ("urllib.request.urlopen", "urllib.request.urlretrieve",
                                     "urllib.urlopen", "urllib2.urlopen")},
    # templates
    **{n: Sink(TEMPLATE_SINK, "source") for n in ("jinja2.Template", "jinja2.environment.Template")},
    # unpickling
    **{n: Sink(PICKLE, "data") for n in _names(("pickle", "_pickle", "cPickle", "cloudpickle", "dill"),
                                               ("loads",))},
    **{n: Sink(PICKLE, "file") for n in _names(("pickle", "_pickle", "cPickle", "cloudpickle", "dill"),
                                               ("load", "Unpickler"))},
}

#: LangChain prompt templates: a sink only with template_format="jinja2"
_PROMPTS = ("langchain_core.prompts", "langchain.prompts", "langchain_core.prompts.prompt",
            "langchain_core.prompts.chat", "langchain.prompts.prompt", "langchain_classic.prompts")
PROMPT_TEMPLATES = _names(_PROMPTS, ("PromptTemplate", "PromptTemplate.from_template",
                                     "ChatPromptTemplate.from_template", "ChatPromptTemplate.from_messages",
                                     "HumanMessagePromptTemplate.from_template",
                                     "SystemMessagePromptTemplate.from_template"))

SUBPROCESS = _names(("subprocess",), ("run", "call", "check_call", "check_output", "Popen"))
EXEC_FAMILY = frozenset({f"os.{n}" for n in ("execv", "execve", "execvp", "execvpe", "execl", "execlp",
                                             "spawnv", "spawnvp", "spawnl", "spawnlp", "posix_spawn",
                                             "posix_spawnp")}
                        | {"asyncio.create_subprocess_exec", "pty.spawn"})
#: argv[0] values that read the next arguments as a command line or a program
SHELLS = _f("sh", "bash", "zsh", "dash", "ksh", "/bin/sh", "/bin/bash", "/bin/zsh", "/usr/bin/bash",
            "/usr/bin/env", "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh")
INTERPRETERS = _f("python", "python3", "node", "perl", "ruby", "deno")
COMMAND_FLAGS = _f("-c", "/c", "/C", "-Command", "-command", "-e", "--eval", "-lc")

#: pathlib classes: their objects carry the taint of the parts they were built from
PATH_TYPES = _names(("pathlib",), ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath"))
#: methods of a path object that return another path
PATH_RESULTS = _f("joinpath", "with_name", "with_suffix", "with_stem", "absolute", "expanduser",
                  "relative_to")
#: methods on a path object (pathlib) that read, write or remove what it names
PATH_METHODS = _f("read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "rmdir", "mkdir",
                  "touch", "rename", "replace", "iterdir", "glob", "rglob", "symlink_to", "hardlink_to",
                  "chmod")
#: untracked receivers: `.execute(sql)` counts when the module imports one of these
DB_LIBRARIES = _f("sqlite3", "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql", "pyodbc", "oracledb",
                  "cx_Oracle", "duckdb", "snowflake", "aiosqlite", "databricks", "pg8000", "sqlalchemy",
                  "asyncpg", "clickhouse_connect", "django")
NETWORK_LIBRARIES = _f("zmq", "socket", "websockets", "websocket", "starlette", "fastapi", "aiohttp",
                       "tornado", "flask", "socketserver", "asyncio", "grpc")
#: methods that receive bytes from a peer (on a receiver from a networking module)
RECEIVE_METHODS = _f("recv", "recv_bytes", "recv_multipart", "recvfrom", "recvmsg", "recv_string",
                     "receive_bytes", "receive", "recv_frame", "read_message")

# -- propagation and sanitising -----------------------------------------------------------------
#: callables whose result carries the taint of the given arguments (None: of all arguments)
PROPAGATORS: dict[str, Optional[tuple]] = {
    **{f"builtins.{n}": None for n in ("str", "repr", "format", "bytes", "bytearray", "list", "tuple", "set",
                                       "dict", "sorted", "reversed", "next", "iter", "min", "max", "getattr",
                                       "vars", "frozenset", "enumerate", "zip", "filter", "map")},
    **{n: (0, "s") for n in ("json.loads", "orjson.loads", "ujson.loads", "yaml.safe_load", "yaml.load",
                             "tomllib.loads", "tomli.loads", "ast.literal_eval", "base64.b64decode",
                             "base64.urlsafe_b64decode", "base64.b64encode", "codecs.decode",
                             "zlib.decompress", "gzip.decompress", "io.BytesIO", "io.StringIO",
                             "textwrap.dedent", "textwrap.indent", "textwrap.fill", "shlex.split",
                             "html.unescape", "urllib.parse.unquote", "urllib.parse.unquote_plus",
                             "urllib.parse.urlparse", "urllib.parse.urlsplit", "urllib.request.Request",
                             "msgpack.unpackb", "markdown.markdown")},
    **{n: (1, "string") for n in _names(("re",), ("search", "match", "fullmatch", "findall", "finditer",
                                                  "split"))},
    **{n: (1, "repl", 2, "string") for n in _names(("re",), ("sub", "subn"))},
    **{n: None for n in _names(("os.path",), ("join", "expanduser", "expandvars", "dirname", "splitext",
                                              "split"))},
    **{n: None for n in ("urllib.parse.urljoin", "posixpath.join", "ntpath.join")},
}
#: callables whose result is a resolved path (see RESOLVED)
RESOLVERS = _f("os.path.realpath", "os.path.abspath", "os.path.normpath", "posixpath.realpath",
               "posixpath.abspath", "posixpath.normpath")
RESOLVER_METHODS = _f("resolve", "absolute")  # absolute() alone keeps "..": only with resolve
#: callables whose result is clean for the given sink kinds
SANITISERS: dict[str, frozenset] = {
    **{f"builtins.{n}": _f(ALL) for n in ("int", "float", "bool", "len", "hash", "id", "abs", "round",
                                          "isinstance", "callable")},
    **{n: _f(ALL) for n in ("uuid.UUID", "hashlib.sha256", "hashlib.md5", "hashlib.sha1", "math.floor",
                            "math.ceil")},
    "shlex.quote": _f(SHELL), "pipes.quote": _f(SHELL), "shlex.join": _f(SHELL),
    "os.path.basename": _f(PATH), "posixpath.basename": _f(PATH),
    "werkzeug.utils.secure_filename": _f(PATH, SHELL),
}
#: methods of a tainted value that return something clean (booleans, counts, positions)
CLEAN_METHODS = _f("startswith", "endswith", "isdigit", "isalpha", "isalnum", "isnumeric", "isdecimal",
                   "isidentifier", "isspace", "islower", "isupper", "istitle", "isascii", "count", "find",
                   "rfind", "index", "rindex", "exists", "is_file", "is_dir", "is_relative_to", "is_absolute",
                   "__len__", "stat", "is_symlink", "samefile")
#: methods that put their arguments into the receiver (a buffer filled in a receive loop)
FILLING_METHODS = _f("append", "extend", "insert", "appendleft", "extendleft")
#: methods with untainted receivers whose result carries the taint of their arguments
ARGUMENT_METHODS = _f("join", "format", "format_map", "replace", "decode", "batch_decode", "parse",
                      "parse_result", "aparse", "extract", "joinpath", "substitute", "safe_substitute")
#: attributes of a model response that are not text the model chose
METADATA_ATTRIBUTES = _f("usage", "usage_metadata", "response_metadata", "id", "model", "created", "object",
                         "finish_reason", "stop_reason", "system_fingerprint", "prompt_tokens",
                         "completion_tokens", "total_tokens", "status_code", "logprobs", "role", "index",
                         "input_tokens", "output_tokens", "model_version", "prompt_feedback", "__class__")
#: guards: a test `x.isdigit()` (true branch) means x holds no dangerous characters
CLEAN_TESTS = _f("isdigit", "isdecimal", "isnumeric", "isalnum", "isalpha")
#: attributes and keys that hold a model's chat template
TEMPLATE_NAMES = _f("chat_template", "tokenizer.chat_template", "default_chat_template")

# -- agent tools --------------------------------------------------------------------------------
TOOL_DECORATORS = _names(("langchain_core.tools", "langchain_core.tools.convert", "langchain.tools",
                          "langchain.agents", "langchain.tools.base", "langchain_community.tools",
                          "crewai.tools", "crewai_tools", "crewai.tools.base_tool", "smolagents",
                          "smolagents.tools", "strands", "langchain_classic.tools"), ("tool",)) \
    | _names(("agents", "agents.tool"), ("function_tool",)) \
    | _names(("semantic_kernel.functions", "semantic_kernel.functions.kernel_function_decorator"),
             ("kernel_function",)) \
    | _names(("llama_index.core.tools",), ("FunctionTool.from_defaults",))
#: objects whose `.tool()` / `.resource()` / `.call_tool()` decorators register agent tools
TOOL_SERVERS = _names(("mcp.server.fastmcp", "mcp.server.fastmcp.server", "fastmcp", "fastmcp.server"),
                      ("FastMCP",)) \
    | _names(("mcp.server", "mcp.server.lowlevel", "mcp.server.lowlevel.server"), ("Server",)) \
    | _names(("pydantic_ai",), ("Agent",))
TOOL_SERVER_METHODS = _f("tool", "resource", "call_tool", "tool_plain")
#: base classes whose `_run` / `_arun` / `forward` take the model's arguments
TOOL_BASES = _names(("langchain_core.tools", "langchain.tools", "langchain_core.tools.base",
                     "langchain.tools.base", "crewai.tools", "crewai_tools", "crewai.tools.base_tool",
                     "langchain_community.tools"), ("BaseTool",)) \
    | _names(("smolagents", "smolagents.tools"), ("Tool",))
TOOL_METHODS = _f("_run", "_arun", "forward")
#: LangChain's own code-running tools (subclasses of its BaseTool with these names): running their
#: input is their purpose, and MLS502 reports where an application gives one to an agent, so their
#: implementations are not tool sources
CODE_TOOLS = _f("PythonREPLTool", "PythonAstREPLTool", "ShellTool")
LANGCHAIN_TOOL_BASES = frozenset(n for n in TOOL_BASES if n.startswith("langchain"))
#: parameter types a tool framework validates into something that cannot carry text
SAFE_PARAM_TYPES = _f("builtins.int", "builtins.float", "builtins.bool", "datetime.date", "datetime.datetime",
                      "uuid.UUID")
#: parameters the framework fills in (contexts, callbacks), not the model
FRAMEWORK_PARAMS = _f("self", "cls", "run_manager", "callbacks", "ctx", "context", "config", "tool_context",
                      "wrapper", "kernel")


def sink_names(kinds: frozenset) -> frozenset:
    """The last names of every call that can be a sink of one of `kinds` (function_flow.py's
    `_sink` sites), for the cheap stage (engine/prescreen.py): a file without any of them has no
    flow into such a sink, since helpers are followed only within the module."""
    names = {name.rsplit(".", 1)[-1] for name, sink in FUNCTION_SINKS.items() if sink.kind in kinds}
    for kind in KINDS.values():
        names.update(path.rsplit(".", 1)[-1] for path, sink in kind.sinks.items() if sink.kind in kinds)
    if kinds & {CODE, SHELL, ARGV}:
        names.update(name.rsplit(".", 1)[-1] for name in SUBPROCESS | EXEC_FAMILY)
    if PATH in kinds:
        names.update(PATH_METHODS)
    if SQL in kinds:
        names.update(("execute", "executemany", "executescript", "raw"))
    if TEMPLATE_SINK in kinds:
        names.update(name.rsplit(".", 1)[-1] for name in PROMPT_TEMPLATES)
    return frozenset(names)
