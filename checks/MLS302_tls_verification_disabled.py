"""MLS302 tls-verification-disabled: certificate checks turned off for downloads and API calls.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import os
import ssl
import urllib.request
from functools import partial

import aiohttp
import httpx
import requests
import urllib3
from requests import Session

from mylib import client as my_client

VERIFY = False
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def download(url, path, token):
    r = requests.get(url, verify=False)  # expect: MLS302
    r = requests.post(url, json={}, verify=VERIFY)  # expect: MLS302
    r = requests.request("GET", url, **{"verify": False})  # expect: MLS302
    fetch = partial(requests.get, timeout=10, verify=False)  # expect: MLS302
    r = httpx.get(url, verify=False)  # expect: MLS302
    client = httpx.Client(verify=False)  # expect: MLS302
    session = requests.Session()
    session.verify = False  # expect: MLS302
    r = session.get(url, verify=False)  # expect: MLS302
    with Session() as s:
        s.verify = False  # expect: MLS302
    r = requests.Session().get(url, verify=False)  # expect: MLS302
    ctx = ssl._create_unverified_context()  # expect: MLS302
    ssl._create_default_https_context = ssl._create_unverified_context  # expect: MLS302
    ctx = ssl.create_default_context()
    ctx.check_hostname = False  # expect: MLS302
    ctx.check_hostname = 0  # expect: MLS302@5
    ctx.verify_mode = ssl.CERT_NONE  # expect: MLS302
    pool = urllib3.PoolManager(cert_reqs="CERT_NONE")  # expect: MLS302
    pool = urllib3.PoolManager(cert_reqs=ssl.CERT_NONE)  # expect: MLS302
    os.environ["CURL_CA_BUNDLE"] = ""  # expect: MLS302
    os.environ["REQUESTS_CA_BUNDLE"] = ""  # expect: MLS302
    os.environ.update({"CURL_CA_BUNDLE": ""})  # expect: MLS302
    os.environ.update(REQUESTS_CA_BUNDLE="")  # expect: MLS302
    os.environ.setdefault("CURL_CA_BUNDLE", "")  # expect: MLS302
    os.putenv("REQUESTS_CA_BUNDLE", "")  # expect: MLS302
    connector = aiohttp.TCPConnector(ssl=False)  # expect: MLS302
    return r, fetch, client, ctx, pool, connector


class Downloader:
    def __init__(self):
        self.session = requests.Session()
        self.session.verify = False  # expect: MLS302

    def get(self, url):
        return self.session.get(url, verify=False)  # expect: MLS302: untracked session, module imports requests


async def fetch_async(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=False) as response:  # expect: MLS302
            return await response.read()


def download_verified(url, flag, other, config):
    r = requests.get(url, verify=True)  # ok
    r = requests.get(url, verify=CA_BUNDLE)  # ok: a CA bundle path
    r = requests.get(url, verify="/etc/ssl/certs/ca.pem")  # ok
    r = requests.get(url, verify=flag)  # ok: unresolvable, not guessed
    client = httpx.Client(verify=ssl.create_default_context())  # ok
    session = requests.Session()
    session.verify = CA_BUNDLE  # ok
    other.verify = False  # ok: not known to be a requests.Session
    config.verify = False  # ok
    r = my_client.get(url, verify=False)  # ok: another library's client
    ctx = ssl.create_default_context()
    ctx.check_hostname = True  # ok
    ctx.verify_mode = ssl.CERT_REQUIRED  # ok
    os.environ["REQUESTS_CA_BUNDLE"] = CA_BUNDLE  # ok: pointing at a bundle
    os.environ["HF_HUB_OFFLINE"] = ""  # ok
    os.environ.update({"CURL_CA_BUNDLE": CA_BUNDLE})  # ok
    checksum_ok = validate(url, verify=False)  # ok: not an HTTP client
    return r, client, ctx, session, checksum_ok


def validate(url, verify=True):
    return url


def context_for(ssl_verify):
    ctx = ssl.create_default_context()
    if not ssl_verify:  # the user turned verification off in the configuration
        ctx.check_hostname = False  # ok: honours an explicit opt-out
        ctx.verify_mode = ssl.CERT_NONE  # ok: honours an explicit opt-out
    return ctx


def websocket_context(url, shared_ssl_context):
    ssl_context = shared_ssl_context
    if url.startswith("wss://") and ssl_context is False:  # the user's ssl_verify=False
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ssl_context.check_hostname = False  # ok: honours the configured opt-out
    return ssl_context


def server_is_up(url, token):
    ok = httpx.head(url, timeout=3, verify=False).status_code == 200  # ok: a bare liveness probe sends nothing
    from httpx import head
    head(url, verify=False, follow_redirects=True)  # ok: a bare HEAD probe, imported by name
    with requests.Session() as session:
        session.head(url, verify=False)  # expect: MLS302 (a session sends its headers and cookies)
    requests.head(url, headers={"Authorization": token}, verify=False)  # expect: MLS302
    httpx.head(url, params={"key": token}, verify=False)  # expect: MLS302
    return ok
