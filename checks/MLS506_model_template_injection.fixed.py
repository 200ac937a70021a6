"""MLS506 model-template-injection: chat templates from model files and other non-literal templates
compiled by Jinja2 without a sandbox (the llama-cpp-python / LiteLLM / SGLang CVEs).

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import json
import textwrap

import jinja2
from jinja2 import Environment, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from transformers import AutoTokenizer

FALLBACK_TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
SYSTEM_TEMPLATE = textwrap.dedent("""\
    You are a helpful assistant.
    {{ instructions }}
""")
sandbox = ImmutableSandboxedEnvironment(trim_blocks=True)


def render_chat(model_dir, messages):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    template = tokenizer.chat_template or FALLBACK_TEMPLATE
    return ImmutableSandboxedEnvironment().from_string(template).render(messages=messages)  # expect: MLS506  (CVE-2024-34359 shape)


def render_from_gguf(metadata, messages):
    env = Environment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True)
    compiled = env.from_string(metadata["tokenizer.chat_template"])  # expect: MLS506
    return compiled.render(messages=messages, add_generation_prompt=True)


def render_from_config(config_path, messages):
    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    chat_template = config.get("chat_template")
    env = jinja2.Environment()
    return env.from_string(chat_template).render(messages=messages)  # expect: MLS506  (LiteLLM #2949 shape)


def render_inline(tokenizer, messages):
    return ImmutableSandboxedEnvironment(trim_blocks=True).from_string(tokenizer.chat_template).render(messages=messages)  # expect: MLS506


def render_safely(model_dir, messages):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    compiled = sandbox.from_string(tokenizer.chat_template)  # ok: an immutable sandbox
    also = SandboxedEnvironment().from_string(tokenizer.chat_template)  # ok: a sandbox
    return compiled.render(messages=messages), also


def literal_templates(user_name):
    greeting = Template("Hello {{ name }}!").render(name=user_name)  # ok: a literal template
    system = Environment().from_string(SYSTEM_TEMPLATE)  # ok: a literal (dedented) constant
    fallback = jinja2.Template(FALLBACK_TEMPLATE)  # ok: a module constant
    return greeting, system, fallback


def user_template(template_text, values):
    """A library function that compiles whatever template its caller passes."""
    return ImmutableSandboxedEnvironment().from_string(template_text).render(**values)  # expect: MLS506  (medium: origin unknown)


class PromptBuilder:
    """Renders the prompt templates this package ships."""

    template = "Context:\n{{ context }}\n\nQuestion: {{ question }}"

    def render(self, **values):
        return Template(self.template).render(**values)  # ok: the class's own template

    def describe(self):
        return Template(self.render.__doc__ or "").render()  # ok: a docstring


DISPATCH_TEMPLATE = "{% for kernel in kernels %}dispatch({{ kernel }});\n{% endfor %}"
IMPL_TEMPLATE = "void {{ name }}();\n"


def create_template(template_str):
    return jinja2.Template(template_str)  # ok: every caller in this module passes a constant


dispatch_template = create_template(DISPATCH_TEMPLATE)
impl_template = create_template(IMPL_TEMPLATE)


def prompts(template_text):
    prompt = PromptTemplate(template=template_text, input_variables=["question"],  # expect: MLS506
                            template_format="jinja2")
    chat = ChatPromptTemplate.from_template(template_text, template_format="jinja2")  # expect: MLS506
    plain = PromptTemplate.from_template(template_text)  # ok: the f-string format
    fixed = PromptTemplate(template="Answer: {{ question }}", input_variables=["question"],  # ok: a literal
                           template_format="jinja2")
    return prompt, chat, plain, fixed
