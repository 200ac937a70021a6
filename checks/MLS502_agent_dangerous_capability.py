"""MLS502 agent-dangerous-capability: agents and chains given tools that run what the model writes.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import pandas as pd
from autogen import AssistantAgent, UserProxyAgent
from autogen_ext.code_executors.docker import DockerCommandLineCodeExecutor
from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor
from crewai import Agent
from interpreter import interpreter
from langchain.chains import LLMMathChain
from langchain_community.agent_toolkits.load_tools import load_tools
from langchain_community.agent_toolkits.openapi.toolkit import RequestsToolkit
from langchain_community.tools import ShellTool
from langchain_experimental.agents import create_pandas_dataframe_agent
from langchain_experimental.pal_chain import PALChain
from langchain_experimental.tools import PythonAstREPLTool, PythonREPLTool
from langchain_openai import ChatOpenAI
from llama_index.experimental.query_engine import PandasQueryEngine
from llama_index.tools.code_interpreter import CodeInterpreterToolSpec
from smolagents import CodeAgent, InferenceClientModel

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)
ALLOW_CODE = True


def analyst(df: pd.DataFrame):
    agent = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=True)  # expect: MLS502
    also = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=ALLOW_CODE)  # expect: MLS502
    engine = PandasQueryEngine(df=df, verbose=True)  # expect: MLS502
    return agent, also, engine


def tools():
    repl = PythonREPLTool()  # expect: MLS502
    ast_repl = PythonAstREPLTool(locals={"df": None})  # expect: MLS502
    shell = ShellTool()  # expect: MLS502
    dangerous = load_tools(["terminal", "llm-math"], llm=llm)  # expect: MLS502
    harmless = load_tools(["wikipedia", "llm-math"], llm=llm)  # ok: no tool that runs commands
    http = RequestsToolkit(requests_wrapper=None, allow_dangerous_requests=True)  # expect: MLS502
    http_off = RequestsToolkit(requests_wrapper=None, allow_dangerous_requests=False)  # ok: refused
    code_spec = CodeInterpreterToolSpec()  # expect: MLS502
    return repl, ast_repl, shell, dangerous, harmless, http, http_off, code_spec


def math_chains():
    math = LLMMathChain.from_llm(llm)  # expect: MLS502
    pal = PALChain.from_math_prompt(llm, verbose=True)  # expect: MLS502
    return math, pal


def smol():
    model = InferenceClientModel()
    local = CodeAgent(tools=[], model=model, additional_authorized_imports=["os", "pandas"])  # expect: MLS502
    star = CodeAgent(tools=[], model=model, additional_authorized_imports=["*"])  # expect: MLS502
    remote = CodeAgent(tools=[], model=model, additional_authorized_imports=["*"],  # ok: a remote sandbox
                       executor_type="e2b")
    plain = CodeAgent(tools=[], model=model, additional_authorized_imports=["numpy", "pandas"])  # ok
    return local, star, remote, plain


def autogen_agents(config_list):
    assistant = AssistantAgent("assistant", llm_config={"config_list": config_list})
    proxy = UserProxyAgent("user", code_execution_config={"work_dir": "coding", "use_docker": False})  # expect: MLS502
    docker_proxy = UserProxyAgent("user", code_execution_config={"work_dir": "coding", "use_docker": True})  # ok
    local = LocalCommandLineCodeExecutor(work_dir="coding")  # expect: MLS502
    container = DockerCommandLineCodeExecutor(work_dir="coding")  # ok: code runs in a container
    return assistant, proxy, docker_proxy, local, container


def crew():
    unsafe = Agent(role="coder", goal="g", backstory="b", allow_code_execution=True,  # expect: MLS502
                   code_execution_mode="unsafe")
    safe = Agent(role="coder", goal="g", backstory="b", allow_code_execution=True, code_execution_mode="safe")  # ok
    return unsafe, safe


def open_interpreter():
    interpreter.auto_run = True  # expect: MLS502
    interpreter.offline = True  # ok: another setting


def not_langchain(client):
    client.configure(allow_dangerous_code=False)  # ok: turned off


def build_agent(df, allow_dangerous_code=False, **kwargs):
    """A library function that builds the agent only for callers who opt in."""
    if not allow_dangerous_code:
        raise ValueError("pass allow_dangerous_code=True to let the agent run the code the model writes")
    tools = [PythonAstREPLTool(locals={"df": df})]  # ok: behind the caller's explicit opt-in
    agent = create_pandas_dataframe_agent(llm, df, **kwargs)  # ok: the caller's allow_dangerous_code decides
    return agent, tools


def load_math_chain(config_llm, **config):
    return LLMMathChain.from_llm(config_llm, **config)  # ok: a factory; its caller's call is the finding
