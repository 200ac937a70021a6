"""MLS503 public-ml-exposure: demos, dashboards and notebook servers started on every interface or on a
public link without authentication.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import os
import subprocess

import gradio as gr
import ray
from flask import Flask
from tensorboard import program

app = Flask(__name__)
PUBLIC = "0.0.0.0"


def chat(message, history):
    return message[::-1]


def demos():
    demo = gr.ChatInterface(chat)
    demo.launch(share=True)  # expect: MLS503
    demo.launch(server_name="0.0.0.0", server_port=7860)  # expect: MLS503
    demo.launch(server_name=PUBLIC)  # expect: MLS503
    demo.launch(share=True, auth=("admin", os.environ["DEMO_PASSWORD"]))  # ok: authentication required
    demo.launch(server_name="0.0.0.0", auth=lambda user, password: password == os.environ["PW"])  # ok: auth
    demo.launch(server_name="127.0.0.1")  # ok: loopback
    demo.launch()  # ok: the defaults (127.0.0.1, no share link)
    with gr.Blocks() as blocks:
        gr.Markdown("# Model playground")
    blocks.launch(share=True)  # expect: MLS503


def dashboards():
    ray.init(dashboard_host="0.0.0.0")  # expect: MLS503  (ShadowRay)
    ray.init(dashboard_host="127.0.0.1")  # ok: loopback
    board = program.TensorBoard()
    board.configure(argv=[None, "--logdir", "runs", "--bind_all"])  # expect: MLS503
    board.configure(logdir="runs", host="0.0.0.0")  # expect: MLS503
    board.configure(logdir="runs")  # ok: localhost


def servers():
    subprocess.Popen(["mlflow", "ui", "--host", "0.0.0.0", "--port", "5000"])  # expect: MLS503
    subprocess.Popen(["jupyter", "lab", "--ip=0.0.0.0", "--no-browser"])  # expect: MLS503
    subprocess.Popen(["mlflow", "ui", "--port", "5000"])  # ok: localhost
    os.system("tensorboard --logdir runs --bind_all")  # expect: MLS503


def serve():
    app.run(debug=True)  # expect: MLS503
    app.run(host="0.0.0.0", port=8080)  # ok: no debugger (exposure of a plain API is not this rule's business)


class Runner:
    def run(self, debug=False):
        return debug


def not_flask():
    Runner().run(debug=True)  # ok: not a Flask app
