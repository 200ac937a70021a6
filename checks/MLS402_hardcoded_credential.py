"""MLS402 hardcoded-credential: a random-looking literal bound to a credential by the code.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be. The values are random-looking strings made up for this file.
"""
import enum
import os
from dataclasses import dataclass

import boto3
import openai
import requests
import wandb
from huggingface_hub import HfApi, login
from openai import OpenAI
from requests.auth import HTTPBasicAuth
from transformers import AutoTokenizer

# -- bound by name: assignments, attributes, keywords, dict keys, defaults -----------------------
API_KEY = "q7Rt2vXw9LmZ4pKcB8nD"  # expect: MLS402
openai.api_key = "Vb3nQ8rT1yUw5eKp0LzA"  # expect: MLS402
client = OpenAI(api_key="Gh7Jk2Lm9Np4Qr6St1Uv")  # expect: MLS402
db_password = "Tr0ub4dor&3x"  # expect: MLS402
aws_secret_access_key = "wJalrXUtnFEMIK7MDENGbPxRfiCYzQ2mB9dLkT4s"  # expect: MLS402
session = boto3.Session(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],  # ok: env look-up
                        aws_secret_access_key="Zx9Cv8Bn7Mq6Wp5Ek4Rt3Yu2Io1PaSdFgHjKlQwE")  # expect: MLS402
HEADERS = {"Authorization": "Bearer Nq4Wd8Yx2Zc6Vb1Mf5Kg9Hj"}  # expect: MLS402
PAYLOAD = {"x-api-key": "Pf3Ls8Dk2Jh7Gq1Wz6Xc"}  # expect: MLS402
resp = requests.get("https://api.example.org", auth=HTTPBasicAuth("bot", "Kq8Ws2Ed5Rf9Tg"))  # expect: MLS402
hub_token: str = "Mz5Xn8Cb2Vq7Lw4Kr1Tj"  # expect: MLS402


@dataclass
class ServiceConfig:
    endpoint: str = "https://api.example.org"  # ok: not a credential
    client_secret: str = "Jd7Fk3Ls9Qp2Wm6Xn4Bv"  # expect: MLS402


def connect(user, password="Hy6Tg2Rf8Ed4Ws1Qa9Z"):  # expect: MLS402
    return user, password


def authorised(token):
    return token == "Lp9Ok8Ij7Uh6Yg5Tf4Rd"  # expect: MLS402


# -- environment variables set in code -----------------------------------------------------------
os.environ["WANDB_API_KEY"] = "Bv2Nc4Mx6Lz8Kq0Wp3Er"  # expect: MLS402
os.environ.setdefault("COHERE_API_KEY", "Yt5Re7Wq9Ui1Op3As6Df")  # expect: MLS402
os.environ.update(MISTRAL_API_KEY="Qs4Wd6Ef8Rg0Th2Yj5Uk")  # expect: MLS402

# -- known SDK credential parameters (any non-placeholder literal) --------------------------------
wandb.login(key="5f4dcc3b5aa765d61d8327deb882cf99a1b2c3d4")  # expect: MLS402
login("Xv1Bn3Mq5Wr7Et9Yu2Io")  # expect: MLS402
api = HfApi(token="Rt6Yu8Io0Pa2Sd4Fg7Hj")  # expect: MLS402

# -- the same literal reached through a constant is one finding, where it is written ---------------
LEGACY = "Cx8Vb6Nm4Qw2Er0Ty7Ui"  # expect: MLS402
legacy_client = OpenAI(api_key=LEGACY)  # ok: reported where the literal is

# -- tokenizer vocabulary and settings ------------------------------------------------------------
tokenizer = AutoTokenizer.from_pretrained("gpt2", revision="607a30d783dfa663caf39e06633721c8d4cfcd7e")  # ok
tokenizer.pad_token = "<|endoftext|>"  # ok: tokenizer vocabulary
tokenizer.add_special_tokens({"pad_token": "[PAD]", "additional_special_tokens": ["<tool>"]})  # ok
eos_token = "</s>"  # ok
mask_token = "Ġmask_Xq9Zr2"  # ok: a vocabulary entry, not a credential name
max_tokens = 4096  # ok
token_ids = tokenizer("hello")["input_ids"]  # ok
generation = dict(max_new_tokens=256, bos_token_id=1, eos_token_id=2)  # ok

# -- environment look-ups, local servers, placeholders, non-credentials ----------------------------
api_key = os.environ["OPENAI_API_KEY"]  # ok: environment look-up
api_key = os.getenv("OPENAI_API_KEY", "")  # ok
local = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")  # ok: vLLM convention
ollama = OpenAI(base_url="http://localhost:11434/v1", api_key="ollama")  # ok
llamacpp = OpenAI(base_url="http://localhost:8080/v1", api_key="sk-no-key-required")  # ok
demo = OpenAI(api_key="sk-...")  # ok: placeholder
demo = OpenAI(api_key="YOUR_API_KEY")  # ok: placeholder
demo = OpenAI(api_key="<token>")  # ok: placeholder
demo = OpenAI(api_key="xxxxxxxxxxxxxxxx")  # ok: placeholder
demo = OpenAI(api_key="${OPENAI_API_KEY}")  # ok: a variable reference
password = ""  # ok: empty
secret = None  # ok
api_key_env = "OPENAI_API_KEY"  # ok: names the variable
token_url = "https://oauth2.example.org/token"  # ok: a URL
secret_name = "prod/openai/api-key"  # ok: names a secret in a manager
commit = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"  # ok: a SHA bound to a non-credential name
checkpoint_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # ok
password_prompt = "Enter your password: "  # ok: not a credential (and has spaces)
SESSION_KEYS = {"signing_key": "session_signing_key_v2"}  # ok: a storage key name, not a key
ENV_TO_FLAG = {"SERVER_API_KEY": "--api-key", "SERVER_TOKEN": "--token"}  # ok: command-line flags
TOKEN_PATTERN = r"^[A-Za-z0-9_\-]{32,64}$"  # ok: a regular expression
api_key_regex = "(?P<key>[a-f0-9]{40})"  # ok: a regular expression
POSTHOG_API_KEY = "phc_qX4rT9wZ2vB7nM5kL8pJ3hG6fD1sA0cE2yU4iO9"  # ok: a publishable project key
STRIPE_PUBLISHABLE_KEY = "pk_live_51Hq2rT9wZ2vB7nM5kL8pJ3hG6"  # ok: publishable by design
auth_token = "q9Xw2Lp7Rv4Tz8Nc"  # expect: MLS402
REQUEST_ID_KEY = "X-Request-Id"  # ok: an HTTP header name
AUTH_HEADER_KEY = "Ocp-Apim-Subscription-Key"  # ok: an HTTP header name
ClientSecretCredential = "ClientSecretCredential"  # ok: the value is its own name (an enum of types)
api_key = "__not_connected__"  # ok: a sentinel
cache_key = "_litellm_io_token_reservation_id"  # ok: a private key name
api_token = "._internal.cloud.api_token:ApiToken"  # ok: an import path
if token == "Wolfgang":  # ok: a word, not a secret (an NLP token)
    pass


class AuthResolution(str, enum.Enum):
    static_token = "static-token"  # ok: an enum member's value is a label
    client_credentials = "m2m-client-credentials"  # ok: an enum member's value is a label


class Settings:
    client_credentials = "m2m-Xq7Lp2Rv9Tz4Nc8W"  # expect: MLS402
