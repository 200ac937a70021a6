"""MLS501 llm-output-code-execution: a data-analysis assistant that turns questions into code.

Model output is followed from the client or chain that produced it (by the class the client was
built from, never by a method name alone) to eval/exec, shells and other interpreters.
Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import ast
import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from subprocess import check_output as run_and_capture

import anthropic
import litellm
import numexpr
import ollama
import pandas as pd
import sympy
from langchain_anthropic import ChatAnthropic
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from openai import AsyncOpenAI, OpenAI
from transformers import pipeline

client = OpenAI()
claude = anthropic.Anthropic()
coder = pipeline("text-generation", model="Qwen/Qwen2.5-Coder-1.5B-Instruct", revision="0123456789abcdef0123456789abcdef01234567")
PLOT_PROMPT = ChatPromptTemplate.from_template("Write plotly code for: {question}")
plot_chain = PLOT_PROMPT | ChatOpenAI(model="gpt-4o-mini") | StrOutputParser()
SAFE_COMMANDS = ("git status", "git log --oneline", "df -h")


def extract_code(text):
    """The first fenced code block of a markdown answer."""
    match = re.search(r"```(?:python)?\n(.*?)```", text, re.S)
    return match.group(1) if match else text


def answer_with_code(question, df):
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Write pandas code answering: {question}"}],
    )
    code = extract_code(completion.choices[0].message.content)
    local_vars = {"df": df}
    exec(code, {"pd": pd}, local_vars)  # expect: MLS501
    usage = completion.usage.total_tokens
    eval(f"{usage} * 1")  # ok: token counts are not text the model chose
    return local_vars.get("result")


def plot(question, df):
    plotly_code = plot_chain.invoke({"question": question})
    ldict = {"df": df}
    exec(plotly_code, globals(), ldict)  # expect: MLS501  (the Vanna shape, CVE-2024-5565)
    return ldict.get("fig")


def calculator(expression_request):
    reply = claude.messages.create(model="claude-sonnet-4-5", max_tokens=200,
                                   messages=[{"role": "user", "content": expression_request}])
    expression = reply.content[0].text.strip()
    value = numexpr.evaluate(expression)  # expect: MLS501  (the LLMMathChain shape, CVE-2023-29374)
    symbolic = sympy.sympify(expression)  # expect: MLS501
    literal = ast.literal_eval(expression)  # ok: literal_eval builds data, it never runs code
    return value, symbolic, literal


def filter_rows(df, request):
    response = litellm.completion(model="ollama/llama3", messages=[{"role": "user", "content": request}])
    condition = response["choices"][0]["message"]["content"]
    subset = df.query(condition)  # ok: `df` is a parameter here, its class unknown
    frame = pd.read_csv("sales.csv")
    rows = frame.query(condition)  # expect: MLS501
    total = pd.eval(condition)  # expect: MLS501
    return subset, rows, total


def ops_assistant(task):
    result = ollama.chat(model="llama3", messages=[{"role": "user", "content": task}])
    command = result["message"]["content"]
    plan = json.loads(command)
    os.system(plan["shell"])  # expect: MLS501
    subprocess.run(command, shell=True, check=True)  # expect: MLS501
    subprocess.run(["bash", "-c", command], check=True)  # expect: MLS501
    subprocess.run(shlex.split(command))  # expect: MLS501  (the model picks the program)
    run_and_capture(f"grep -r {shlex.quote(command)} logs/", shell=True)  # ok: quoted for the shell
    subprocess.run(["grep", "-r", command, "logs/"])  # ok: a fixed program, no shell
    if command in SAFE_COMMANDS:
        subprocess.run(command, shell=True)  # ok: checked against a literal allow-list
    if plan["shell"] not in SAFE_COMMANDS:
        raise ValueError("command not allowed")
    os.system(plan["shell"])  # ok: the guard above raised for anything else


def generate_tests(module_source):
    out = coder(f"Write pytest tests for:\n{module_source}", max_new_tokens=512)
    test_code = out[0]["generated_text"]
    compiled = compile(test_code, "<generated>", "exec")  # expect: MLS501
    subprocess.run([sys.executable, "-c", test_code])  # expect: MLS501
    return compiled


def run_snippet(snippet):
    """A helper that executes its argument: a sink for its callers."""
    namespace = {}
    exec(snippet, namespace)
    return namespace


def ask_for_snippet(prompt):
    llm = ChatAnthropic(model="claude-sonnet-4-5")
    return llm.invoke(prompt).content


def pipeline_step(task):
    run_snippet(ask_for_snippet(task))  # expect: MLS501  (both through helpers)
    snippet = ask_for_snippet(task)
    eval(snippet)  # expect: MLS501
    run_snippet("print('warm-up')")  # ok: a literal


async def stream_fix(code, error):
    aclient = AsyncOpenAI()
    stream = await aclient.chat.completions.create(
        model="gpt-4o", stream=True,
        messages=[{"role": "user", "content": f"Fix this code:\n{code}\nError: {error}"}])
    fixed = ""
    async for chunk in stream:
        fixed += chunk.choices[0].delta.content or ""
    proc = await asyncio.create_subprocess_shell(fixed)  # expect: MLS501
    return await proc.wait()


class NotebookAgent:
    def __init__(self, model="gpt-4o"):
        self.llm = ChatOpenAI(model=model)
        self.history = []

    def step(self, instruction):
        message = self.llm.invoke(instruction)
        self.history.append(message)
        exec(message.content, {})  # expect: MLS501
        return message


def sandboxed(question, sandbox):
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
    code = completion.choices[0].message.content
    sandbox.run_code(code)  # ok: a remote or container executor, not this process
    data = json.loads(code)  # ok: json.loads builds data
    return eval("2 ** 10"), data  # ok: a literal expression


def unknown_objects(agent, chain, model, text):
    reply = agent.invoke(text)  # an object of unknown class: no source
    exec(reply)  # ok: `agent` could be anything; only known clients are sources
    model.eval()  # ok: torch's Module.eval is not the builtin
    exec(chain.run(text))  # ok: `chain` is a parameter of unknown class
    eval(input("expression: "))  # ok for MLS501: user input, not model output
