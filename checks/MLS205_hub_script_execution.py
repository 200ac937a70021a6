"""MLS205 hub-script-execution: metric scripts, community pipelines and agent tools fetched from a
hub and run in-process.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import evaluate
from diffusers import DiffusionPipeline
from evaluate import load as load_metric
from smolagents import Tool, load_tool
from transformers import AutoModel

METRIC = "rouge"
SHA = "4d1b4a9c0e2f6a8b3c5d7e9f1a2b4c6d8e0f2a4b"
LOCAL_METRIC = "./metrics/exact_match"


def evaluate_run(predictions, references):
    accuracy = evaluate.load("accuracy")  # expect: MLS205
    rouge = load_metric(METRIC)  # expect: MLS205
    bleu = evaluate.load("https://huggingface.co/spaces/evaluate-metric/bleu")  # expect: MLS205
    pinned = evaluate.load("evaluate-metric/perplexity", revision=SHA)  # expect: MLS205
    mine = evaluate.load(LOCAL_METRIC)  # ok: a local metric directory
    script = evaluate.load("metrics/wer.py")  # ok: a local script file
    other = evaluate.load(predictions.metric_name)  # ok: unresolvable, not guessed
    return accuracy, rouge, bleu, pinned, mine, script, other


def build_pipelines(model_dir):
    pipe = DiffusionPipeline.from_pretrained(  # expect: MLS205
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        custom_pipeline="lpw_stable_diffusion",
        revision=SHA,
    )
    pipe = DiffusionPipeline.from_pretrained(model_dir, custom_pipeline="./pipelines/my_pipeline.py")  # ok: local
    model = AutoModel.from_pretrained(model_dir)  # ok: no custom code
    return pipe, model


def agent_tools():
    search = load_tool("m-ric/text-to-image")  # expect: MLS205
    tool = Tool.from_hub("huggingface-tools/image-transformation")  # expect: MLS205
    trusted = load_tool("m-ric/text-to-image", trust_remote_code=True)  # expect: MLS201 (one finding: MLS205 yields)
    return search, tool, trusted
