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
openai.api_key = "sk-FakeKeyForMlSeclintCT3BlbkFJFakeKeyForMlSeclintC"  # expect: MLS401
client = OpenAI(api_key="sk-proj-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChT3BlbkFJFakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintCh")  # expect: MLS401
batch_client = OpenAI(api_key="sk-svcacct-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChT3BlbkFJFakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintCh")  # expect: MLS401
ADMIN_KEY = "sk-admin-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKT3BlbkFJFakeKeyForMlSeclintChecksNotARealCredential0123456789FakeK"  # expect: MLS401
claude = anthropic.Anthropic(api_key="sk-ant-api03-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChecksNotARealCredentAA")  # expect: MLS401
claude_admin = anthropic.Anthropic(api_key="sk-ant-admin01-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChecksNotARealCredentAA")  # expect: MLS401
login(token="hf_FakeKeyForMlSeclintChecksNotARealC")  # expect: MLS401
hub = HfApi(token="api_org_FakeKeyForMlSeclintChecksNotARealC")  # expect: MLS401
GEMINI_API_KEY = "AIzaFakeKeyForMlSeclintChecksNotARealCr"  # expect: MLS401
s3 = boto3.client("s3", aws_access_key_id="AKIAFAKEKEYFORMLSECL")  # expect: MLS401
GITHUB_TOKEN = "ghp_FakeKeyForMlSeclintChecksNotARealCre"  # expect: MLS401
GH_PAT = "github_pat_FakeKeyForMlSeclintChe_FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKe"  # expect: MLS401
groq = Groq(api_key="gsk_FakeKeyForMlSeclintChecksNotARealCredential012345678")  # expect: MLS401
rep = replicate.Client(api_token="r8_FakeKeyForMlSeclintChecksNotARealCred")  # expect: MLS401
XAI_API_KEY = "xai-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChecksNo"  # expect: MLS401
PPLX_KEY = "pplx-FakeKeyForMlSeclintChecksNotARealCredential01234"  # expect: MLS401
router = OpenAI(base_url="https://openrouter.ai/api/v1", api_key="sk-or-v1-fa4ec0de0123456789abcdeffa4ec0de0123456789abcdeffa4ec0de01234567")  # expect: MLS401
os.environ["LANGSMITH_API_KEY"] = "lsv2_pt_fa4ec0de0123456789abcdeffa4ec0de_fa4ec0de01"  # expect: MLS401
pc = Pinecone(api_key="pcsk_FakeKe_FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyFor")  # expect: MLS401

# -- inside longer strings, f-strings, bytes, comments, docstrings ------------------------------
HEADERS = {"Authorization": "Bearer hf_FakeKeyForMlSeclintChecksNotARealC"}  # expect: MLS401
ENDPOINT = f"https://generativelanguage.googleapis.com/v1beta/models?key=AIzaFakeKeyForMlSeclintChecksNotARealCr"  # expect: MLS401
RAW = b"gsk_FakeKeyForMlSeclintChecksNotARealCredential012345678"  # expect: MLS401
SPLIT = ("hf_FakeKeyForMlSec"  # expect: MLS401
         "lintChecksNotARealC")
# token for the demo space: hf_FakeKeyForMlSeclintChecksNotARealC  # expect: MLS401


def ask(question, model="gpt-4o"):
    """Ask the model, e.g. `OPENAI_API_KEY=sk-proj-FakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintChT3BlbkFJFakeKeyForMlSeclintChecksNotARealCredential0123456789FakeKeyForMlSeclintCh python ask.py`."""  # expect: MLS401
    return OpenAI().chat.completions.create(model=model, messages=[question])  # ok: key from the env


CONFIG = {
    "openai": {"api_key": "sk-FakeKeyForMlSeclintCT3BlbkFJFakeKeyForMlSeclintC"},  # expect: MLS401
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
