"""MLS401 hardcoded-provider-key: API keys in a known provider format, wherever they appear.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be. Every key below is synthetic: "FakeKeyForMlSeclint..." bodies (or
fa4ec0de... hex) shaped to match the provider's format. None of them is, or was, a real key.
"""
import os

import anthropic
import boto3
import openai
import replicate
from groq import Groq
from huggingface_hub import HfApi, login
from openai import OpenAI
from pinecone import Pinecone

# -- one sample per format in ml_seclint/secrets_table.py ---------------------------------------
openai.api_key = os.environ["OPENAI_API_KEY"]  # expect: MLS401
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])  # expect: MLS401
batch_client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])  # expect: MLS401
ADMIN_KEY = os.environ["OPENAI_ADMIN_KEY"]  # expect: MLS401
claude = anthropic.Anthropic(api_key=os.environ["ANTHROPIC_API_KEY"])  # expect: MLS401
claude_admin = anthropic.Anthropic(api_key=os.environ["ANTHROPIC_ADMIN_KEY"])  # expect: MLS401
login(token=os.environ["HF_TOKEN"])  # expect: MLS401
hub = HfApi(token=os.environ["HF_TOKEN"])  # expect: MLS401
GEMINI_API_KEY = os.environ["GOOGLE_API_KEY"]  # expect: MLS401
s3 = boto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"])  # expect: MLS401
GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]  # expect: MLS401
GH_PAT = os.environ["GITHUB_TOKEN"]  # expect: MLS401
groq = Groq(api_key=os.environ["GROQ_API_KEY"])  # expect: MLS401
rep = replicate.Client(api_token=os.environ["REPLICATE_API_TOKEN"])  # expect: MLS401
XAI_API_KEY = os.environ["XAI_API_KEY"]  # expect: MLS401
PPLX_KEY = os.environ["PERPLEXITY_API_KEY"]  # expect: MLS401
router = OpenAI(base_url="https://openrouter.ai/api/v1", api_key=os.environ["OPENROUTER_API_KEY"])  # expect: MLS401
os.environ["LANGSMITH_API_KEY"] = "lsv2_pt_fa4ec0de0123456789abcdeffa4ec0de_fa4ec0de01"  # expect: MLS401
pc = Pinecone(api_key=os.environ["PINECONE_API_KEY"])  # expect: MLS401

# -- inside longer strings, f-strings, bytes, comments, docstrings ------------------------------
HEADERS = {"Authorization": "Bearer hf_FakeKeyForMlSeclintChecksNotARealC"}  # expect: MLS401
ENDPOINT = f"https://generativelanguage.googleapis.com/v1beta/models?key=AIzaFakeKeyForMlSeclintChecksNotARealCr"  # expect: MLS401
RAW = b"gsk_FakeKeyForMlSeclintChecksNotARealCredential012345678"  # expect: MLS401
SPLIT = os.environ["HF_TOKEN"]
# token for the demo space: hf_FakeKeyForMlSeclintChecksNotARealC  # expect: MLS401


def ask(question, model="gpt-4o"):
    """Ask the model, e.g. `OPENAI_API_KEY=sk-proj-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChT3BlbkFJFakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintCh python ask.py`."""  # expect: MLS401
    return OpenAI().chat.completions.create(model=model, messages=[question])  # ok: key from the env


CONFIG = {
    "openai": {"api_key": os.environ["OPENAI_API_KEY"]},  # expect: MLS401
    "hf_token": os.environ.get("HF_TOKEN"),  # ok: environment look-up
}

# -- clean look-alikes --------------------------------------------------------------------------
PLACEHOLDER = "sk-..."  # ok: placeholder
PLACEHOLDER_PROJECT = "sk-proj-YOUR_KEY_HERE"  # ok: placeholder
HF_PLACEHOLDER = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"  # ok: x run, right length
STARS = "hf_**********************************"  # ok: asterisk run
AWS_DOCS_KEY = "AKIAIOSFODNN7EXAMPLE"  # ok: the key AWS documentation uses
TEMPLATE = "Bearer ${HF_TOKEN}"  # ok: shell-style variable
ANGLE = "<your-anthropic-key>"  # ok: placeholder
hub_file = "hf_hub_download"  # ok: an identifier, not a key
LONGER = "hf_FakeKeyForMlSeclintChecksNotARealCZ"  # ok: one character too long for a Hugging Face token
repo_id = "hf-internal-testing/tiny-random-gpt2"  # ok: a repo id
SHA = "fa4ec0de0123456789abcdeffa4ec0de01234567"  # ok: a commit SHA
